"""Collect submissions into ``submitted/<student>/<assignment>/``: a folder, or an LMS zip.

A folder holds one folder per student (``ada/02_metrics.ipynb`` or
``ada/02_metrics/02_metrics.ipynb``). An LMS download goes through ``nbgrader
zip_collect`` with the pattern in ``nbgrader_config.py``; a notebook the pattern misses is
filed by the login before its first underscore, and every file that is not filed is
reported. Only regular files are copied: links never.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from course_grader.course import STUDENT_ID, Course, WorkflowError
from course_grader.grader import copy_submission


@dataclass
class Collected:
    students: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def _store(
    course: Course, assignment: str, student: str, files: Iterable[Path], collected: Collected
) -> None:
    dest = course.path("submitted", student, assignment)
    if student not in collected.students:
        collected.students.append(student)
    dest.mkdir(parents=True, exist_ok=True)
    for path in files:
        if path.is_symlink() or not path.is_file():
            collected.skipped.append((str(path), "not a regular file (links are not accepted)"))
        else:
            shutil.copyfile(path, dest / path.name)


def collect_folder(course: Course, assignment: str, folder: Path) -> Collected:
    """Copy ``folder/<student>/[<assignment>/]*`` into ``submitted/<student>/<assignment>/``."""
    course.check_assignment(assignment)
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkflowError(f"submissions folder {folder} does not exist")
    collected = Collected()
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir() or entry.is_symlink():
            collected.skipped.append((str(entry), "not in a student's folder"))
            continue
        if not STUDENT_ID.match(entry.name):
            collected.skipped.append((str(entry), f"{entry.name!r} is not a valid student id"))
            continue
        inner = entry / assignment if (entry / assignment).is_dir() else entry
        notes: list[str] = []
        workdir = course.path("submitted", entry.name, assignment)
        if entry.name in collected.students:
            continue
        shutil.rmtree(workdir, ignore_errors=True)
        copy_submission(inner, workdir, notes)
        collected.students.append(entry.name)
        collected.skipped += [(str(inner), note) for note in notes]
    return collected


def collect_zip(course: Course, assignment: str, archive: Path) -> Collected:
    """``nbgrader zip_collect`` on an LMS download; files its pattern misses are reported."""
    course.check_assignment(assignment)
    archive = Path(archive)
    if not archive.is_file():
        raise WorkflowError(f"submissions archive {archive} does not exist")
    downloaded = course.root / "downloaded" / assignment
    shutil.rmtree(downloaded, ignore_errors=True)
    (downloaded / "archive").mkdir(parents=True)
    shutil.copyfile(archive, downloaded / "archive" / archive.name)
    course.nbgrader("zip_collect", assignment, "--force")
    collected = Collected()
    pattern = re.compile(course.named_regexp) if course.named_regexp else None
    for path in sorted((downloaded / "extracted").rglob("*")):
        if not path.is_file():
            continue
        match = pattern.match(str(path)) if pattern else None
        if match and STUDENT_ID.match(match.group("student_id")):
            if match.group("student_id") not in collected.students:
                collected.students.append(match.group("student_id"))
            continue
        guess = path.name.split("_")[0] if "_" in path.name else ""
        if path.suffix == ".ipynb" and STUDENT_ID.match(guess):
            _store(course, assignment, guess, [path], collected)
            collected.skipped.append((path.name, f"name not in the LMS pattern: filed for {guess}"))
        else:
            collected.skipped.append((path.name, "not matched to any student"))
    collected.students.sort()
    return collected
