"""Shared test setup: a headless Matplotlib backend, no leaked figures, one Hypothesis profile,
and the book's build for every test that needs it (test_book, test_browser): the one that
`make test` made, or one made here when pytest is run by hand."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

# Before anything imports pyplot: the tests run without a display.
matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt
import pytest
from hypothesis import settings

# derandomize: the same examples on every run, so CI is deterministic;
# deadline=None: a slow first call (imports) is not a failure.
settings.register_profile(
    "course", deadline=None, derandomize=True, max_examples=100, database=None
)
# A longer random search for bug hunting: pytest --hypothesis-profile=thorough
settings.register_profile("thorough", deadline=None, derandomize=False, max_examples=2000)
settings.load_profile("course")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened, so that none leaks into the next one."""
    yield
    plt.close("all")


ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"


@dataclass(frozen=True)
class BookBuild:
    """A finished book build: the English HTML folder, the site holding every edition, the
    English build's log and the exit status of all of them (`scripts/build_book.py`)."""

    root: Path  # the repository that was built
    html: Path  # root / "_build" / "html" / "en": the English edition
    result: subprocess.CompletedProcess
    site: Path = BUILD / "html"  # index.html, en/, es/


def _build_is_current() -> bool:
    """Did `make test` build the book for this run, or was it built since this run started?"""
    record = BUILD / "book-build.json"
    if not record.is_file():
        return False
    if os.environ.get("COURSE_BOOK_BUILT"):
        return True
    started = float(os.environ.get("COURSE_TEST_SESSION_START", "inf"))
    return record.stat().st_mtime >= started


@pytest.fixture(scope="session")
def book_build() -> BookBuild:
    """The book as `make test` built it, strictly (every page read again, --warningiserror),
    with each notebook executed once, into the execution cache, only if it changed.

    `make test` builds it before pytest starts and says so (COURSE_BOOK_BUILT). Run by hand,
    pytest builds it here, once per run: under a file lock, so that with pytest-xdist one
    worker builds and the others wait and read the same build.
    """
    from filelock import FileLock

    BUILD.mkdir(exist_ok=True)
    with FileLock(str(BUILD / ".book-build.lock")):
        if not _build_is_current():
            bin_dir = Path(sys.executable).parent
            env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
            subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "build_book.py"), "--strict"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=3000,
            )
    record = BUILD / "book-build.json"
    log = (BUILD / "book-build.log").read_text() if (BUILD / "book-build.log").is_file() else ""
    if not record.is_file():  # a notebook failed: the build did not get to Sphinx
        return BookBuild(ROOT, BUILD / "html" / "en", subprocess.CompletedProcess([], 1, log, ""))
    status = json.loads(record.read_text())
    result = subprocess.CompletedProcess(status["command"], status["returncode"], log, "")
    return BookBuild(root=ROOT, html=BUILD / "html" / "en", result=result)
