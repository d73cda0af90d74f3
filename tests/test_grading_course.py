"""`course grade` on a class with a corpus of bad submissions of chapter 02.

Questions answered here:
- Does each bad submission (tests/grading_corpus.py) get exactly its expected score, with
  a reason a student can read, whatever it did to the tests, the kernel or the machine?
- Is the rest of the class graded as usual, in the same batch?
- Does the gradebook agree with the report, and did no submission change it?
- Do the feedback pages show the reasons and never a hidden test?
- Is nothing written outside the sandboxes, and does no sandbox process survive?
- Does `course report` draw the plots and the page?
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from grading_corpus import (
    ASSIGNMENT,
    CASES,
    NOTEBOOK,
    POINTS,
    Kit,
    sandbox_processes,
    solution_answers,
    write_case,
)

from course_grader import cli
from course_grader.sandbox import FIRST_UID, sandbox_problem
from course_grader.workflow import Course, hidden_test_lines

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.grading,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]
# The rest of the class: ordinary submissions graded in the same batch.
CLASS = {
    "ada": (
        "q1_confusion_matrix",
        "q2_per_class_scores",
        "q3_f1_average",
        "q4_roc_points",
        "q5_average_precision",
    ),
    "ben": ("q1_confusion_matrix", "q4_roc_points"),
    "cyd": (),
}
CLASS_SCORES = {"ada": 12, "ben": 5, "cyd": 0}
OUTSIDE = ("PWNED.txt", "solutions/PWNED.txt")


def run_cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(args))
    assert code == 0, out.getvalue()
    return out.getvalue()


def make_course(root: Path) -> Path:
    """A course root with chapter 02's source, released with `course release`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    run_cli("--root", str(root), "release", ASSIGNMENT)
    return root


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("course"))
    release = nbformat.read(root / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(root / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    kit = Kit(release, solution_answers(source), root)
    incoming = root.parent / "incoming"
    for case in CASES:
        write_case(case, kit, incoming)
    for student, solved in CLASS.items():
        (incoming / student).mkdir()
        nbformat.write(kit.notebook(solved=solved), incoming / student / NOTEBOOK)
    output = run_cli(
        "--root",
        str(root),
        "grade",
        ASSIGNMENT,
        str(incoming),
        "--jobs",
        "2",
        "--timeout",
        "10",
        "--quiet",
    )
    results = {
        r["student"]: r
        for r in json.loads((root / "reports" / ASSIGNMENT / "results.json").read_text())
    }
    return root, results, output


def auto_score(row: dict) -> float:
    return sum(
        i["score"] or 0 for nb in row["notebooks"] for i in nb["items"] if i["kind"] == "auto"
    )


def outputs_text(root: Path, student: str) -> str:
    path = root / "autograded" / student / ASSIGNMENT / NOTEBOOK
    notebook = nbformat.read(path, as_version=4)
    parts = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")) + str(out.get("evalue", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_bad_submission_gets_its_expected_score_and_reason(graded, case):
    root, results, _ = graded
    row = results[case.name]
    assert auto_score(row) == case.score, f"{case.name} ({case.what}): {row}"
    items = {i["grade_id"]: i for nb in row["notebooks"] for i in nb["items"]}
    for grade_id, points in POINTS.items():  # each item is all or nothing in chapter 02
        assert items[grade_id]["score"] in (0, points)
        assert items[grade_id]["reason"], f"{case.name}: {grade_id} has no reason"
    for grade_id, piece in case.reasons.items():
        assert piece in items[grade_id]["reason"], (case.name, grade_id, items[grade_id])
    notes = " ".join(n for nb in row["notebooks"] for n in nb["notes"] + [nb["problem"] or ""])
    for piece in case.notes:
        assert piece in notes, (case.name, notes)
    if row["notebooks"][0]["problem"] is None:
        shown = outputs_text(root, case.name)
        for piece in case.shown:
            assert piece in shown, (case.name, piece)
        for forbidden in ("READ ", "WROTE", "CONNECTED", "BEGIN HIDDEN TESTS", "BEGIN SOLUTION"):
            assert forbidden not in shown, (case.name, forbidden)


def test_the_rest_of_the_class_is_graded_in_the_same_batch(graded):
    _, results, output = graded
    assert set(results) == {c.name for c in CASES} | set(CLASS)
    for student, expected in CLASS_SCORES.items():
        assert auto_score(results[student]) == expected
    for student in results:  # the summary table has a line, with a reason, for everyone
        assert re.search(rf"^{student}\s+\S+ / 14\s+\d/5\s+\S", output, re.M), student
    assert "links are not accepted" in output  # the symlink case, reported at collection


def test_gradebook_agrees_with_the_report_and_no_submission_changed_it(graded):
    from nbgrader.api import Gradebook

    root, results, _ = graded
    course = Course.load(root)
    with Gradebook(course.db_url, course.course_id) as gradebook:
        for student, row in results.items():
            submission = gradebook.find_submission(ASSIGNMENT, student)
            assert submission.score == pytest.approx(row["score"]), student
            assert submission.max_score == 14
            grades = {
                g.name: g
                for g in gradebook.find_submission_notebook(
                    ASSIGNMENT.split("/")[-1], ASSIGNMENT, student
                ).grades
            }
            assert set(grades) == {*POINTS, "q6_written"}
            for item in row["notebooks"][0]["items"]:
                grade = grades[item["grade_id"]]
                assert grade.auto_score == item["score"]
                assert grade.manual_score is None  # nobody set 99, or anything else
                assert grade.needs_manual_grade == (item["score"] is None)


def test_feedback_shows_reasons_and_no_hidden_test(graded):
    root, results, _ = graded
    hidden = hidden_test_lines(Course.load(root), ASSIGNMENT)
    assert len(hidden) > 20
    for student in results:
        page = root / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        assert "Autograder report" in text
        assert not [line for line in hidden if line in text], student
    os_exit = root / "feedback" / "os_exit" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    assert "exited with status 1" in html.unescape(os_exit.read_text())


def test_export_has_one_row_per_student_with_the_gradebook_score(graded):
    root, results, _ = graded
    rows = (root / "grades.csv").read_text().splitlines()
    header = rows[0].split(",")
    by_student = {r.split(",")[header.index("student_id")]: r.split(",") for r in rows[1:]}
    assert set(by_student) == set(results)
    for student, row in results.items():
        assert float(by_student[student][header.index("score")]) == row["score"]


def test_nothing_was_written_outside_and_no_sandbox_process_survives(graded):
    root, _, _ = graded
    for name in OUTSIDE:
        assert not (root / name).exists()
    assert not Path("/tmp/PWNED-by-submission.txt").exists()
    assert not Path("/root/PWNED.txt").exists()
    assert not sandbox_processes(FIRST_UID)


def test_report_draws_plots_and_a_page(graded):
    root, results, _ = graded
    run_cli("--root", str(root), "report", ASSIGNMENT)
    folder = root / "reports" / ASSIGNMENT
    for name in ("scores.png", "items.png", "failures.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (folder / "index.html").read_text()
    assert f"{len(results)} students" in page
    assert "q1_tests" in page and "os_exit" in page
    # the most frequent reason for q1 is the stub (several cases leave it unanswered)
    assert "released stub" in page
