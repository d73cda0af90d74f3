"""nbgrader itself, in a temporary course directory.

For every assignment (static, nothing executed):
- Does exercises/ leak any solution code or hidden test?

For one assignment, the standard nbgrader workflow end to end (generate_assignment,
autograde, generate_feedback, export), which the course's own grader builds on:
- Does the solution autograde to full automatic points?
- Does the released notebook, untouched, score 0, with every graded test cell failing?
- Does a half-done submission score exactly the items it solved?
- Do feedback and the CSV export come out, without a hidden test in the feedback?

For every chapter, tests/test_grading_chapters.py checks that exercises/ is what
`generate_assignment` makes today, and runs the same three grading checks through the
project's grader, in one `course autograde` pass per chapter: executing every solution
through plain nbgrader as well would only repeat that work.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import MARKERS

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
# The chapter that goes through plain nbgrader's whole workflow (the grading corpus's too)
PLAIN = "02_metrics" if "02_metrics" in ASSIGNMENTS else ASSIGNMENTS[0]

pytestmark = [pytest.mark.grading, pytest.mark.slow]


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run nbgrader with the environment's bin/ on PATH (it calls `alembic`)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (
        f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def notebooks(assignment: str) -> list[str]:
    return sorted(p.name for p in (ROOT / "solutions" / assignment).glob("*.ipynb"))


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def strip_markers(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines() if not any(marker in line for marker in MARKERS)
    )


def marked_blocks(source: str, begin: str, end: str) -> list[str]:
    pattern = re.compile(rf"{begin}(.*?){end}", re.S)
    return pattern.findall(source)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course directory holding a copy of solutions/, one assignment generated."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions", root / "solutions")
    nbgrader("generate_assignment", PLAIN, "--force", cwd=root)
    return root


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_leak_no_solution_and_no_hidden_test(assignment):
    """Does any line of a solution or a hidden test reach the student's notebook?"""
    for name in notebooks(assignment):
        source = nbformat.read(ROOT / "solutions" / assignment / name, as_version=4)
        released = (ROOT / "exercises" / assignment / name).read_text()
        released_code = "\n".join("".join(cell["source"]) for cell in json.loads(released)["cells"])
        for marker in MARKERS:
            assert marker not in released, f"{name}: marker {marker!r} reached exercises/"
        secret, public = [], []
        for cell in source.cells:
            blocks = marked_blocks(
                cell.source, "### BEGIN SOLUTION", "### END SOLUTION"
            ) + marked_blocks(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
            secret += blocks
            visible = cell.source
            for block in blocks:
                visible = visible.replace(block, "")
            public.append(visible)
        assert secret, f"{name} has no solution or hidden-test block at all"
        public_text = "\n".join(public)
        for block in secret:
            for line in block.splitlines():
                line = line.strip()
                # a line that also stands in the visible part (an import) is no leak
                if len(line) >= 12 and line not in public_text:
                    assert line not in released_code, f"{name}: leaked line {line!r}"


def fill_in(
    released: nbformat.NotebookNode,
    source: nbformat.NotebookNode,
    grade_ids: set[str] | None = None,
) -> nbformat.NotebookNode:
    """A student's submission: the released notebook with some solution cells answered."""
    answers = {nbgrader_meta(c).get("grade_id"): c.source for c in source.cells}
    submission = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in submission.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and (grade_ids is None or meta["grade_id"] in grade_ids):
            cell.source = strip_markers(answers[meta["grade_id"]])
    return submission


def graded_code_cells(notebook: nbformat.NotebookNode) -> dict[str, float]:
    return {
        nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
        for c in notebook.cells
        if nbgrader_meta(c).get("grade") and c.cell_type == "code"
    }


@pytest.fixture(scope="module")
def autograded(course):
    """Plain `nbgrader autograde` of three students of one assignment: complete, untouched
    and half done; then `generate_feedback` and `export`."""
    from nbgrader.api import Gradebook

    first_items: dict[str, set[str]] = {}
    for name in notebooks(PLAIN):
        source = nbformat.read(course / "solutions" / PLAIN / name, as_version=4)
        released = nbformat.read(course / "exercises" / PLAIN / name, as_version=4)
        solution_ids = [
            nbgrader_meta(c)["grade_id"]
            for c in source.cells
            if nbgrader_meta(c).get("solution") and c.cell_type == "code"
        ]
        first_items[name] = {solution_ids[0]}
        for student, grade_ids in (
            ("complete", None),
            ("untouched", set()),
            ("half", first_items[name]),
        ):
            folder = course / "submitted" / student / PLAIN
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(fill_in(released, source, grade_ids), folder / name)
    nbgrader("autograde", PLAIN, "--create", "--force", cwd=course)
    nbgrader("generate_feedback", PLAIN, "--force", cwd=course)
    nbgrader("export", cwd=course)
    results = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for name in notebooks(PLAIN):
            for student in STUDENTS:
                nb = gradebook.find_submission_notebook(Path(name).stem, PLAIN, student)
                results[name, student] = {
                    g.name: (g.score, g.max_score, g.auto_score is not None, g.needs_manual_grade)
                    for g in nb.grades
                }
    return course, results, first_items


STUDENTS = ("complete", "untouched", "half")


def test_solution_autogrades_to_full_automatic_points(autograded):
    _, results, _ = autograded
    for name in notebooks(PLAIN):
        source = nbformat.read(ROOT / "solutions" / PLAIN / name, as_version=4)
        expected = graded_code_cells(source)
        assert sum(expected.values()) >= 10, f"{name} must give at least 10 automatic points"
        grades = results[name, "complete"]
        for grade_id, points in expected.items():
            score, max_score, _, _ = grades[grade_id]
            assert max_score == points
            assert score == points, f"{name}: the solution scores {score}/{points} on {grade_id}"
        manual = [g for g, (_, _, _, needs) in grades.items() if needs]
        assert manual, f"{name} has no manually graded answer"


def test_released_notebook_scores_zero_and_every_test_cell_fails(autograded):
    course, results, _ = autograded
    for name in notebooks(PLAIN):
        grades = results[name, "untouched"]
        auto = graded_code_cells(nbformat.read(ROOT / "solutions" / PLAIN / name, as_version=4))
        for grade_id in auto:
            assert grades[grade_id][0] == 0, f"{name}: the stub earns points on {grade_id}"
        # and the reason is an error the student can read in the autograded notebook
        graded = nbformat.read(course / "autograded" / "untouched" / PLAIN / name, as_version=4)
        for cell in graded.cells:
            if nbgrader_meta(cell).get("grade_id") in auto:
                errors = [o for o in cell.outputs if o.output_type == "error"]
                assert errors, f"{name}: test cell {nbgrader_meta(cell)['grade_id']} passed"


def test_half_done_submission_scores_what_it_earned(autograded):
    """A submission with only the first item answered keeps exactly that item's points."""
    _, results, first_items = autograded
    for name in notebooks(PLAIN):
        source = nbformat.read(ROOT / "solutions" / PLAIN / name, as_version=4)
        auto = graded_code_cells(source)
        grades = results[name, "half"]
        ids = [nbgrader_meta(c).get("grade_id") for c in source.cells]
        solved = next(iter(first_items[name]))
        # the test cell graded for the first solution is the first graded cell after it
        test_id = next(g for g in ids[ids.index(solved) :] if g in auto)
        earned = sum(grades[g][0] for g in auto)
        assert grades[test_id][0] == auto[test_id]
        assert earned == auto[test_id], f"{name}: half-done submission earned {earned}"


def test_feedback_and_export_come_out_without_hidden_tests(autograded):
    course, results, _ = autograded
    from course_grader.workflow import Course, hidden_test_lines

    hidden = hidden_test_lines(Course.load(course), PLAIN)
    assert hidden, f"{PLAIN} has no hidden test"
    for student in STUDENTS:
        for name in notebooks(PLAIN):
            page = course / "feedback" / student / PLAIN / name.replace(".ipynb", ".html")
            assert page.is_file(), f"no feedback for {student}"
            text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
            leaked = [line for line in hidden if line in text]
            assert not leaked, f"{student}: the feedback shows hidden tests: {leaked[:3]}"
    rows = (course / "grades.csv").read_text().splitlines()
    header = rows[0].split(",")
    scores = {
        r.split(",")[header.index("student_id")]: float(r.split(",")[header.index("score")])
        for r in rows[1:]
        if r.split(",")[header.index("assignment")] == PLAIN
    }
    complete = sum(
        s
        for name in notebooks(PLAIN)
        for s, _, auto, _ in results[name, "complete"].values()
        if auto
    )
    assert set(scores) == set(STUDENTS), scores
    assert scores["untouched"] == 0 and scores["complete"] == complete, scores
