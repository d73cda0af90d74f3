"""Time every notebook of the book and of solutions/, then the autograder (make benchmark).

Each notebook runs alone, in a fresh kernel, top to bottom, as a student would run it (one
after another, so that no two share the cores); any over the 60 s budget of a 2-core CPU
is flagged. Then `course autograde` is compared with plain serial `nbgrader autograde` on
the same generated submissions (scripts/benchmark_grading.py): identical grades, and
`course` not slower. The timings live here and not in the test suite, where a busy machine
would make them fail.

It ends with a projection of `make test` for twelve chapters from the measured times.

Usage: make benchmark   (or: .venv/bin/python scripts/benchmark.py [--from-build] [--no-grading])
  --from-build   print the times the last book build recorded (_build/notebook-times.json)
                 instead of executing the book notebooks again
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 60.0


def notebooks(folder: str) -> list[Path]:
    found = sorted((ROOT / folder).glob("**/*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def run_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def time_notebooks(paths: list[Path]) -> list[tuple[str, float, str]]:
    rows = []
    for path in paths:
        name = path.relative_to(ROOT).as_posix()
        start = time.perf_counter()
        try:
            seconds = run_notebook(path)
        except Exception as exc:  # report the notebook and go on with the others
            rows.append((name, time.perf_counter() - start, f"FAILED: {type(exc).__name__}"))
        else:
            rows.append((name, seconds, "ok" if seconds < BUDGET_S else f"OVER {BUDGET_S:.0f} s"))
        print(f"  {rows[-1][1]:6.1f} s  {rows[-1][2]:<10} {name}", flush=True)
    return rows


def from_build() -> list[tuple[str, float, str]]:
    report = json.loads((ROOT / "_build" / "notebook-times.json").read_text())["notebooks"]
    rows = []
    for name, row in report.items():
        seconds = row["seconds"] or 0.0
        status = row["status"] if row["status"] != "ok" else "ok"
        rows.append((name, seconds, status.upper() if status.startswith("over") else status))
    return rows


def grading_benchmark() -> tuple[bool, str]:
    spec = importlib.util.spec_from_file_location(
        "benchmark_grading", ROOT / "scripts" / "benchmark_grading.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory() as tmp:
        result = module.run_benchmark(6, 2, Path(tmp))
    plain = result["plain_seconds_per_submission"]
    ours = result["course_seconds_per_submission"]
    ok = result["identical"] and ours <= plain
    line = (
        f"autograder, 6 submissions of 02_metrics: course {ours:.2f} s per submission, "
        f"plain nbgrader {plain:.2f} s; grades "
        f"{'identical' if result['identical'] else 'DIFFERENT: ' + str(result['differences'])}"
        f"{'' if ours <= plain else '; course is SLOWER'}"
    )
    return ok, line


def print_table(rows: list[tuple[str, float, str]]) -> None:
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{'notebook':<{width}}  {'wall time':>10}  status")
    for name, seconds, status in rows:
        print(f"{name:<{width}}  {seconds:>8.1f} s  {status}")
    total = sum(seconds for _, seconds, _ in rows)
    print(
        f"{'total (' + str(len(rows)) + ' notebooks, one after another)':<{width}}  {total:>8.1f} s"
    )


def projection(book_rows, solution_rows) -> None:
    """Notebook time for twelve chapters, scaled from this machine's per-chapter times."""
    chapters = len({Path(name).parts[1] for name, _, _ in book_rows}) or 1
    book = sum(s for _, s, _ in book_rows) / chapters
    solution = sum(s for _, s, _ in solution_rows) / max(len(solution_rows), 1)
    print(
        f"\nPer chapter ({chapters} chapters in the book): its book notebooks {book:.0f} s, "
        f"its solution notebook {solution:.0f} s (one core, one after another)."
    )
    # each book notebook executes once (in the build), each solution about three times (the
    # solution, the release and a half-done submission in one autograde pass)
    print(
        "Twelve chapters: about "
        f"{12 * (book + 3 * solution) / 60:.0f} core-minutes of notebooks per run without a "
        "cache, divided among the cores (README.md has the whole projection)."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-build", action="store_true", help="the build's recorded times")
    parser.add_argument("--no-grading", action="store_true", help="skip the autograder timing")
    args = parser.parse_args()
    if args.from_build:
        book_rows = from_build()
    else:
        print("book notebooks, one at a time:")
        book_rows = time_notebooks(notebooks("book"))
    print("solution notebooks, one at a time:")
    solution_rows = time_notebooks(notebooks("solutions"))
    print_table(book_rows + solution_rows)
    over = [name for name, _, status in book_rows + solution_rows if status != "ok"]
    if over:
        print(f"\nOVER BUDGET OR FAILED ({len(over)}): {', '.join(over)}")
    projection(book_rows, solution_rows)
    grading_ok = True
    if not args.no_grading:
        grading_ok, line = grading_benchmark()
        print("\n" + line)
    return 0 if not over and grading_ok else 1


if __name__ == "__main__":
    sys.exit(main())
