"""Does the book build from a clean state, without a Sphinx warning, with every page?

The build runs on a copy of the repository without _build/, so no execution
cache helps it: this is what `make book` does on a fresh clone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.book, pytest.mark.slow]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
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
    return copy / "_build" / "html", result


def test_book_builds_without_warnings(built):
    html, result = built
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book build failed:\n{log[-6000:]}"
    # Sphinx's own warnings ("path:line: WARNING: ..."), not a kernel's log lines
    warnings = [line for line in log.splitlines() if re.search(r"(^|: )(WARNING|ERROR):", line)]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings[:30])
    assert (html / "index.html").exists()


def test_every_toc_page_is_built(built):
    html, _ = built
    missing = [f for f in toc_files() if not (html / f"{f}.html").exists()]
    assert not missing, f"pages in _toc.yml missing from _build/html: {missing}"


def test_no_solution_reaches_the_site(built):
    html, _ = built
    assert not (html / "solutions").exists(), "solutions/ was built into the site"
    for page in html.rglob("*"):
        if page.is_file() and page.suffix in {".html", ".ipynb", ".md", ".txt", ".js"}:
            text = page.read_text(errors="ignore")
            for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
                assert marker not in text, f"{page.relative_to(html)} contains {marker!r}"


def test_exercise_pages_are_unexecuted_and_downloadable(built):
    html, _ = built
    exercises = [f for f in toc_files() if f.startswith("exercises/")]
    assert exercises, "no exercise notebook in _toc.yml"
    downloads = {p.name for p in (html / "_downloads").rglob("*.ipynb")}
    for page in exercises:
        text = (html / f"{page}.html").read_text()
        assert "NotImplementedError" in text, f"{page}: the stub is not shown"
        assert "Traceback" not in text, f"{page} was executed"
        assert Path(page).name + ".ipynb" in downloads, f"{page}: no download link target"


def test_explanatory_pages_show_their_outputs(built):
    """Executed at build time: a notebook page without a figure lost its outputs."""
    html, _ = built
    for page in toc_files():
        if page.startswith("book/") and (ROOT / f"{page}.ipynb").exists():
            text = (html / f"{page}.html").read_text()
            assert "<img" in text, f"{page}.html shows no figure: was it executed?"
