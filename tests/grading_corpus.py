"""A corpus of bad submissions of chapter 02, built from its release, each with its expected score.

Every case is a student folder: the released notebook with some answers filled in from
the solution and something wrong, malicious or broken done to it. ``CASES`` lists them
with the automatic points the autograder must give (out of 12) and, per item, a piece of
the reason it must state. ``tests/test_grading_course.py`` grades them all as one class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_grader.restart import MAX_RESTARTS

ASSIGNMENT = "02_metrics"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
ANSWER_IDS = (
    "q1_confusion_matrix",
    "q2_per_class_scores",
    "q3_f1_average",
    "q4_roc_points",
    "q5_average_precision",
)
POINTS = {"q1_tests": 2, "q2_tests": 2, "q3_tests": 3, "q4_tests": 3, "q5_tests": 2}
MARKERS = ("BEGIN SOLUTION", "END SOLUTION")


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_answers(source) -> dict[str, str]:
    """grade_id -> the solution's code without the nbgrader markers."""
    return {
        meta(c)["grade_id"]: "\n".join(
            line for line in c.source.splitlines() if not any(m in line for m in MARKERS)
        )
        for c in source.cells
        if meta(c).get("solution") and c.cell_type == "code"
    }


def index_of(notebook, grade_id: str) -> int:
    return next(i for i, c in enumerate(notebook.cells) if meta(c).get("grade_id") == grade_id)


@dataclass
class Kit:
    """What a case builds from: the release, the solution's answers, the course root."""

    release: nbformat.NotebookNode
    answers: dict[str, str]
    root: Path

    def notebook(self, solved=ANSWER_IDS, **replace: str) -> nbformat.NotebookNode:
        """The release with the ``solved`` answers filled in and some answers replaced."""
        notebook = nbformat.from_dict(json.loads(json.dumps(self.release)))
        for grade_id in solved:
            notebook.cells[index_of(notebook, grade_id)].source = self.answers[grade_id]
        for grade_id, code in replace.items():
            notebook.cells[index_of(notebook, grade_id)].source = code
        return notebook

    def after(self, notebook, grade_id: str, code: str) -> nbformat.NotebookNode:
        """Append ``code`` to the answer cell ``grade_id`` (it runs when that cell does)."""
        cell = notebook.cells[index_of(notebook, grade_id)]
        cell.source += "\n" + code
        return notebook

    def insert(self, notebook, position: int, code: str) -> nbformat.NotebookNode:
        notebook.cells.insert(position, nbformat.v4.new_code_cell(code))
        return notebook


@dataclass
class Case:
    name: str
    build: object  # Kit -> NotebookNode, or dict of file name -> NotebookNode | bytes | Path
    score: float  # automatic points expected, out of 12
    reasons: dict[str, str] = field(default_factory=dict)  # item -> piece of its reason
    notes: tuple[str, ...] = ()  # pieces of the notebook's notes or problem
    what: str = ""
    shown: tuple[str, ...] = ()  # pieces of text the autograded notebook's outputs must hold


ALWAYS_EQUAL = '''
class AlwaysEqual:
    """Equal to everything, unequal to nothing."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    shape = (3, 3)
'''

PATCH_CHECKS = """
import numpy as np, numpy.testing
import course_lib.checks as checks
def _nothing(*args, **kwargs): return None
for _name in ("check_close", "check_equal", "check_type", "check_raises", "check_shape"):
    setattr(checks, _name, _nothing)
np.testing.assert_allclose = _nothing
np.isclose = lambda *a, **k: True
"""

WRONG = {
    "q1_confusion_matrix": "def confusion_matrix(y_true, y_pred, n_classes):\n"
    "    return np.zeros((n_classes, n_classes), dtype=int)",
    "q2_per_class_scores": "def per_class_scores(cm):\n    k = len(cm)\n"
    "    return np.zeros(k), np.zeros(k), np.zeros(k)",
    "q3_f1_average": "def f1_average(cm, average):\n    return 0.0",
    "q4_roc_points": "def roc_points(y_true, y_score):\n"
    "    return np.zeros(2), np.zeros(2), np.zeros(2)",
    "q5_average_precision": "def average_precision(y_true, y_score):\n    return 0.0",
}

BLANK_TESTS = """
ip = get_ipython()
ip.input_transformers_post.append(lambda lines: [] if "check_" in "".join(lines) else lines)
"""

HIDE_ERRORS = """
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
def _forget(result):
    result.error_in_exec = None
    result.error_before_exec = None
ip.events.register("post_run_cell", _forget)
"""

FORK_BOMB = """
import os, time
_main = os.getpid()
_made = 0
while True:
    try:
        if os.fork() == 0:
            _made = 0
        else:
            _made += 1
    except OSError:
        break
if os.getpid() != _main:
    time.sleep(10**6)   # every child lingers, holding its process slot
print("fork bomb stopped after", _made, "forks from the first process")
"""


def _probe(kit: Kit) -> str:
    root = kit.root
    targets = [
        root / "solutions" / ASSIGNMENT / NOTEBOOK,
        root / "gradebook.db",
        root / "nbgrader_config.py",
        root / "source",
        Path("/root/.bash_history"),
    ]
    return (
        "import os\n"
        f"for _path in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        with open(_path, 'rb') as _f:\n"
        "            print('READ', _path, _f.read(200))\n"
        "    except OSError as _e:\n"
        "        print('DENIED', _path, type(_e).__name__)\n"
    )


def _gradebook_attack(kit: Kit) -> str:
    return (
        "import sqlite3\n"
        "try:\n"
        f"    _db = sqlite3.connect({str(kit.root / 'gradebook.db')!r})\n"
        "    _db.execute('UPDATE grade SET manual_score = 99')\n"
        "    _db.commit()\n"
        "    print('WROTE the gradebook')\n"
        "except Exception as _e:\n"
        "    print('DENIED gradebook', type(_e).__name__, _e)\n"
    )


def _write_outside(kit: Kit) -> str:
    targets = [
        kit.root / "PWNED.txt",
        kit.root / "solutions" / "PWNED.txt",
        Path("/tmp/PWNED-by-submission.txt"),
        Path("/root/PWNED.txt"),
        Path("/home/student/PWNED.txt"),
    ]
    return (
        f"for _path in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        with open(_path, 'w') as _f:\n"
        "            _f.write('owned')\n"
        # /tmp in the sandbox is a private tmpfs: writing there is allowed and vanishes
        "        print('PRIVATE TMP' if _path.startswith('/tmp/') else 'WROTE', _path)\n"
        "    except OSError as _e:\n"
        "        print('DENIED', _path, type(_e).__name__)\n"
    )


NETWORK = """
import socket, urllib.request
for _target in [("1.1.1.1", 80), ("127.0.0.1", 22)]:
    try:
        socket.create_connection(_target, timeout=3)
        print("CONNECTED", _target)
    except OSError as _e:
        print("NO NETWORK", _target, _e)
try:
    urllib.request.urlopen("http://pypi.org", timeout=3)
    print("CONNECTED pypi")
except Exception as _e:
    print("NO NETWORK pypi", type(_e).__name__)
"""


def _duplicated_test(kit: Kit):
    notebook = kit.notebook()
    i = index_of(notebook, "q2_tests")
    copy = nbformat.from_dict(json.loads(json.dumps(notebook.cells[i])))
    copy["id"] = "duplicate"  # a new cell id; the nbgrader grade_id stays the same
    notebook.cells.insert(i + 1, copy)
    return notebook


def _schema_edited(kit: Kit):
    notebook = kit.notebook()
    cell = notebook.cells[index_of(notebook, "q1_tests")]
    cell.metadata["nbgrader"]["schema_version"] = 99
    cell.metadata["nbgrader"]["points"] = 100
    cell.source = "pass"
    return notebook


def _deleted_test(kit: Kit):
    notebook = kit.notebook(solved=[a for a in ANSWER_IDS if a != "q3_f1_average"])
    del notebook.cells[index_of(notebook, "q3_tests")]
    return notebook


def _retyped(kit: Kit):
    notebook = kit.notebook()
    test = notebook.cells[index_of(notebook, "q4_tests")]
    notebook.cells[index_of(notebook, "q4_tests")] = nbformat.v4.new_raw_cell(
        test.source, metadata=test.metadata
    )
    answer = notebook.cells[index_of(notebook, "q1_confusion_matrix")]
    notebook.cells[index_of(notebook, "q1_confusion_matrix")] = nbformat.v4.new_markdown_cell(
        answer.source, metadata=answer.metadata
    )
    return notebook


def _edited_test(kit: Kit):
    notebook = kit.notebook(solved=[a for a in ANSWER_IDS if a != "q5_average_precision"])
    notebook.cells[index_of(notebook, "q5_tests")].source = "pass  # nothing to check here"
    return notebook


def _forged(kit: Kit):
    notebook = kit.notebook()
    cell = notebook.cells[index_of(notebook, "q2_tests")]
    cell.metadata["nbgrader"].update(grade_id="q2_tests_mine", locked=False, grade=False)
    bonus = nbformat.v4.new_code_cell("print('free points')")
    bonus.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus",
        "locked": True,
        "points": 100,
        "schema_version": 3,
        "solution": False,
    }
    notebook.cells.append(bonus)
    return notebook


def _symlink(kit: Kit):
    code = (
        "try:\n    print(open('answers.ipynb').read()[:300])\n"
        "except OSError as _e:\n    print('DENIED link', type(_e).__name__)\n"
    )
    notebook = kit.insert(kit.notebook(solved=()), 1, code)
    return {NOTEBOOK: notebook, "answers.ipynb": kit.root / "solutions" / ASSIGNMENT / NOTEBOOK}


def _renamed(kit: Kit):
    return {f"{ASSIGNMENT} (1).ipynb": kit.notebook()}


def _reference_import(kit: Kit):
    code = (
        "def confusion_matrix(y_true, y_pred, n_classes):\n"
        "    from course_lib.metrics import confusion_matrix as reference\n"
        "    return reference(y_true, y_pred, labels=np.arange(n_classes))"
    )
    return kit.notebook(q1_confusion_matrix=code)


FUNCTIONS = {
    "q1_confusion_matrix": "confusion_matrix",
    "q2_per_class_scores": "per_class_scores",
    "q3_f1_average": "f1_average",
    "q4_roc_points": "roc_points",
    "q5_average_precision": "average_precision",
}


def _always_equal(kit: Kit):
    code = {
        a: f"{ALWAYS_EQUAL}\ndef {f}(*args, **kwargs):\n    return AlwaysEqual()"
        for a, f in FUNCTIONS.items()
    }
    return kit.notebook(**code)


def _subclass(kit: Kit):
    code = (
        "class Cheat(np.ndarray):\n"
        "    def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)\n"
        "    def __ne__(self, other): return np.zeros(np.shape(other), dtype=bool)\n"
        + WRONG["q1_confusion_matrix"].replace(
            "return np.zeros((n_classes, n_classes), dtype=int)",
            "return np.zeros((n_classes, n_classes), dtype=int).view(Cheat)",
        )
    )
    return kit.notebook(q1_confusion_matrix=code)


def _custom_error(kit: Kit):
    code = kit.answers["q3_f1_average"].replace("raise ValueError(", "raise AverageError(")
    code = "class AverageError(ValueError):\n    pass\n\n\n" + code
    return kit.notebook(q3_f1_average=code)


def _warns(kit: Kit):
    code = kit.answers["q1_confusion_matrix"].replace(
        '    """Return the (n_classes, n_classes) confusion matrix, true class in rows."""',
        '    """Return the (n_classes, n_classes) confusion matrix, true class in rows."""\n'
        "    import sys, warnings\n"
        '    warnings.warn("labels are cast to int", UserWarning)\n'
        '    print("debug: counting", len(y_true), "labels", file=sys.stderr)',
    )
    return kit.notebook(q1_confusion_matrix=code)


def _body_with(kit: Kit, grade_id: str, statement: str) -> str:
    """The solution of ``grade_id`` with ``statement`` (lines) at the top of its body."""
    lines = kit.answers[grade_id].splitlines()
    body = next(i for i, line in enumerate(lines) if line.strip().endswith('"""') and i > 0)
    lines[body + 1 : body + 1] = ["    " + line for line in statement.splitlines()]
    return "\n".join(lines)


def _in_body(kit: Kit, grade_id: str, statement: str):
    return kit.notebook(**{grade_id: _body_with(kit, grade_id, statement)})


OS_EXIT = "import os; os._exit(1)"
RUNAWAY = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass"
# one death more than the grader restarts a kernel, and an item left to be not run
DYING = ANSWER_IDS[: MAX_RESTARTS + 1]
assert len(DYING) < len(ANSWER_IDS), "chapter 02 has too few items for MAX_RESTARTS"


def _exit_in_every_function(kit: Kit):
    return kit.notebook(**{grade_id: _body_with(kit, grade_id, OS_EXIT) for grade_id in DYING})


CASES = [
    Case("complete", lambda k: k.notebook(), 12, what="the solution (control)"),
    Case(
        "untouched",
        lambda k: k.notebook(solved=()),
        0,
        {"q1_tests": "released stub"},
        what="the release as it is",
    ),
    Case(
        "always_equal",
        _always_equal,
        0,
        {"q1_tests": "received AlwaysEqual", "q3_tests": 'f1_average(cm, "micro") is wrong'},
        what="every function returns an object whose __eq__ is always True",
    ),
    Case(
        "ndarray_subclass",
        _subclass,
        10,
        {"q1_tests": "confusion_matrix is wrong"},
        what="an ndarray subclass that compares equal to anything, holding zeros",
    ),
    Case(
        "patched_checks",
        lambda k: k.insert(k.notebook(solved=(), **WRONG), 1, PATCH_CHECKS),
        0,
        {"q1_tests": "confusion_matrix is wrong", "q3_tests": "f1_average"},
        what="check helpers, np.testing.assert_allclose and np.isclose made no-ops",
    ),
    Case(
        "input_transformer",
        lambda k: k.insert(k.notebook(solved=(), **WRONG), 1, BLANK_TESTS),
        0,
        {"q2_tests": "precision is wrong"},
        what="an IPython input transformer that blanks every test cell",
    ),
    Case(
        "post_run_hook",
        lambda k: k.insert(k.notebook(solved=()), 1, HIDE_ERRORS),
        0,
        {"q4_tests": "released stub"},
        what="a post_run_cell hook that clears the error flag, tracebacks hidden",
    ),
    Case(
        "reads_hidden_tests",
        lambda k: k.insert(k.notebook(), 1, _probe(k)),
        12,
        shown=("DENIED",),
        what="reads solutions/, the gradebook and the config by absolute path",
    ),
    Case(
        "writes_gradebook",
        lambda k: k.insert(k.notebook(solved=()), 1, _gradebook_attack(k)),
        0,
        shown=("DENIED gradebook",),
        what="sets every manual score in gradebook.db to 99",
    ),
    Case(
        "writes_outside",
        lambda k: k.insert(k.notebook(), 1, _write_outside(k)),
        12,
        shown=("DENIED",),
        what="writes files in the course root, solutions/, /tmp and /root",
    ),
    Case(
        "network",
        lambda k: k.insert(k.notebook(), 1, NETWORK),
        12,
        shown=("NO NETWORK",),
        what="opens sockets and downloads from the internet",
    ),
    Case(
        "imports_reference",
        _reference_import,
        10,
        {"q1_tests": "reference implementation"},
        what="calls course_lib.metrics, the reference implementation",
    ),
    Case(
        "duplicated_test",
        _duplicated_test,
        12,
        notes=("duplicate of cell q2_tests",),
        what="a test cell duplicated",
    ),
    Case(
        "schema_edited",
        _schema_edited,
        12,
        notes=("metadata of cell q1_tests was edited",),
        what="a test cell emptied, its schema_version set to 99 and its points to 100",
    ),
    Case(
        "deleted_test",
        _deleted_test,
        9,
        {"q3_tests": "released stub"},
        notes=("test cell q3_tests was deleted",),
        what="a test cell deleted (its function left as the stub)",
    ),
    Case(
        "retyped_cells",
        _retyped,
        12,
        notes=("changed to raw", "changed to markdown"),
        what="a test cell turned raw, an answer cell turned markdown",
    ),
    Case(
        "edited_test",
        _edited_test,
        10,
        {"q5_tests": "released stub"},
        notes=("test cell q5_tests was edited",),
        what="a test cell replaced by `pass`",
    ),
    Case(
        "forged_metadata",
        _forged,
        12,
        notes=("ignored the nbgrader metadata",),
        what="a test cell's grade_id changed, a 100-point 'bonus' test cell added",
    ),
    Case(
        "os_exit",
        lambda k: _in_body(k, "q3_f1_average", OS_EXIT),
        9,
        {"q3_tests": "exited with status 1", "q4_tests": "passed", "q5_tests": "passed"},
        notes=("restarted the kernel and went on",),
        what="os._exit(1) inside f1_average: the kernel is restarted for q4 and q5",
    ),
    Case(
        "os_exit_in_first_function",
        lambda k: _in_body(k, "q1_confusion_matrix", OS_EXIT),
        10,
        {"q1_tests": "exited with status 1", "q2_tests": "passed", "q5_tests": "passed"},
        notes=("while running test q1_tests",),
        what="os._exit(1) inside confusion_matrix, the first graded function",
    ),
    Case(
        "os_exit_in_first_cell",
        lambda k: k.after(k.notebook(), "q1_confusion_matrix", OS_EXIT),
        10,
        {"q1_tests": "NameError: name 'confusion_matrix' is not defined", "q2_tests": "passed"},
        notes=("while running a cell, the kernel exited with status 1",),
        shown=("restarted the kernel and went on",),
        what="os._exit(1) at the top of q1's answer cell: the cell dies with its definition",
    ),
    Case(
        "os_exit_in_every_function",
        _exit_in_every_function,
        0,
        {
            "q1_tests": "restarted the kernel",
            f"q{len(DYING)}_tests": f"died {len(DYING)} times",
            "q5_tests": "not run: the kernel exited with status 1",
        },
        what=f"os._exit(1) in {len(DYING)} functions: more deaths than the restarts allowed",
    ),
    Case(
        "killed",
        lambda k: _in_body(
            k, "q4_roc_points", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
        ),
        9,
        {"q4_tests": "SIGKILL", "q5_tests": "passed"},
        what="the kernel killed by SIGKILL (as by the out-of-memory killer) in roc_points",
    ),
    Case(
        "memory_hog",
        lambda k: _in_body(k, "q1_confusion_matrix", "_hog = bytearray(6 * 2**30)"),
        10,
        {"q1_tests": "MemoryError"},
        what="allocates 6 GiB in confusion_matrix",
    ),
    Case(
        "infinite_loop",
        lambda k: _in_body(k, "q4_roc_points", "while True: pass"),
        9,
        {"q4_tests": "did not return"},
        what="an endless loop in roc_points",
    ),
    Case(
        "ignores_sigint",
        lambda k: _in_body(k, "q5_average_precision", RUNAWAY),
        10,
        {"q5_tests": "ignored the interrupt"},
        what="ignores SIGINT, then loops forever in average_precision (the last item)",
    ),
    Case(
        "ignores_sigint_in_first_function",
        lambda k: _in_body(k, "q1_confusion_matrix", RUNAWAY),
        10,
        {"q1_tests": "ignored the interrupt", "q2_tests": "passed", "q5_tests": "passed"},
        what="ignores SIGINT, then loops forever in confusion_matrix, the first graded function",
    ),
    Case(
        "ignores_sigint_in_first_cell",
        lambda k: k.after(k.notebook(), "q1_confusion_matrix", RUNAWAY),
        10,
        {"q1_tests": "NameError: name 'confusion_matrix' is not defined", "q2_tests": "passed"},
        notes=("ignored the interrupt, so it was killed; the grader restarted the kernel",),
        what="ignores SIGINT, then loops forever at the top of q1's answer cell",
    ),
    Case(
        "fork_bomb",
        lambda k: k.after(k.notebook(), "q1_confusion_matrix", FORK_BOMB),
        12,
        shown=("fork bomb stopped after",),
        what="an exponential fork bomb whose processes all linger",
    ),
    Case(
        "output_flood",
        lambda k: k.after(
            k.notebook(),
            "q1_confusion_matrix",
            "for _ in range(50):\n    print('x' * 10**6)\nimport os\nos.write(1, b'y' * 10**7)",
        ),
        12,
        shown=("more characters of output were dropped",),
        what="prints 50 MB and writes 10 MB to file descriptor 1",
    ),
    Case(
        "big_file",
        lambda k: k.after(
            k.notebook(),
            "q5_average_precision",
            "with open('big.bin', 'wb') as _f:\n    _f.write(b'0' * 100 * 2**20)",
        ),
        12,
        shown=("File too large",),
        what="writes a 100 MiB file (the limit is 64 MiB)",
    ),
    Case(
        "warns_on_stderr",
        _warns,
        12,
        {"q1_tests": "warnings"},
        what="a correct answer that warns and prints on stderr",
    ),
    Case(
        "custom_exception",
        _custom_error,
        12,
        what="raises its own ValueError subclass for a bad `average`",
    ),
    Case(
        "missing_notebook",
        lambda k: {"notes.txt": b"I forgot the notebook"},
        0,
        {"q1_tests": "was not submitted"},
        what="no notebook in the folder",
    ),
    Case(
        "empty_notebook",
        lambda k: {NOTEBOOK: b""},
        0,
        {"q1_tests": "empty"},
        what="a 0-byte notebook",
    ),
    Case(
        "invalid_notebook",
        lambda k: {NOTEBOOK: b'{"cells": [ {"cell_type": '},
        0,
        {"q1_tests": "not a valid notebook"},
        what="a truncated JSON file",
    ),
    Case(
        "renamed_notebook",
        _renamed,
        12,
        notes=("in place of the missing",),
        what="the notebook saved as '02_metrics (1).ipynb'",
    ),
    Case(
        "symlink",
        _symlink,
        0,
        shown=("DENIED link",),
        what="a link to solutions/ submitted beside the notebook",
    ),
]


def sandbox_processes(first_uid: int, slots: int = 16) -> list[int]:
    """Processes that run as a sandbox user (uid first_uid .. first_uid + slots - 1)."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid_line = next(ln for ln in status.read_text().splitlines() if ln.startswith("Uid:"))
        except (OSError, StopIteration):
            continue  # the process ended while we looked
        if first_uid <= int(uid_line.split()[1]) < first_uid + slots:
            pids.append(int(status.parent.name))
    return pids


def write_case(case: Case, kit: Kit, folder: Path) -> None:
    """Write one case as ``folder/<case.name>/...``."""
    built = case.build(kit)
    files = {NOTEBOOK: built} if isinstance(built, nbformat.NotebookNode) else built
    student = folder / case.name
    student.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, Path):
            (student / name).symlink_to(content)
        elif isinstance(content, bytes):
            (student / name).write_bytes(content)
        else:
            nbformat.write(content, student / name)
