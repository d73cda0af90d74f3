"""Repository hygiene: what a contributor could break without noticing.

Questions answered here:
- Are notebooks stored without outputs?
- Does every book notebook start the way CONVENTIONS.md says (seed, device)?
- Is every book notebook in the table of contents, and every toc entry a file?
- Does ruff pass? Do README and .ci/run agree on the test command, and the Makefile hold
  the one list of system packages?
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p
    for folder in ("book", "solutions", "exercises")
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
BOOK_NOTEBOOKS = [p for p in NOTEBOOKS if p.parts[len(ROOT.parts)] == "book"]


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count is not None)
    ]
    assert not dirty, f"cells {dirty} keep outputs: clear them before committing"


@pytest.mark.parametrize("path", BOOK_NOTEBOOKS, ids=ids(BOOK_NOTEBOOKS))
def test_book_notebook_starts_seeded_on_the_chosen_device(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        "the first cell must be the page title"
    )
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    assert "seed_everything(" in first_code, "the first code cell must call seed_everything"
    assert "get_device(" in first_code, "the first code cell must call get_device"


def test_toc_entries_exist_and_cover_every_book_notebook():
    entries = toc_files()
    for entry in entries:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".md", ".ipynb")), (
            f"_toc.yml names {entry}, which does not exist"
        )
        assert not entry.startswith("solutions/"), "solutions must never be in the book"
    listed = set(entries)
    for path in BOOK_NOTEBOOKS:
        name = path.relative_to(ROOT).with_suffix("").as_posix()
        assert name in listed, f"{name} is not in _toc.yml"


def test_every_assignment_is_released_and_in_the_book():
    entries = set(toc_files())
    for folder in sorted((ROOT / "solutions").iterdir()):
        if folder.is_dir():
            assert (ROOT / "exercises" / folder.name).is_dir(), f"exercises/{folder.name} missing"
            for nb in folder.glob("*.ipynb"):
                assert f"exercises/{folder.name}/{nb.stem}" in entries, (
                    f"exercises/{folder.name}/{nb.stem} is not in _toc.yml"
                )


def test_ruff_passes():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed (pip install -e '.[dev]')"
    result = subprocess.run(
        [ruff, "check", "course_lib", "course_grader", "tests", "scripts", "conftest.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block, fences paired from the top."""
    return re.findall(r"^```(\w*)\n(.*?)^```\s*$", markdown, re.S | re.M)


def commands(body: str) -> list[str]:
    return [
        line.split("#")[0].strip()
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_readme_gives_exactly_two_commands_then_the_lab_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    shell = [commands(body) for lang, body in fenced_blocks(readme) if lang in {"", "bash", "sh"}]
    assert shell and shell[0] == ["make book", "make test"], shell
    assert ["make lab"] in shell[1:], "README must name `make lab` after the two commands"
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's `make test`"
    assert "apt-get" not in ci, ".ci/run must reuse the Makefile's system packages, not its own"


def test_makefile_has_one_list_of_system_packages():
    makefile = (ROOT / "Makefile").read_text()
    lists = re.findall(r"^SYSTEM_PACKAGES\s*:?=\s*(.*)$", makefile, re.M)
    assert len(lists) == 1, lists
    packages = {pair.split("=")[1] for pair in lists[0].split()}
    assert packages == {"npm", "chromium", "bubblewrap", "postgresql"}, packages
