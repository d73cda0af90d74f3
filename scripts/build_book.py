"""Build the book: execute the notebooks that changed, in parallel, then render every language.

Each book notebook is executed once per change, never twice:

1. The notebooks of _toc.yml's `book/` pages whose code changed (or never ran) are executed
   here, several at a time, into the same jupyter-cache database that Jupyter Book reads
   (`_build/.jupyter_cache`, `execute_notebooks: cache` in _config.yml).
2. `scripts/render_book.py` (what `jupyter-book build . --warningiserror --keep-going` does,
   into `_build/html/<lang>/`) then finds every notebook in the cache and executes nothing:
   it renders the English book into `_build/html/en/`, then each translation (Spanish,
   `_build/html/es/`, from `locales/es/`) from the same executed notebooks.
3. Each notebook's recorded execution time goes to `_build/notebook-times.json` and `.md`,
   the build's log and exit status to `_build/book-build.log` and `_build/book-build.json`:
   the tests (tests/test_book.py, tests/test_browser.py) check that build, they do not make
   another one.

Why a pre-execution step and not Sphinx's `-j`: MyST-NB executes a cache miss inside
Sphinx's read phase, one notebook after another (jupyter-cache's `local-serial`), and
Sphinx's parallel read forks the whole application per chunk of documents, which MyST-NB
and the book's extensions are not tested under. jupyter-cache's own `local-parallel`
executor starts `os.cpu_count()` kernels, which on a container limited to 2 cores can
be the host's 64. So the pool below is jupyter-cache's worker, with a pool size we choose,
and with `COURSE_NUM_THREADS` set so that each kernel's PyTorch uses its share of the
cores (read by `course_lib.device.configure_threads`). The cache key is jupyter-cache's
hash of the code cells, the same one MyST-NB looks up, so a notebook whose text changed
but not its code is not executed again.

Usage: python scripts/build_book.py [--jobs N] [--strict] [--execute-only]
  --strict   re-read every page (Sphinx's fresh environment; `make test` uses it), so that a
             warning of any page fails the build, not only the warnings of changed pages.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
RECORD = BUILD / "book-build.json"
LOG = BUILD / "book-build.log"
TIMES = BUILD / "notebook-times.json"
KERNEL_LOG = BUILD / "notebook-kernels.log"
BUDGET_S = 60.0  # every notebook runs in under 60 s on a 2-core CPU (DESIGN.md)


def available_cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def toc_files() -> list[str]:
    """Every `file:` of _toc.yml (no suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def book_notebooks() -> list[Path]:
    """The notebooks the build executes: every book/ page of _toc.yml that is a notebook.
    (The exercise notebooks are rendered unexecuted, see _config.yml.)"""
    return [
        ROOT / f"{f}.ipynb"
        for f in toc_files()
        if f.startswith("book/") and (ROOT / f"{f}.ipynb").is_file()
    ]


def execution_settings() -> dict:
    execute = yaml.safe_load((ROOT / "_config.yml").read_text()).get("execute", {})
    assert execute.get("execute_notebooks") == "cache", (
        "_config.yml must say execute_notebooks: cache"
    )
    return {
        "timeout": int(execute.get("timeout", 30)),
        "allow_errors": bool(execute.get("allow_errors", False)),
    }


def previous_times() -> dict[str, float]:
    try:
        return {
            k: v["seconds"]
            for k, v in json.loads(TIMES.read_text())["notebooks"].items()
            if v["seconds"]
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def execute(jobs: int) -> tuple[list[str], list[str]]:
    """Execute every book notebook whose code is not in the cache; return (executed, failed)."""
    from jupyter_cache import get_cache
    from jupyter_cache.cache.db import NbProjectRecord
    from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

    settings = execution_settings()
    cache = get_cache(str(CACHE))
    paths = book_notebooks()
    for path in paths:
        cache.add_nb_to_project(str(path))
    outdated = cache.list_unexecuted(filter_uris=[str(p) for p in paths])
    if not outdated:
        print(f"notebooks: all {len(paths)} up to date in the execution cache")
        return [], []
    # the longest first (times of the last run), so that two workers finish together
    before = previous_times()
    outdated.sort(key=lambda r: -before.get(Path(r.uri).relative_to(ROOT).as_posix(), 1e9))
    jobs = max(1, min(jobs, len(outdated)))
    threads = max(1, available_cores() // jobs)
    print(
        f"notebooks: executing {len(outdated)} of {len(paths)}, {jobs} at a time, "
        f"{threads} PyTorch thread(s) each",
        flush=True,
    )
    data = [
        ProcessData(r.pk, r.uri, cache, settings["timeout"], settings["allow_errors"])
        for r in outdated
    ]
    NbProjectRecord.remove_tracebacks([r.pk for r in outdated], cache.db)
    os.environ["COURSE_NUM_THREADS"] = str(threads)  # inherited by every kernel
    # NumPy's and scikit-learn's BLAS and OpenMP pools too: two kernels whose libraries each
    # start a thread per core oversubscribe the machine, and spinning BLAS threads then slow
    # the other notebook many times over (a 15 s page measured 134 s in a parallel build)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))
    executed, failed = [], []
    start = time.perf_counter()
    # fork: the workers inherit the cache object; spawn would re-import this script
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_quiet_worker) as pool:
        for status, uri in pool.imap_unordered(ExecutionWorkerLocalMProc(), data, chunksize=1):
            name = Path(uri).relative_to(ROOT).as_posix()
            elapsed = time.perf_counter() - start
            (executed if status == 0 else failed).append(name)
            print(
                f"  [{elapsed:6.1f} s] {'ok    ' if status == 0 else 'FAILED'} {name}", flush=True
            )
    for name in failed:
        record = cache.get_project_record(str(ROOT / name))
        print(f"\n{name} failed:\n{last_lines(record.traceback)}", file=sys.stderr)
    return executed, failed


def _quiet_worker() -> None:
    """The kernels' and workers' own log lines go to a file, not between the results."""
    log = os.open(KERNEL_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    os.close(log)


def last_lines(traceback: str | None, count: int = 25) -> str:
    """The end of a cell's error, without terminal colours: the line that raised, and why."""
    if not traceback:
        return f"(no traceback recorded; see {KERNEL_LOG.relative_to(ROOT)})"
    text = re.sub(r"\x1b\[[0-9;]*m", "", traceback).rstrip().splitlines()
    return "\n".join("    " + line for line in text[-count:])


def notebook_times(executed: list[str]) -> dict:
    """What the cache recorded for each book notebook: seconds, when, whether it ran."""
    from jupyter_cache import get_cache

    cache = get_cache(str(CACHE))
    rows = {}
    for path in book_notebooks():
        name = path.relative_to(ROOT).as_posix()
        row = {
            "seconds": None,
            "executed_at": None,
            "status": "not executed",
            "this_run": name in executed,
        }
        cache.add_nb_to_project(str(path))
        record = cache.get_cached_project_nb(str(path))
        if record is None:
            if cache.get_project_record(str(path)).traceback:
                row["status"] = "failed"
        else:
            seconds = record.data.get("execution_seconds")
            row.update(
                seconds=round(seconds, 2) if seconds is not None else None,
                executed_at=record.created.isoformat(timespec="seconds"),
                status="ok"
                if seconds is not None and seconds < BUDGET_S
                else f"over {BUDGET_S:.0f} s",
            )
        rows[name] = row
    return rows


def write_times(rows: dict, jobs: int) -> None:
    report = {
        "budget_seconds": BUDGET_S,
        "cores": available_cores(),
        "jobs": jobs,
        "notebooks": rows,
    }
    TIMES.write_text(json.dumps(report, indent=1) + "\n")
    width = max(len(n) for n in rows)
    lines = ["| notebook | seconds | status |", "|---|---:|---|"]
    for name, row in rows.items():
        seconds = f"{row['seconds']:.1f}" if row["seconds"] is not None else "-"
        lines.append(f"| {name:<{width}} | {seconds} | {row['status']} |")
    total = sum(r["seconds"] or 0 for r in rows.values())
    lines.append(f"| total ({len(rows)} notebooks, one after another) | {total:.1f} | |")
    TIMES.with_suffix(".md").write_text("\n".join(lines) + "\n")


def build(strict: bool) -> int:
    """Render every language (scripts/render_book.py), logs and exit status recorded for the
    tests: English into _build/html/en/, then each translation into _build/html/<lang>/."""
    from render_book import LANGUAGES

    fresh = strict or not previous_build_clean()
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    record: dict = {"returncode": 0, "fresh": fresh, "seconds": 0.0, "languages": {}}
    for language in LANGUAGES:
        command = [sys.executable, str(ROOT / "scripts" / "render_book.py"), language]
        command += ["--all"] if fresh else []  # Sphinx's fresh environment: every page read
        log_path = LOG if language == "en" else LOG.with_name(f"book-build-{language}.log")
        print(f"book ({language}): render_book.py {' '.join(command[2:])}", flush=True)
        start = time.perf_counter()
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True,
            )
            for line in process.stdout:
                log.write(line)
                if "WARNING" in line or "ERROR" in line or "Traceback" in line:
                    print(line, end="", flush=True)
            returncode = process.wait()
        seconds = round(time.perf_counter() - start, 1)
        record["languages"][language] = {
            "returncode": returncode, "seconds": seconds, "log": log_path.name,
            "command": command[1:],
        }
        record["returncode"] = record["returncode"] or returncode
        record["seconds"] += seconds
        record.setdefault("command", command[1:])
    RECORD.write_text(json.dumps(record, indent=1) + "\n")
    return record["returncode"]


def previous_build_clean() -> bool:
    """Did the last build succeed, with nothing since it that needs every page read again?"""
    try:
        return (
            json.loads(RECORD.read_text())["returncode"] == 0
            and (BUILD / "html" / "en" / "index.html").is_file()
        )
    except (OSError, ValueError, KeyError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs", type=int, default=int(os.environ.get("JOBS") or available_cores())
    )
    parser.add_argument("--strict", action="store_true", help="re-read every page (Sphinx -E)")
    parser.add_argument("--execute-only", action="store_true", help="execute, do not render")
    args = parser.parse_args()
    BUILD.mkdir(exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    executed, failed = execute(args.jobs)
    write_times(notebook_times(executed), args.jobs)
    if failed:
        summary = f"{len(failed)} notebook(s) failed, so the book was not rendered: " + ", ".join(
            failed
        )
        print("\n" + summary)
        from jupyter_cache import get_cache

        cache = get_cache(str(CACHE))
        LOG.write_text(
            summary
            + "\n"
            + "".join(
                f"\n{name}:\n{last_lines(cache.get_project_record(str(ROOT / name)).traceback)}\n"
                for name in failed
            )
        )
        RECORD.write_text(
            json.dumps({"returncode": 1, "failed_notebooks": failed, "command": []}, indent=1)
        )
        return 1
    if args.execute_only:
        return 0
    returncode = build(args.strict)
    total = time.perf_counter() - start
    if returncode != 0:
        print(f"\nThe book build failed (exit {returncode}); its log: {LOG.relative_to(ROOT)}")
        return returncode
    print(
        f"The book is in _build/html/index.html (en/ and es/, {total:.0f} s); notebook times: "
        "_build/notebook-times.md"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
