"""The ``course`` command: the instructor's workflow in a few words.

    course release 02_metrics                  exercises/ from solutions/ (nbgrader)
    course collect 02_metrics submissions.zip  an LMS download, or a folder per student
    course autograde 02_metrics --jobs 2       sandboxed grading into the gradebook
    course autograde 02_metrics --cluster URL  the same on Dask workers (tcp://host:8786)
    course feedback 02_metrics                 feedback pages, without hidden tests
    course export --to grades.csv              one row per student and assignment
    course grade 02_metrics submissions.zip    collect + autograde + feedback + export
    course report 02_metrics                   score distributions and most-failed tests

Run it in the course root (where ``nbgrader_config.py`` is) or pass ``--root``. The plain
``nbgrader`` commands keep working on the same folders and gradebook.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course_grader.collect import Collected, collect_folder, collect_zip
from course_grader.course import Course, WorkflowError, release
from course_grader.grader import SubmissionResult
from course_grader.sandbox import Limits
from course_grader.workflow import autograde, export, feedback


def summary_table(results: list[SubmissionResult], width: int = 72) -> str:
    """One line per student: score, items passed, and why points were lost."""
    rows = []
    for result in results:
        auto = [i for i in result.items if i.kind == "auto"]
        passed = sum(i.status == "passed" for i in auto)
        problems = [nb.problem for nb in result.notebooks if nb.problem]
        lost = [f"{i.grade_id}: {i.reason}" for i in auto if i.status != "passed"]
        manual = sum(i.score is None for i in result.items)
        why = "; ".join(problems or lost) or "all automatic tests passed"
        if manual:
            why += f" [{manual} to grade by hand]"
        rows.append(
            [
                result.student,
                f"{result.score:g} / {result.max_score:g}",
                f"{passed}/{len(auto)}",
                why[:width],
            ]
        )
    headers = ["student", "score", "tests", "reason"]
    widths = [max(len(str(r[k])) for r in [headers, *rows]) for k in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _collect(course: Course, assignment: str, source: Path) -> Collected:
    if source.is_dir():
        collected = collect_folder(course, assignment, source)
    elif source.suffix.lower() == ".zip":
        collected = collect_zip(course, assignment, source)
    else:
        raise WorkflowError(f"submissions must be a folder or a .zip file, got {source}")
    print(f"collected {len(collected.students)} submissions of {assignment}")
    for path, reason in collected.skipped:
        print(f"  note: {path}: {reason}")
    return collected


def _autograde(course: Course, args) -> list[SubmissionResult]:
    from tqdm.auto import tqdm

    limits = Limits(cell_timeout=args.timeout or course.timeout)
    from course_grader.workflow import students_of

    students = args.student or students_of(course, args.assignment)
    with tqdm(
        total=len(students),
        desc=f"grading {args.assignment}",
        unit="submission",
        file=sys.stderr,
        disable=args.quiet,
    ) as bar:

        def advance(result: SubmissionResult) -> None:
            bar.set_postfix_str(f"{result.student}: {result.score:g}/{result.max_score:g}")
            bar.update()

        results = autograde(
            course,
            args.assignment,
            students=students,
            jobs=args.jobs,
            cluster=args.cluster,
            limits=limits,
            isolate=not args.unsafe_no_sandbox,
            progress=advance,
        )
    print(summary_table(results))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the course directory")
    parser.add_argument("--db-url", help="gradebook URL (default: nbgrader_config.py's)")
    commands = parser.add_subparsers(dest="command", required=True)

    def grading_options(sub):
        sub.add_argument(
            "--jobs",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="submissions graded at once (default: CPU count, at most 4)",
        )
        sub.add_argument("--timeout", type=float, help="seconds per cell (default: config)")
        sub.add_argument(
            "--unsafe-no-sandbox",
            action="store_true",
            help="run student code without bubblewrap (trusted students only)",
        )
        sub.add_argument("--quiet", action="store_true", help="no progress bar")
        sub.add_argument(
            "--cluster",
            metavar="tcp://HOST:8786",
            help="grade on the workers of this Dask scheduler instead of --jobs local "
            "processes (see the instructor guide: workers need the course environment)",
        )

    sub = commands.add_parser("release", help="generate exercises/<assignment> from solutions/")
    sub.add_argument("assignment")
    sub = commands.add_parser("collect", help="collect submissions from a folder or an LMS zip")
    sub.add_argument("assignment")
    sub.add_argument("source", type=Path)
    sub = commands.add_parser("autograde", help="grade the collected submissions")
    sub.add_argument("assignment")
    sub.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grading_options(sub)
    sub = commands.add_parser("feedback", help="write feedback pages without hidden tests")
    sub.add_argument("assignment")
    sub = commands.add_parser("export", help="export the gradebook as CSV")
    sub.add_argument("--to", type=Path, help="CSV path (default: grades.csv in the root)")
    sub = commands.add_parser("grade", help="collect, autograde, feedback and export in one go")
    sub.add_argument("assignment")
    sub.add_argument("source", type=Path, help="a folder per student, or an LMS .zip")
    sub.add_argument("--to", type=Path, help="CSV path (default: grades.csv in the root)")
    grading_options(sub)
    sub = commands.add_parser("report", help="plots and an HTML page of an assignment's results")
    sub.add_argument("assignment")
    sub.add_argument("--out", type=Path, help="folder (default: reports/<assignment>/)")
    args = parser.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    try:
        course = Course.load(args.root, args.db_url)
        if args.command == "release":
            print(f"released {release(course, args.assignment)}")
        elif args.command == "collect":
            _collect(course, args.assignment, args.source)
        elif args.command == "autograde":
            args.student = args.student or None
            _autograde(course, args)
        elif args.command == "feedback":
            print(f"wrote {len(feedback(course, args.assignment))} feedback pages")
        elif args.command == "export":
            print(f"exported {export(course, args.to)}")
        elif args.command == "grade":
            _collect(course, args.assignment, args.source)
            args.student = None
            _autograde(course, args)
            print(f"wrote {len(feedback(course, args.assignment))} feedback pages")
            print(f"exported {export(course, args.to)}")
        elif args.command == "report":
            from course_grader.report import write_report

            print(f"wrote {write_report(course, args.assignment, args.out)}")
    except WorkflowError as error:
        print(f"course {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
