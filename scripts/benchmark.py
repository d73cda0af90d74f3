"""Time every notebook of the book and of solutions/, and a clean book build.

Each notebook runs in a fresh kernel, top to bottom, as a student would run it;
the budget is 60 s per notebook on a 2-core CPU. Then the whole book is built
from a clean copy of the repository (no execution cache), as `make book` does
on a fresh clone.

Usage: make benchmark   (or: .venv/bin/python scripts/benchmark.py [--no-book])
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 60.0


def notebooks() -> list[Path]:
    found = sorted((ROOT / "book").glob("**/*.ipynb")) + sorted(
        (ROOT / "solutions").glob("**/*.ipynb")
    )
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def run_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def build_book() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(
            ROOT,
            copy,
            ignore=shutil.ignore_patterns(
                ".venv", "_build", ".git", ".whl", ".pytest_cache", ".hypothesis", "__pycache__"
            ),
        )
        env = dict(
            os.environ,
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        start = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "jupyter-book"),
                "build",
                str(copy),
                "--warningiserror",
                "--keep-going",
                "--quiet",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-book", action="store_true", help="skip the clean book build")
    args = parser.parse_args()
    rows = []  # (notebook, seconds, status)
    for path in tqdm(notebooks(), desc="notebooks", unit="nb"):
        name = path.relative_to(ROOT).as_posix()
        start = time.perf_counter()
        try:
            seconds = run_notebook(path)
        except Exception as exc:  # report the notebook and go on with the others
            rows.append((name, time.perf_counter() - start, f"FAILED: {type(exc).__name__}"))
            continue
        rows.append((name, seconds, "ok" if seconds < BUDGET_S else f"OVER {BUDGET_S:.0f} s"))
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{'notebook':<{width}}  {'wall time':>10}  status")
    for name, seconds, status in rows:
        print(f"{name:<{width}}  {seconds:>8.1f} s  {status}")
    total = sum(seconds for _, seconds, _ in rows)
    print(f"{'total (' + str(len(rows)) + ' notebooks)':<{width}}  {total:>8.1f} s")
    if not args.no_book:
        print(f"{'clean book build':<{width}}  {build_book():>8.1f} s")
    return 0 if all(status == "ok" for _, _, status in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
