"""Autograde, feedback and export: the steps after ``collect`` (``collect.py``).

Autograding is ours (``grader``): one submission per sandbox, several in parallel, each
one's failure its own. Its results go to nbgrader's gradebook (SQLite by default, any
``db_url`` such as PostgreSQL) and to ``autograded/<student>/<assignment>/``, where
nbgrader's formgrader, ``generate_feedback`` and ``export`` find them as they would their
own. Feedback and export are nbgrader's commands, run with the course's
``nbgrader_config.py``. The reasons behind every score go to the feedback notebooks and to
``reports/<assignment>/results.json``.
"""

from __future__ import annotations

import csv
import html
import json
import multiprocessing
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, replace
from pathlib import Path

import nbformat

from course_grader.course import Course, WorkflowError, release, usable_id
from course_grader.feedback import hidden_lines
from course_grader.grader import (
    ItemResult,
    Job,
    NotebookResult,
    SubmissionResult,
    copy_submission,
    grade,
)
from course_grader.manual import refresh_rows
from course_grader.notebook import graded_items, nbgrader_meta
from course_grader.sandbox import Limits, sandbox_problem

__all__ = ["Course", "WorkflowError", "autograde", "export", "feedback", "release"]

# --- autograde ---------------------------------------------------------------------------
_SLOT = 0


def _init_worker(slots) -> None:
    global _SLOT
    _SLOT = slots.get()


def _grade_in_worker(job: Job) -> SubmissionResult:
    return _grade_safely(replace(job, slot=_SLOT))


def students_of(course: Course, assignment: str) -> list[str]:
    """Every student with a submission folder, and every student the gradebook knows."""
    from nbgrader.api import Gradebook

    folders = {p.parent.name for p in course.path("submitted").glob(f"*/{assignment}")}
    with Gradebook(course.db_url, course.course_id) as gradebook:
        roster = {s.id for s in gradebook.students}
    return sorted(folders | roster)


def autograde(
    course: Course,
    assignment: str,
    *,
    students: list[str] | None = None,
    jobs: int = 1,
    limits: Limits | None = None,
    isolate: bool = True,
    progress: Callable[[SubmissionResult], None] | None = None,
    cluster: str | None = None,
) -> list[SubmissionResult]:
    """Grade every submission; each result reaches the gradebook as soon as it is ready.

    ``cluster`` (``tcp://host:8786``) grades on that Dask scheduler's workers instead of
    ``jobs`` local processes (``course_grader.cluster``); the sandbox is checked there.
    """
    from nbgrader.api import Gradebook, MissingEntry

    course.check_assignment(assignment)
    if not course.path("release", assignment).is_dir():
        raise WorkflowError(f"{assignment} is not released: run `course release {assignment}`")
    with Gradebook(course.db_url, course.course_id) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise WorkflowError(
                f"{assignment} is not in the gradebook: run `course release {assignment}`"
            ) from None
    problem = sandbox_problem() if isolate and cluster is None else None
    if problem:
        raise WorkflowError(
            f"student code needs the sandbox, and {problem}; or pass --unsafe-no-sandbox on "
            "a machine where the students are trusted"
        )
    limits = limits or Limits(cell_timeout=course.timeout)
    students = students if students is not None else students_of(course, assignment)
    for student in students:
        if not usable_id(student):
            raise WorkflowError(f"student id {student!r} is not valid")
    scratch = Path(tempfile.mkdtemp(prefix="course-grade-"))
    scratch.chmod(0o755)
    work = [
        Job(
            student,
            assignment,
            course.path("submitted", student, assignment),
            course.path("source", assignment),
            course.path("release", assignment),
            scratch / student,
            limits,
            isolate,
        )
        for student in students
    ]
    results = []
    try:
        if cluster is not None:
            from course_grader.cluster import grade_on_cluster

            results += grade_on_cluster(course, work, cluster, progress)
        elif jobs <= 1:
            for job in work:
                results.append(_finish(course, _grade_safely(job), progress))
        else:
            results += _grade_in_pool(course, work, jobs, progress)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results.sort(key=lambda r: r.student)
    write_reports(course, assignment, results)
    return results


def _grade_safely(job: Job) -> SubmissionResult:
    try:
        return grade(job)
    except Exception as error:  # a bug of the grader: this submission waits for a person
        return failed_result(job, f"grader error ({type(error).__name__}: {error})")


def failed_result(job: Job, reason: str) -> SubmissionResult:
    """Every item left for the instructor, with the reason the grader could not do it."""
    notebooks = []
    for path in sorted(job.source.glob("*.ipynb")):
        source = nbformat.read(path, as_version=4)
        items = [
            ItemResult(path.stem, gid, kind, points, None, "grader_error", reason)
            for gid, kind, points in graded_items(source)
        ]
        release = nbformat.read(job.release / path.name, as_version=4)
        notebooks.append(NotebookResult(path.stem, items, [reason], None, release))
    return SubmissionResult(job.student, job.assignment, notebooks)


def _grade_in_pool(course: Course, work: list[Job], jobs: int, progress) -> list[SubmissionResult]:
    """Grade in worker processes; a worker that dies costs its jobs a retry, not the batch."""
    context = multiprocessing.get_context("spawn")
    results, attempts, pending = [], dict.fromkeys(range(len(work)), 0), list(range(len(work)))
    while pending:
        slots = context.Queue()
        for slot in range(jobs):
            slots.put(slot)
        retry = []
        with ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_init_worker, initargs=(slots,)
        ) as pool:
            futures = {pool.submit(_grade_in_worker, work[n]): n for n in pending}
            for future in as_completed(futures):
                n = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    attempts[n] += 1
                    if attempts[n] < 2:
                        retry.append(n)
                        continue
                    result = failed_result(work[n], "grader error: its worker process died twice")
                except Exception as error:
                    result = failed_result(
                        work[n], f"grader error ({type(error).__name__}: {error})"
                    )
                results.append(_finish(course, result, progress))
        pending = retry
    return results


def _finish(course: Course, result: SubmissionResult, progress) -> SubmissionResult:
    record(course, result)
    write_autograded(course, result)
    if progress is not None:
        progress(result)
    return result


def record(course: Course, result: SubmissionResult) -> None:
    """Write one submission's scores to the gradebook, keeping any manual score."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    assignment, student = result.assignment, result.student
    with Gradebook(course.db_url, course.course_id) as gradebook, warnings.catch_warnings():
        # nbgrader 0.9's update_or_create_submission trips SQLAlchemy 2's autoflush warning
        warnings.filterwarnings("ignore", message=".*not in session.*")
        gradebook.update_or_create_student(student)
        try:
            stamp = parse_utc(result.timestamp) if result.timestamp else None
        except ValueError:
            stamp = None
        extra = {"timestamp": stamp} if stamp else {}
        gradebook.update_or_create_submission(assignment, student, **extra)
        for notebook in result.notebooks:
            for item in notebook.items:
                grade = gradebook.find_grade(item.grade_id, notebook.name, assignment, student)
                grade.auto_score = item.score
                grade.needs_manual_grade = grade.manual_score is not None or item.score is None
            for item in notebook.items:
                if item.kind == "manual":
                    comment = gradebook.find_comment(
                        item.grade_id, notebook.name, assignment, student
                    )
                    comment.auto_comment = "No response." if item.status == "no_response" else None
        gradebook.db.commit()


def write_autograded(course: Course, result: SubmissionResult) -> None:
    """``autograded/<student>/<assignment>/``: the submitted files and graded notebooks."""
    dest = course.path("autograded", result.student, result.assignment)
    shutil.rmtree(dest, ignore_errors=True)
    notes: list[str] = []
    copy_submission(course.path("submitted", result.student, result.assignment), dest, notes)
    for path in dest.glob("*.ipynb"):
        path.unlink()
    for notebook in result.notebooks:
        nbformat.write(notebook.notebook, dest / f"{notebook.name}.ipynb")


def write_reports(course: Course, assignment: str, results: list[SubmissionResult]) -> Path:
    """``reports/<assignment>/results.json`` and ``items.csv``, merged with earlier runs and
    brought up to date with the gradebook's manual scores and comments (the formgrader's):
    ``write_reports(course, assignment, [])`` only refreshes them."""
    folder = course.root / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    merged = {}
    if path.exists():
        merged = {r["student"]: r for r in json.loads(path.read_text())}
    for result in results:
        merged[result.student] = {
            "student": result.student,
            "score": result.score,
            "max_score": result.max_score,
            "seconds": round(result.seconds, 3),
            "notebooks": [
                {
                    "name": nb.name,
                    "problem": nb.problem,
                    "notes": list(dict.fromkeys(nb.notes)),
                    "items": [asdict(i) for i in nb.items],
                }
                for nb in result.notebooks
            ],
        }
    rows = [merged[s] for s in sorted(merged)]
    refresh_rows(course.db_url, course.course_id, assignment, rows)
    path.write_text(json.dumps(rows, indent=1))
    with open(folder / "items.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "student",
                "notebook",
                "item",
                "kind",
                "score",
                "max_points",
                "status",
                "reason",
                "comment",
            ]
        )
        for row in rows:
            for nb in row["notebooks"]:
                for item in nb["items"]:
                    writer.writerow(
                        [
                            row["student"],
                            nb["name"],
                            item["grade_id"],
                            item["kind"],
                            "" if item["score"] is None else item["score"],
                            item["max_points"],
                            item["status"],
                            item["reason"],
                            item.get("comment") or "",
                        ]
                    )
    return path


# --- feedback and export -----------------------------------------------------------------
def hidden_test_lines(course: Course, assignment: str) -> set[str]:
    """Lines of hidden tests that appear nowhere in the released notebooks."""
    lines = set()
    for path in course.path("source", assignment).glob("*.ipynb"):
        released = course.path("release", assignment, path.name)
        public = ""
        if released.exists():
            public = "\n".join(c.source for c in nbformat.read(released, as_version=4).cells)
        for cell in nbformat.read(path, as_version=4).cells:
            if nbgrader_meta(cell).get("grade"):
                lines |= {line for line in hidden_lines(cell.source) if line not in public}
    return lines


def feedback(course: Course, assignment: str) -> list[Path]:
    """``nbgrader generate_feedback``; then check that no hidden test reached a page.

    The pages show the formgrader's scores and comments (``feedback.RefreshReport``), and
    ``reports/<assignment>/`` is brought up to date with them too.
    """
    course.check_assignment(assignment)
    course.nbgrader("generate_feedback", assignment, "--force")
    if (course.root / "reports" / assignment / "results.json").exists():
        write_reports(course, assignment, [])
    pages = sorted(course.path("feedback").glob(f"*/{assignment}/*.html"))
    hidden = hidden_test_lines(course, assignment)
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        leaked = [line for line in hidden if line in text]
        if leaked:
            raise WorkflowError(f"{page} shows hidden tests, for example {leaked[0]!r}")
    return pages


def export(course: Course, to: Path | None = None) -> Path:
    """``nbgrader export``: one CSV row per student and assignment, manual scores included;
    every ``reports/<assignment>/`` is brought up to date with them too."""
    to = Path(to or course.root / "grades.csv").resolve()
    course.nbgrader("export", f"--to={to}")
    for assignment in course.assignments():
        if (course.root / "reports" / assignment / "results.json").exists():
            write_reports(course, assignment, [])
    return to
