"""Shared test setup: a headless Matplotlib backend, no leaked figures, one Hypothesis profile,
and one clean build of the book for every test that needs it (test_book, test_browser)."""

import os
import shutil
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


@dataclass(frozen=True)
class BookBuild:
    """A finished `jupyter-book build`: the HTML folder, the build's log and its exit status."""

    root: Path  # the copy of the repository that was built
    html: Path  # root / "_build" / "html"
    result: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> BookBuild:
    """Build the book once per session, from a clean copy, exactly as `make book` does.

    The copy leaves out _build/, so no execution cache helps: this is a fresh clone's build
    (the vendored scripts come from npm's cache or the npm registry, as in `make book`).
    """
    copy = tmp_path_factory.mktemp("book") / "repo"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            "_build",
            ".git",
            ".whl",
            ".pytest_cache",
            ".hypothesis",
            "__pycache__",
            "gradebook.db",
            "submitted",
            "autograded",
            "feedback",
        ),
    )
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [str(bin_dir / "jupyter-book"), "build", str(copy), "--warningiserror", "--keep-going"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    return BookBuild(root=copy, html=copy / "_build" / "html", result=result)
