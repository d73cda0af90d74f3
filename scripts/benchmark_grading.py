"""Throughput of the autograder: plain serial `nbgrader autograde` against `course autograde`.

Generates N submissions of an assignment (each item solved, left as the stub, or answered
with a wrong constant, drawn at random with a fixed seed), puts the same files in two
copies of the course, grades one copy with plain `nbgrader autograde` (one submission
after another, as nbgrader does) and the other with `course autograde --jobs J`
(sandboxed, J at a time), and compares every grade of every student.

Usage: .venv/bin/python scripts/benchmark_grading.py [--n 50] [--jobs 2]
Exits non-zero when a score differs or `course` is slower.

With ``--cluster-workers 1,2`` it measures `course autograde --cluster` instead: N copies
of the solution graded on a Dask scheduler and W single-threaded workers started on this
machine, for each W, then locally with `--jobs` for reference; submissions per minute,
and every grade compared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("BEGIN SOLUTION", "END SOLUTION")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - start


def _answers(source) -> dict[str, str]:
    answers = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            lines = [ln for ln in cell.source.splitlines() if not any(m in ln for m in MARKERS)]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def _wrong(code: str) -> str:
    """The solution's signature with a body that returns a constant: runs, but is wrong."""
    head = code.split('"""')[0] + '"""' + code.split('"""')[1] + '"""'
    return head + "\n    return 0.5"


def generate(source, release, n: int, seed: int = 0) -> dict[str, nbformat.NotebookNode]:
    """``n`` students' notebooks, each item solved, stub or wrong, drawn with ``seed``."""
    rng = random.Random(seed)
    answers = _answers(source)
    students = {}
    for k in range(n):
        notebook = nbformat.from_dict(json.loads(json.dumps(release)))
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                draw = rng.random()
                if draw < 0.6:
                    cell.source = answers[grade_id]
                elif draw < 0.75:
                    cell.source = _wrong(answers[grade_id])
        students[f"student{k:03d}"] = notebook
    return students


def _course(folder: Path, assignment: str) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "solutions" / assignment, folder / "solutions" / assignment)
    _run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"], folder)
    return folder


def _grades(course: Path, assignment: str) -> dict[tuple[str, str], float | None]:
    from nbgrader.api import Gradebook

    grades = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grades[submission.student.id, grade.name] = grade.auto_score
    return grades


def run_benchmark(n: int, jobs: int, workdir: Path, assignment: str = "02_metrics") -> dict:
    """Grade ``n`` generated submissions both ways; return timings and the comparison."""
    plain = _course(workdir / "plain", assignment)
    ours = _course(workdir / "course", assignment)
    name = sorted(p.name for p in (ROOT / "solutions" / assignment).glob("*.ipynb"))[0]
    source = nbformat.read(plain / "solutions" / assignment / name, as_version=4)
    release = nbformat.read(plain / "exercises" / assignment / name, as_version=4)
    for student, notebook in generate(source, release, n).items():
        for course in (plain, ours):
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / name)
    plain_s = _run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], plain)
    ours_s = _run(
        [
            sys.executable,
            "-m",
            "course_grader.cli",
            "--root",
            str(ours),
            "autograde",
            assignment,
            "--jobs",
            str(jobs),
            "--quiet",
        ],
        ours,
    )
    plain_grades, our_grades = _grades(plain, assignment), _grades(ours, assignment)
    differ = sorted(k for k in plain_grades if plain_grades[k] != our_grades.get(k))
    return {
        "submissions": n,
        "jobs": jobs,
        "plain_seconds_per_submission": plain_s / n,
        "course_seconds_per_submission": ours_s / n,
        "grades_compared": len(plain_grades),
        "identical": not differ and len(plain_grades) == len(our_grades),
        "differences": differ[:10],
    }


@contextlib.contextmanager
def dask_cluster(workers: int, folder: Path):
    """A Dask scheduler and ``workers`` one-thread worker processes on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    common = ["--no-dashboard", "--host", "127.0.0.1"]
    argvs = [
        [dask, "scheduler", "--port", str(port), *common],
        [dask, "worker", address, "--nthreads", "1", "--nworkers", str(workers), *common],
    ]
    argvs[1] += ["--local-directory", str(folder), "--preload", "course_grader.cluster"]
    processes = [
        subprocess.Popen(
            argv,
            cwd=folder,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for argv in argvs
    ]
    try:
        from distributed import Client

        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=300)
        yield address
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run_cluster_benchmark(
    n: int, worker_counts: list[int], jobs: int, workdir: Path, assignment: str = "02_metrics"
) -> dict:
    """Grade ``n`` copies of the solution on 1, 2, ... Dask workers, then locally."""
    template = workdir / "template"
    template.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", template)
    shutil.copytree(ROOT / "solutions" / assignment, template / "solutions" / assignment)
    cli = [sys.executable, "-m", "course_grader.cli", "--root"]
    _run([*cli, str(template), "release", assignment], template)
    for path in sorted((template / "solutions" / assignment).glob("*.ipynb")):
        source = nbformat.read(path, as_version=4)
        release = nbformat.read(template / "exercises" / assignment / path.name, as_version=4)
        solved = nbformat.from_dict(json.loads(json.dumps(release)))
        answers = _answers(source)
        for cell in solved.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            cell.source = answers.get(grade_id, cell.source)
        for k in range(n):
            folder = template / "submitted" / f"student{k:03d}" / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(solved, folder / path.name)
    runs, grades = {}, {}
    for label in [*[f"cluster-{w}" for w in worker_counts], f"local-jobs-{jobs}"]:
        course = workdir / label
        shutil.copytree(template, course)
        grade = [*cli, str(course), "autograde", assignment, "--quiet"]
        if label.startswith("cluster"):
            workers = int(label.split("-")[1])
            (workdir / f"{label}-dask").mkdir()
            with dask_cluster(workers, workdir / f"{label}-dask") as address:
                seconds = _run([*grade, "--cluster", address], course)
        else:
            seconds = _run([*grade, "--jobs", str(jobs)], course)
        runs[label] = {"seconds": seconds, "per_minute": 60 * n / seconds}
        grades[label] = _grades(course, assignment)
    first = next(iter(grades.values()))
    return {
        "submissions": n,
        "runs": runs,
        "grades_compared": len(first),
        "identical": all(g == first for g in grades.values()) and len(first) > 0,
    }


def cluster_main(args) -> int:
    counts = [int(w) for w in args.cluster_workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="benchmark-cluster-") as folder:
        result = run_cluster_benchmark(args.n, counts, args.jobs, Path(folder), args.assignment)
    print(f"{args.n} copies of the solution of {args.assignment}, {os.cpu_count()} CPUs")
    for label, run in result["runs"].items():
        print(f"  {label:<14} {run['seconds']:7.1f} s  {run['per_minute']:6.1f} submissions/min")
    print(
        f"  {result['grades_compared']} grades per run compared: "
        f"{'identical' if result['identical'] else 'DIFFERENT'}"
    )
    return 0 if result["identical"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50, help="submissions to generate (50)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--assignment", default="02_metrics")
    parser.add_argument(
        "--cluster-workers", help="time `--cluster` with these worker counts instead (1,2)"
    )
    args = parser.parse_args()
    if args.n < 1 or args.jobs < 1:
        parser.error("--n and --jobs must be at least 1")
    if args.cluster_workers:
        return cluster_main(args)
    with tempfile.TemporaryDirectory(prefix="benchmark-grading-") as folder:
        result = run_benchmark(args.n, args.jobs, Path(folder), args.assignment)
    plain, ours = result["plain_seconds_per_submission"], result["course_seconds_per_submission"]
    print(f"{args.n} submissions of {args.assignment}, {os.cpu_count()} CPUs")
    print(f"  plain nbgrader autograde (serial): {plain:6.2f} s per submission")
    print(
        f"  course autograde --jobs {args.jobs}:        {ours:6.2f} s per submission "
        f"({plain / ours:.1f}x)"
    )
    print(
        f"  {result['grades_compared']} grades compared: "
        f"{'identical' if result['identical'] else 'DIFFERENT ' + str(result['differences'])}"
    )
    return 0 if result["identical"] and ours <= plain else 1


if __name__ == "__main__":
    sys.exit(main())
