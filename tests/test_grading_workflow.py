"""`course collect` from an LMS download zip, then `course autograde` on what it filed.

Questions answered here:
- Does `nbgrader zip_collect`, with the project's LMS file-name pattern, file each
  student's notebook under their login, late submissions included?
- Is a notebook whose name does not fit the pattern still filed (and graded), and is a
  file that belongs to nobody reported rather than dropped silently?
- Do the plain nbgrader commands keep working on the same course, and does plain
  `nbgrader generate_feedback` leave out hidden tests, even the lines a traceback quotes?
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from grading_corpus import ASSIGNMENT, NOTEBOOK, Kit, solution_answers
from test_grading_course import make_course, run_cli

from course_grader.sandbox import sandbox_problem
from course_grader.workflow import Course, hidden_test_lines

pytestmark = [
    pytest.mark.grading,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]


def test_lms_zip_is_collected_and_graded(tmp_path):
    root = make_course(tmp_path / "course")
    release = nbformat.read(root / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(root / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    kit = Kit(release, solution_answers(source), root)
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(f"ada_1101_2202_{NOTEBOOK}", nbformat.writes(kit.notebook()))
        handle.writestr(f"ben_late_3303_{NOTEBOOK}", nbformat.writes(kit.notebook(solved=())))
        handle.writestr(f"cyd_4404_{ASSIGNMENT} (1).ipynb", nbformat.writes(kit.notebook()))
        handle.writestr("instructions.txt", "read me")
    collected = run_cli("--root", str(root), "collect", ASSIGNMENT, str(archive))
    assert "collected 3 submissions" in collected
    assert "instructions.txt: not matched to any student" in collected
    assert "filed for cyd" in collected
    assert (root / "submitted" / "ada" / ASSIGNMENT / NOTEBOOK).is_file()
    assert (root / "submitted" / "ben" / ASSIGNMENT / NOTEBOOK).is_file()
    summary = run_cli("--root", str(root), "autograde", ASSIGNMENT, "--jobs", "2", "--quiet")
    lines = {line.split()[0]: line for line in summary.splitlines()[2:]}
    assert lines["ada"].split()[1:4] == ["12", "/", "14"]
    assert lines["ben"].split()[1:4] == ["0", "/", "14"]
    assert lines["cyd"].split()[1:4] == ["12", "/", "14"]  # the renamed notebook, graded


# Right on the visible checks (Python lists), wrong on the hidden ones (NumPy arrays).
HIDDEN_FAILURE = """def confusion_matrix(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    if isinstance(y_true, np.ndarray):
        return cm
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm"""


def nbgrader(root: Path, *args: str) -> None:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_plain_nbgrader_feedback_hides_hidden_tests_and_their_tracebacks(tmp_path):
    root = make_course(tmp_path / "course")
    release = nbformat.read(root / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(root / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    kit = Kit(release, solution_answers(source), root)
    folder = root / "submitted" / "dee" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(kit.notebook(q1_confusion_matrix=HIDDEN_FAILURE), folder / NOTEBOOK)
    nbgrader(root, "autograde", ASSIGNMENT, "--force")
    graded = (root / "autograded" / "dee" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "hidden random case 0" in graded  # plain nbgrader: it failed in the hidden part
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    page = root / "feedback" / "dee" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
    assert "hidden random case 0" in text  # the failure message stays
    leaked = [line for line in hidden_test_lines(Course.load(root), ASSIGNMENT) if line in text]
    assert not leaked
