"""Restarting the student's kernel after it dies (course_grader/restart.py).

Questions answered here:
- After a death, are the cells before run again, in order, and the rest graded on its merits?
- Is a cell that killed a kernel never run again, and one interrupted at the limit run?
- Are the locked cells run again, in the sandbox and in the grader?
- Do the restarts stop at ``MAX_RESTARTS``, and at a re-run that kills the new kernel?
- Is no kernel started for nothing, when the cell that killed one was the last?

The notebooks are small and made here; the runner is a plain subprocess
(``isolate=False``), so these run without bubblewrap. Each student cell writes its name to
a log outside the working folder, so the log is the order in which cells ran, kernels and
restarts included. The sandboxed corpus (tests/grading_corpus.py) covers real chapters.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_grader import restart
from course_grader.grader import Job, grade
from course_grader.sandbox import Limits

pytestmark = pytest.mark.grading
NAME = "nb"
EXIT = "import os; os._exit({})"


def code_cell(kind: str, grade_id: str, source: str, points: float = 0) -> nbformat.NotebookNode:
    """An nbgrader cell: an ``answer``, a ``test`` worth ``points``, or a ``locked`` cell."""
    meta = {
        "grade_id": grade_id,
        "schema_version": 3,
        "solution": kind == "answer",
        "grade": kind == "test",
        "locked": kind != "answer",
    }
    if kind == "test":
        meta["points"] = points
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def logged(log: Path, name: str, code: str = "") -> str:
    """A student cell that writes ``name`` to ``log`` when it starts, then runs ``code``."""
    return f"with open({str(log)!r}, 'a') as _log:\n    _log.write({name + chr(10)!r})\n{code}"


def graded(tmp_path: Path, cells: list, cell_timeout: float = 20.0):
    """Grade the notebook of ``cells`` (source, release and submission alike)."""
    for folder in ("source", "student"):
        (tmp_path / folder).mkdir(exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / folder / f"{NAME}.ipynb")
    job = Job(
        "ada",
        "a",
        tmp_path / "student",
        tmp_path / "source",
        tmp_path / "source",
        tmp_path / "scratch",
        Limits(cell_timeout=cell_timeout),
        isolate=False,
    )
    result = grade(job).notebooks[0]
    items = {item.grade_id: item for item in result.items}
    return items, result


def lines(log: Path) -> list[str]:
    return log.read_text().split()


def test_after_a_death_the_cells_before_run_again_in_order_and_the_rest_is_graded(tmp_path):
    log = tmp_path / "log.txt"
    cells = [
        code_cell("answer", "a", logged(log, "a", "def f():\n    return 1")),
        code_cell("test", "a_tests", "assert f() == 1", 1),
        code_cell("locked", "setup", "SCALE = 3"),
        code_cell("answer", "b", logged(log, "b", "def g():\n    return 2\n" + EXIT.format(1))),
        code_cell("test", "b_tests", "assert g() == 2", 1),
        code_cell("answer", "c", logged(log, "c", "def h():\n    return SCALE * f()")),
        code_cell("test", "c_tests", "assert h() == SCALE == 3", 1),
    ]
    items, result = graded(tmp_path, cells)
    # the first kernel ran a and b; the second ran a again (never b), then c
    assert lines(log) == ["a", "b", "a", "c"]
    assert items["a_tests"].status == "passed"
    # b's function died with its kernel: its test fails on its own merits
    assert items["b_tests"].status == "failed"
    assert "NameError" in items["b_tests"].reason and "'g'" in items["b_tests"].reason
    # f and the locked cell's SCALE are back, in the sandbox and in the grader
    assert items["c_tests"].status == "passed", items["c_tests"].reason
    killer = result.notebook.cells[4]  # the summary cell comes first
    assert killer.outputs[-1].ename == "KernelDied"
    assert "exited with status 1" in killer.outputs[-1].evalue
    assert "restarted the kernel and went on" in killer.outputs[-1].evalue
    assert any(n.startswith("while running a cell, the kernel exited") for n in result.notes)


def test_a_dying_test_records_why_and_the_tests_after_it_pass(tmp_path):
    log = tmp_path / "log.txt"
    cells = [
        code_cell("answer", "a", logged(log, "a", "def f():\n    " + EXIT.format(2))),
        code_cell("test", "a_tests", "assert f() == 1", 1),
        code_cell("answer", "b", logged(log, "b", "def g():\n    return 2")),
        code_cell("test", "b_tests", "assert g() == 2", 1),
    ]
    items, _ = graded(tmp_path, cells)
    assert items["a_tests"].status == "died"
    assert items["a_tests"].reason.startswith("during this test, the kernel exited with status 2")
    assert "restarted the kernel" in items["a_tests"].reason
    assert items["b_tests"].status == "passed"
    assert lines(log) == ["a", "a", "b"]  # a's cell defines f: it runs again


def test_no_kernel_is_started_when_the_cell_that_killed_it_was_the_last(tmp_path):
    log = tmp_path / "log.txt"
    cells = [
        code_cell("answer", "a", logged(log, "a", "def f():\n    " + EXIT.format(2))),
        code_cell("test", "a_tests", "assert f() == 1", 1),
    ]
    items, _ = graded(tmp_path, cells)
    assert lines(log) == ["a"]
    assert items["a_tests"].reason == (
        "during this test, the kernel exited with status 2 (os._exit or a crash in the "
        "student's code)"
    )


def test_a_cell_that_killed_a_kernel_is_never_run_again_and_an_interrupted_one_is(tmp_path):
    """An interrupted cell runs again (what it did before the limit may be needed), within
    its limit; a killing cell never does, so each death costs its own cell once."""
    log = tmp_path / "log.txt"
    cells = [
        code_cell("answer", "slow", logged(log, "slow", "SLOW = 1\nimport time\ntime.sleep(600)")),
        code_cell("answer", "kill1", logged(log, "kill1", EXIT.format(3))),
        code_cell("answer", "kill2", logged(log, "kill2", EXIT.format(4))),
        code_cell("answer", "d", logged(log, "d", "def d():\n    return 4 * SLOW")),
        code_cell("test", "d_tests", "assert d() == 4", 1),
    ]
    items, result = graded(tmp_path, cells, cell_timeout=2)
    assert lines(log) == ["slow", "kill1", "slow", "kill2", "slow", "d"]
    assert items["d_tests"].status == "passed", items["d_tests"].reason
    assert result.notes.count("a cell was interrupted after 2 s") == 1  # the first run only


def test_the_restarts_stop_at_the_bound_and_the_rest_is_not_run(tmp_path):
    log = tmp_path / "log.txt"
    cells = [code_cell("answer", "first", logged(log, "first"))]
    for n in range(restart.MAX_RESTARTS + 2):  # one more death than restarts, then one to run
        body = "return 1" if n == restart.MAX_RESTARTS + 1 else EXIT.format(1)
        cells.append(code_cell("answer", f"q{n}", f"def q{n}():\n    {body}"))
        cells.append(code_cell("test", f"q{n}_tests", f"assert q{n}() == 1", 1))
    items, _ = graded(tmp_path, cells)
    assert lines(log) == ["first"] * (restart.MAX_RESTARTS + 1)  # one per kernel
    dying = [items[f"q{n}_tests"] for n in range(restart.MAX_RESTARTS + 1)]
    assert [item.status for item in dying] == ["died"] * (restart.MAX_RESTARTS + 1)
    bound = f"died {restart.MAX_RESTARTS + 1} times"
    assert bound in dying[-1].reason and "restarted" not in dying[-1].reason
    last = items[f"q{restart.MAX_RESTARTS + 1}_tests"]
    assert (last.status, last.score) == ("not_run", 0.0)
    assert last.reason.startswith("not run: the kernel exited with status 1")
    assert bound in last.reason


def test_a_rerun_that_kills_the_new_kernel_ends_the_restarts(tmp_path):
    log = tmp_path / "log.txt"
    seen = tmp_path / "seen"
    # the first run leaves a mark; the re-run finds it and exits
    once = f"if __import__('os').path.exists({str(seen)!r}):\n    {EXIT.format(5)}\n"
    once += f"open({str(seen)!r}, 'w').close()"
    cells = [
        code_cell("answer", "once", logged(log, "once", once)),
        code_cell("answer", "kill", logged(log, "kill", EXIT.format(1))),
        code_cell("answer", "b", logged(log, "b", "def g():\n    return 2")),
        code_cell("test", "b_tests", "assert g() == 2", 1),
    ]
    items, _ = graded(tmp_path, cells)
    assert lines(log) == ["once", "kill", "once"]  # one re-run, and no loop
    assert items["b_tests"].status == "not_run"
    assert "the new kernel died too while the cells before were run again" in (
        items["b_tests"].reason
    )
    assert "status 5" in items["b_tests"].reason
