"""The autograder's parts, one at a time, without nbgrader runs (fast).

Questions answered here:
- Does a value cross the sandbox boundary as plain data, and is anything else refused?
- Is a malformed payload from the sandbox rejected instead of trusted?
- Does a student's exception come back as the builtin class a test expects?
- Is a submission rebuilt from the source whatever was done to its test cells?
- Does the sandbox's command line isolate what the brief asks for?
- Does the sandbox itself stop reads, writes, network and runaway processes?
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from grading_corpus import sandbox_processes

from course_grader import canonical, feedback, notebook, sandbox, trusted, view
from course_grader.canonical import Decoder, Encoder, NotPortableError, rebuild_exception
from course_grader.cli import summary_table
from course_grader.grader import ItemResult, NotebookResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.grading


def round_trip(value):
    return Decoder().decode(Encoder().encode(value))


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2**80,
        -0.5,
        float("inf"),
        "text",
        1 + 2j,
        b"\x00\x01",
        (1, [2.0, "x"], {"k": (None,)}),
        {3, 4},
        frozenset({"a"}),
        np.float32(1.5),
        np.int64(-7),
        np.arange(6).reshape(2, 3),
        np.array(["a", "bc"]),
        np.zeros((0, 3)),
        np.array([True, False]),
    ],
)
def test_plain_values_cross_unchanged_with_their_types(value):
    """Does every plain type come back equal and of the same type (tuple stays tuple)?"""
    back = round_trip(value)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value


def test_nan_and_tensors_keep_dtype_and_grad_flag():
    back = round_trip(float("nan"))
    assert np.isnan(back)
    tensor = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    rebuilt = round_trip(tensor)
    assert rebuilt.dtype == torch.float64 and rebuilt.requires_grad
    torch.testing.assert_close(rebuilt, tensor.detach())


class AlwaysEqual:
    def __eq__(self, other):
        return True


class Cheat(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)


def test_an_object_that_equals_everything_is_refused():
    with pytest.raises(NotPortableError, match="AlwaysEqual"):
        Encoder().encode(AlwaysEqual())
    with pytest.raises(NotPortableError, match="dtype object"):
        Encoder().encode(np.array([AlwaysEqual()], dtype=object))


def test_an_ndarray_subclass_arrives_as_a_plain_array_of_its_data():
    back = round_trip(np.zeros(3).view(Cheat))
    assert type(back) is np.ndarray
    assert not np.array_equal(back, np.ones(3))


@pytest.mark.parametrize(
    "payload",
    [
        {"t": "ndarray", "dtype": "|O", "shape": [1], "v": ""},
        {"t": "ndarray", "dtype": "<f8", "shape": [3], "v": "AAAA"},
        {"t": "ndarray", "dtype": "<f8", "shape": [-1], "v": ""},
        {"t": "eval", "v": "__import__('os')"},
        {"t": "object", "cls": "Value", "id": 0, "state": {}},
        {"t": "dict", "v": [[1]]},
        ["no", "tag"],
    ],
)
def test_malformed_payloads_are_rejected(payload):
    with pytest.raises((ValueError, NotPortableError)):
        Decoder().decode(payload)


def test_deep_nesting_is_rejected():
    value = []
    for _ in range(canonical.MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(NotPortableError, match="deeper"):
        Encoder().encode(value)


def test_instances_of_the_instructors_classes_travel_by_attributes_with_identity():
    """Can mul_backward(a, a, out) update a.grad in place, a used twice?"""

    class Value:
        def __init__(self, data):
            self.data, self.grad, self._backward = data, 0.0, lambda: None

    a = Value(3.0)
    encoder = Encoder({"Value"})
    payload = encoder.encode((a, a))
    assert payload["v"][1] == {"t": "ref", "id": 0}
    remote = Decoder({"Value": Value}).decode(payload)
    assert remote[0] is remote[1] and not hasattr(remote[0], "_backward")
    remote[0].grad += 6.0
    state = Encoder({"Value"}).state(remote[0])
    Decoder({"Value": Value}, objects=encoder.objects).update(a, state)
    assert a.grad == 6.0 and callable(a._backward)


def test_a_students_exception_comes_back_as_its_builtin_base():
    class AverageError(ValueError):
        pass

    error = rebuild_exception(canonical.describe_exception(AverageError("bad average")))
    assert isinstance(error, ValueError) and type(error).__name__ == "AverageError"
    assert str(error) == "bad average"
    exit_error = rebuild_exception(canonical.describe_exception(SystemExit(3)))
    assert type(exit_error) is Exception  # never a SystemExit inside the grader


def test_names_a_test_cell_needs_from_the_student():
    source = "import numpy as np\nx = f(np.ones(3))\ncheck_close(x, g(2))\nprint(len(x))"
    assert trusted.loaded_names(source) == {"f", "g", "check_close"}
    assert trusted.bound_names("def f(): pass\nclass C: pass\nimport a.b as c\ny, z = 1, 2") == {
        "f",
        "C",
        "c",
        "y",
        "z",
    }


# --- rebuilding a submission from the source ----------------------------------------------
@pytest.fixture(scope="module")
def chapter02():
    source = nbformat.read(ROOT / "solutions/02_metrics/02_metrics.ipynb", as_version=4)
    release = nbformat.read(ROOT / "exercises/02_metrics/02_metrics.ipynb", as_version=4)
    return source, release


def ids(plan, kind):
    return [s.grade_id for s in plan.steps if s.kind == kind]


def test_an_untouched_release_rebuilds_to_the_sources_steps(chapter02):
    source, release = chapter02
    plan = notebook.rebuild(source, release, copy.deepcopy(release))
    assert ids(plan, "test") == ["q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"]
    assert plan.notes == []
    assert "q6_written" in plan.unanswered
    test = next(s for s in plan.steps if s.grade_id == "q1_tests")
    assert "BEGIN HIDDEN TESTS" in test.source  # what runs: the full test
    assert "BEGIN HIDDEN TESTS" not in plan.cells[test.index].source  # what is shown


def test_deleted_duplicated_forged_and_retyped_test_cells_are_restored(chapter02):
    source, release = chapter02
    student = copy.deepcopy(release)
    index = {notebook.grade_id(c): i for i, c in enumerate(student.cells)}
    student.cells[index["q1_tests"]].metadata.nbgrader.schema_version = 99
    student.cells[index["q4_tests"]].cell_type = "markdown"
    student.cells[index["q2_tests"]].metadata.nbgrader.grade_id = "renamed"
    student.cells.insert(index["q5_tests"], copy.deepcopy(student.cells[index["q5_tests"]]))
    del student.cells[index["q3_tests"]]
    plan = notebook.rebuild(source, release, student)
    assert ids(plan, "test") == ["q1_tests", "q2_tests", "q3_tests", "q4_tests", "q5_tests"]
    text = "\n".join(plan.notes)
    for expected in (
        "q1_tests was edited",
        "q4_tests was changed to markdown",
        "q2_tests was deleted",
        "q3_tests was deleted",
        "duplicate of cell q5_tests",
        "ignored the nbgrader metadata",
    ):
        assert expected in text
    assert all(notebook.grade_id(c) != "renamed" for c in plan.cells)


def test_added_cells_keep_their_place_after_the_cell_they_followed(chapter02):
    source, release = chapter02
    student = copy.deepcopy(release)
    index = {notebook.grade_id(c): i for i, c in enumerate(student.cells)}
    student.cells.insert(index["q2_tests"], nbformat.v4.new_code_cell("scratch = 1"))
    plan = notebook.rebuild(source, release, student)
    order = [s.grade_id or s.source for s in plan.steps]
    assert order.index("scratch = 1") == order.index("q2_per_class_scores") + 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "was not submitted"),
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"{", "not JSON"),
        (b"[1, 2]", "no list of cells"),
        (b'{"cells": 3}', "no list of cells"),
    ],
)
def test_unreadable_notebooks_have_a_reason(tmp_path, content, reason):
    path = tmp_path / "nb.ipynb"
    if content is not None:
        path.write_bytes(content)
    loaded, problem = notebook.load(path)
    assert loaded is None and reason in problem


# --- the sandbox ------------------------------------------------------------------------
def test_limits_reject_nonsense():
    with pytest.raises(ValueError, match="cell_timeout"):
        sandbox.Limits(cell_timeout=0)


def test_sandbox_command_isolates_and_limits(tmp_path):
    argv = sandbox.command(tmp_path, tmp_path, sandbox.Limits(), 1, "/usr/bin/bwrap")
    joined = " ".join(argv)
    for flag in (
        "--unshare-net",
        "--unshare-pid",
        "--die-with-parent",
        "prlimit",
        "--nproc=64",
        "--fsize=",
        "--as=",
        "--cpu=",
    ):
        assert flag in joined
    assert str(ROOT / "solutions") not in joined and "gradebook" not in joined
    assert f"--bind {tmp_path} {sandbox.SANDBOX_HOME}" in joined
    # course_lib is mounted as the allowlisted view, never as the real package
    mounts = {argv[i + 2]: argv[i + 1] for i, a in enumerate(argv) if a == "--ro-bind"}
    mounted = Path(mounts[str(ROOT / "course_lib")])
    assert mounted.is_relative_to(tmp_path)
    allowed = sorted(p.stem for p in mounted.glob("*.py") if "ImportError" not in p.read_text())
    assert allowed == sorted(view.STUDENT_MODULES)
    assert "reference implementation" in (mounted / "losses.py").read_text()


def test_the_student_view_denies_every_name_it_does_not_list(tmp_path):
    """Is a concept that becomes a subpackage, or a new module, hidden without a code change?"""
    package = tmp_path / "pkg"
    (package / "newconcept").mkdir(parents=True)
    (package / "newconcept" / "__init__.py").write_text("SECRET = 1\n")
    (package / "checks.py").write_text("OK = 1\n")
    (package / "secret.py").write_text("SECRET = 1\n")
    folder = view.student_view(tmp_path / "view", package)
    assert (folder / "checks.py").read_text() == "OK = 1\n"
    for name in ("newconcept", "secret"):
        assert "raise ImportError" in (folder / f"{name}.py").read_text()
    assert not (folder / "newconcept").exists()


@pytest.mark.parametrize(("code", "reason"), [(3, "status 3"), (137, "SIGKILL"), (-24, "CPU")])
def test_exit_codes_read_as_reasons(code, reason):
    assert reason in sandbox.signal_reason(code)


needs_bwrap = pytest.mark.skipif(
    sandbox.sandbox_problem() is not None, reason=str(sandbox.sandbox_problem())
)


@needs_bwrap
def test_the_sandbox_blocks_reads_writes_network_and_counts_processes(tmp_path):
    escape = f"/tmp/sandbox-escape-{os.getpid()}-{time.monotonic_ns()}"
    work = tmp_path / "work"
    work.mkdir()
    code = f"""
import os, socket
result = {{}}
for path in [{str(ROOT / "solutions")!r}, {str(ROOT / "course_lib" / "metrics.py")!r}]:
    try:
        full = path if path.endswith('.py') else path + '/02_metrics/02_metrics.ipynb'
        result[path] = open(full).read()
    except OSError as error:
        result[path] = type(error).__name__
for path in [{escape!r}, 'here.txt', {str(tmp_path / "outside.txt")!r}]:
    try:
        open(path, 'w').write('x')
        result[path] = 'wrote'
    except OSError as error:
        result[path] = type(error).__name__
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2)
    result['net'] = 'connected'
except OSError as error:
    result['net'] = type(error).__name__
children = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            import time; time.sleep(30); os._exit(0)
        children += 1
except OSError:
    pass
result['children'] = children
"""
    with sandbox.Sandbox(work, sandbox.Limits(cell_timeout=20)) as box:
        assert box.request({"op": "run", "source": code}, 20)["status"] == "ok"
        reply = box.request({"op": "describe", "names": ["result"]}, 20)
        result = Decoder().decode(reply["names"]["result"]["value"])
    assert result[str(ROOT / "solutions")] in ("FileNotFoundError", "PermissionError")
    # the reference implementation is a stub that refuses to import
    stub = result[str(ROOT / "course_lib" / "metrics.py")]
    assert "def confusion_matrix" not in stub and "reference implementation" in stub
    assert result["here.txt"] == "wrote" and (work / "here.txt").exists()
    assert result[str(tmp_path / "outside.txt")] != "wrote"
    # /tmp inside the sandbox is its own tmpfs: nothing written there reaches the host's
    assert not (tmp_path / "outside.txt").exists() and not Path(escape).exists()
    assert result["net"] != "connected"
    assert 0 < result["children"] < 64
    if os.geteuid() == 0:  # the fork bomb's children died with the sandbox
        for _ in range(50):
            if not sandbox_processes(sandbox.FIRST_UID):
                break
            time.sleep(0.1)
        assert not sandbox_processes(sandbox.FIRST_UID)


@needs_bwrap
def test_inside_the_sandbox_every_allowed_module_imports_and_no_concept_does(tmp_path):
    """Does a graded notebook get the infrastructure (plotting and widgets included), and no
    reference implementation, whatever a concept module is called or however it is split?"""
    import course_lib

    work = tmp_path / "work"
    work.mkdir()
    package = Path(course_lib.__file__).parent
    concepts = sorted(
        p.stem if p.suffix == ".py" else p.name
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem not in view.STUDENT_MODULES)
        or (p.is_dir() and (p / "__init__.py").exists())
    )
    allowed = sorted(view.STUDENT_MODULES - {"__init__"})
    code = f"""
import importlib
result = {{}}
for name in {allowed + concepts!r}:
    try:
        importlib.import_module('course_lib.' + name)
        result[name] = 'imported'
    except Exception as error:
        result[name] = type(error).__name__ + ': ' + str(error)
"""
    with sandbox.Sandbox(work, sandbox.Limits(cell_timeout=120)) as box:
        assert box.request({"op": "run", "source": code}, 120)["status"] == "ok"
        reply = box.request({"op": "describe", "names": ["result"]}, 20)
        result = Decoder().decode(reply["names"]["result"]["value"])
    assert {name: result[name] for name in allowed} == dict.fromkeys(allowed, "imported")
    assert concepts, "course_lib has no concept module to hide"
    for name in concepts:
        assert result[name].startswith("ImportError") and "reference" in result[name], name


def test_summary_table_gives_every_student_a_reason():
    items = [
        ItemResult("nb", "q1_tests", "auto", 2, 0.0, "failed", "CheckError: wrong"),
        ItemResult("nb", "q6", "manual", 2, None, "manual", "to be graded"),
    ]
    results = [
        SubmissionResult("ada", "a", [NotebookResult("nb", items)]),
        SubmissionResult("ben", "a", [NotebookResult("nb", [], problem="empty file")]),
    ]
    table = summary_table(results)
    assert "ada" in table and "q1_tests: CheckError: wrong" in table and "1 to grade" in table
    assert "ben" in table and "empty file" in table


def test_feedback_preprocessor_removes_hidden_tests_and_their_traceback_lines():
    source = (
        "check(f(1))\n### BEGIN HIDDEN TESTS\nsecret_value = f(2)\ncheck(secret_value)\n"
        "### END HIDDEN TESTS\n"
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"grade": True}})
    cell.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="CheckError",
            evalue="f is wrong for case 'hidden 2'",
            traceback=[
                "\x1b[0;32m----> 4\x1b[0m check(\x1b[43msecret_value\x1b[0m)\nline two",
                "CheckError: f is wrong for case 'hidden 2'",
            ],
        )
    ]
    notebook_node = nbformat.v4.new_notebook(cells=[cell])
    feedback.HideHiddenTests().preprocess(notebook_node, {})
    assert notebook_node.cells[0].source == "check(f(1))\n"
    trace = notebook_node.cells[0].outputs[0].traceback
    assert "secret_value" not in "".join(trace) and "line two" in trace[0]
    assert trace[1] == "CheckError: f is wrong for case 'hidden 2'"


STUDENT_CELL = """
import numpy as np
import torch


class Scaler(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(float(w), dtype=torch.float64))
        self.lin = torch.nn.Linear(1, 1)

    def forward(self, x):
        return x * self.w


class AlwaysEqual:
    def __eq__(self, other):
        return True


def cheat():
    return AlwaysEqual()


def draw(rng):
    return rng.normal(size=3)
"""

TEST_CELL = """
import torch
x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
m = Scaler(2.0)
out = m(x)
out.sum().backward()
assert torch.equal(out.detach(), 2 * x.detach())
assert torch.equal(x.grad, torch.full((3,), 2.0, dtype=torch.float64)), x.grad
assert float(m.w.grad) == 6.0, m.w.grad            # filled in the sandbox, read back
assert isinstance(m.lin, torch.nn.Linear)          # a library module keeps its class
assert not isinstance(m, torch.nn.Module)          # the student's class does not
assert cheat() != 1 and not (cheat() == 1)         # a stand-in equals only itself
r, r2 = np.random.default_rng(0), np.random.default_rng(0)   # np: the student's alias
assert np.array_equal(draw(r), r2.normal(size=3))
assert r.normal() == r2.normal()                   # the generator advanced in the grader
"""


@needs_bwrap
def test_objects_generators_and_gradients_cross_the_boundary(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    with sandbox.Sandbox(work, sandbox.Limits(cell_timeout=60)) as box:
        assert box.request({"op": "run", "source": STUDENT_CELL}, 60)["status"] == "ok"
        session = trusted.TrustedSession(box, 60)
        session.student_names |= trusted.bound_names(STUDENT_CELL)
        outcome = session.run_test(TEST_CELL, 1.0)
    assert outcome.status == "passed", outcome.reason


def test_collect_folder_accepts_both_layouts_and_reports_what_it_skips(tmp_path):
    from course_grader.collect import collect_folder
    from course_grader.course import Course, usable_id

    root = tmp_path / "course"
    (root / "solutions" / "02_metrics").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    incoming = tmp_path / "incoming"
    (incoming / "ada").mkdir(parents=True)
    (incoming / "ada" / "02_metrics.ipynb").write_text("{}")
    (incoming / "ben" / "02_metrics").mkdir(parents=True)
    (incoming / "ben" / "02_metrics" / "02_metrics.ipynb").write_text("{}")
    (incoming / "ben" / "02_metrics" / "secret").symlink_to(ROOT / "solutions")
    (incoming / "Cy Dee").mkdir()
    (incoming / "stray.ipynb").write_text("{}")
    collected = collect_folder(Course.load(root), "02_metrics", incoming)
    assert collected.students == ["ada", "ben"]
    assert (root / "submitted" / "ben" / "02_metrics" / "02_metrics.ipynb").is_file()
    assert not (root / "submitted" / "ben" / "02_metrics" / "secret").exists()
    reasons = " ".join(reason for _, reason in collected.skipped)
    assert "links are not accepted" in reasons
    assert "'Cy Dee' is not a valid student id" in reasons
    assert "not in a student's folder" in reasons
    assert usable_id("Cy Dee") and not usable_id("../x") and not usable_id(".hidden")
