"""Does a student's install (``pip install course_lib``, no extras) run every notebook?

Questions answered here:
- Does every module that ``course_lib`` or a book notebook imports come from the base
  dependencies (or their own dependencies), never from the ``[book]``, ``[instructor]``
  or ``[dev]`` extras?
- Is the instructor's grader kept out of ``course_lib``, so that students never need it?
- Does the base install bring what the student's JupyterLab needs (the MyST renderer, and
  nbgrader for the Validate button), and does a regular install carry the student's
  JupyterLab configuration (jupyter-config/) into the environment?

The installed distributions' metadata is the source of truth: the base requirements of
``course_lib`` are followed transitively, and every imported top-level module must
belong to one of the distributions reached.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def base_closure() -> set[str]:
    """Normalized names of the distributions a base install of course_lib brings."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in metadata.distribution("course_lib").requires or []]
    todo = [r for r in todo if r.marker is None]
    while todo:
        requirement = todo.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            nested = Requirement(text)
            if nested.marker is None or nested.marker.evaluate({"extra": ""}):
                todo.append(nested)
    return seen


def imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def notebook_sources() -> dict[Path, str]:
    sources = {}
    for path in sorted((ROOT / "book").glob("*/*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = [
            "".join(c["source"])
            for c in cells
            if c["cell_type"] == "code" and not "".join(c["source"]).lstrip().startswith(("%", "!"))
        ]
        sources[path] = "\n".join(code)
    return sources


def test_every_notebook_and_course_lib_import_comes_from_the_base_install():
    closure = base_closure()
    owners = metadata.packages_distributions()
    sources = {p: p.read_text() for p in (ROOT / "course_lib").rglob("*.py")}
    sources |= notebook_sources()
    assert len(sources) > 40, "the course_lib modules and the book's notebooks were not found"
    outside = {}
    for path, source in sources.items():
        for module in imported_modules(source):
            if module in sys.stdlib_module_names or module == "course_lib":
                continue
            distributions = {d.lower().replace("_", "-") for d in owners.get(module, [])}
            if not distributions & closure:
                outside.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not outside, f"needs more than the base install: {outside}"


# nbgrader is in the base install (the student's Validate button); its instructor tools are
# switched off by jupyter-config/student/. The grader's own tools stay in [instructor].
@pytest.mark.parametrize(
    "module", ["jupyter_book", "psycopg", "distributed", "pytest", "playwright", "hypothesis"]
)
def test_no_instructor_or_test_tool_is_in_the_base_install(module):
    """The extras stay extras: a base install must not pull them in through a dependency."""
    owners = metadata.packages_distributions().get(module, [])
    assert owners, f"{module} is not installed here, so this check cannot run"
    assert not {d.lower().replace("_", "-") for d in owners} & base_closure(), module


def test_course_lib_never_imports_the_grader():
    for path in (ROOT / "course_lib").rglob("*.py"):
        assert "course_grader" not in imported_modules(path.read_text()), path


@pytest.mark.parametrize("module", ["jupyterlab", "jupyterlab_myst", "nbgrader", "ipywidgets"])
def test_the_students_jupyterlab_comes_with_the_base_install(module):
    """JupyterLab, its MyST renderer, nbgrader (Validate) and the explorers' widgets."""
    owners = metadata.packages_distributions().get(module, [])
    assert {d.lower().replace("_", "-") for d in owners} & base_closure(), module


def test_a_regular_install_carries_the_students_jupyterlab_configuration():
    """pyproject's data-files put every file of the student's lab and server-extension
    configuration, and of the course-glue lab extension, where Jupyter looks in an
    environment (etc/jupyter, share/jupyter), and nothing of the instructor's."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        data_files = tomllib.load(f)["tool"]["setuptools"]["data-files"]
    installed = {
        f"{target}/{Path(source).name}": source
        for target, sources in data_files.items()
        for source in sources
    }
    config = ROOT / "jupyter-config"
    places = {
        config / "student" / "labconfig": "etc/jupyter/labconfig",
        config / "student" / "jupyter_server_config.d": "etc/jupyter/jupyter_server_config.d",
        config / "labextensions": "share/jupyter/labextensions",
    }
    wanted = {
        f"{target}/{path.relative_to(folder).as_posix()}": path.relative_to(ROOT).as_posix()
        for folder, target in places.items()
        for path in folder.rglob("*")
        if path.is_file()
    }
    assert len(wanted) >= 4 and installed == wanted
    for source in installed.values():
        if source.endswith(".json"):
            json.loads((ROOT / source).read_text())  # valid JSON
    # nbgrader's own nbgrader.json in the same folder turns every one of its server extensions
    # on; within a folder the file that sorts later wins
    server = [Path(k).name for k in installed if "jupyter_server_config.d" in k]
    assert server and all(name > "nbgrader.json" for name in server), server
