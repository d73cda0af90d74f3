"""Tests for the shape of course_lib: two layers, no cycles, small modules.

- Does any infrastructure module (device, validation, checks, data, training, plotting,
  widgets) import a concept module, at the top or inside a function?
- Is there an import cycle among course_lib's modules?
- Is every course_lib file under 400 lines?
- Do only the generic figure modules (and course_lib.figures) import matplotlib or
  ipywidgets?
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import course_lib

PACKAGE = Path(course_lib.__file__).resolve().parent
# callbacks belongs to the training loop (early stopping, EMA, clipping hooks)
INFRASTRUCTURE = {
    *("device", "validation", "checks", "data", "training", "callbacks", "plotting", "widgets"),
    "pages",
}
MAX_LINES = 400
# file (relative to course_lib/) -> why it may stay longer; empty: no exception remains
LONG_FILES: dict[str, str] = {}
DRAWING_LIBRARIES = ("matplotlib", "ipywidgets")


def module_name(path: Path) -> str:
    """course_lib/figures/metrics.py -> "figures.metrics"; a package's __init__ -> its name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def imported_names(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, anywhere in the file (functions too).

    ``from course_lib import metrics`` yields ``course_lib.metrics`` as well as
    ``course_lib``; relative imports are resolved against the module's package.
    """
    package = ("course_lib." + module_name(path)).rstrip(".").split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], base]).rstrip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def course_lib_imports(path: Path) -> set[str]:
    """The course_lib modules (keys of MODULES) that ``path`` imports, itself excluded."""
    found = set()
    for name in imported_names(path):
        if name.startswith("course_lib."):
            inner = name.removeprefix("course_lib.")
            if inner in MODULES:
                found.add(inner)
    return found - {module_name(path)}


GRAPH = {name: course_lib_imports(path) for name, path in MODULES.items()}


def is_infrastructure(name: str) -> bool:
    return name in INFRASTRUCTURE


def test_the_package_has_both_layers():
    """Are the infrastructure modules all there, and is anything else a concept?"""
    assert INFRASTRUCTURE <= set(MODULES)
    concepts = {name for name in MODULES if name and not is_infrastructure(name)}
    assert {"metrics", "conv", "figures", "figures.metrics"} <= concepts


def test_graded_code_may_import_exactly_the_infrastructure():
    """Does the grading sandbox allow the infrastructure modules, and nothing else?"""
    from course_grader.view import STUDENT_MODULES

    assert STUDENT_MODULES - {"__init__"} == INFRASTRUCTURE


@pytest.mark.parametrize("name", sorted(INFRASTRUCTURE))
def test_infrastructure_imports_no_concept(name):
    """Does this infrastructure module import only infrastructure (and course_lib itself)?"""
    concepts = {m for m in GRAPH[name] if m and not is_infrastructure(m)}
    assert not concepts, f"course_lib.{name} imports the concept module(s) {sorted(concepts)}"


def test_no_import_cycle():
    """Is the graph of imports among course_lib modules acyclic?"""
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for child in sorted(GRAPH[name]):
            if state.get(child) == "open":
                cycle = [*path[path.index(child) :], child]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if child not in state:
                visit(child, [*path, child])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])


def test_the_checker_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    """Would an import hidden inside a function, or a relative one, be caught?"""
    fake = tmp_path / "course_lib"
    (fake / "figures").mkdir(parents=True)
    (fake / "plotting.py").write_text("def f():\n    from course_lib import metrics\n")
    (fake / "figures" / "conv.py").write_text("from ..conv import conv2d\nfrom . import metrics\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    assert "course_lib.metrics" in imported_names(fake / "plotting.py")
    relative = imported_names(fake / "figures" / "conv.py")
    assert {"course_lib.conv", "course_lib.figures.metrics"} <= relative


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_file_is_under_the_line_limit(name):
    """Is the file under ~400 lines (one concept), or a listed exception with its reason?"""
    path = MODULES[name]
    relative = str(path.relative_to(PACKAGE))
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    if relative in LONG_FILES:
        assert n_lines >= MAX_LINES, f"{relative} is short now: remove it from LONG_FILES"
        return
    assert n_lines < MAX_LINES, f"course_lib/{relative} has {n_lines} lines: split it"


def test_only_figure_modules_draw():
    """Does every concept module leave matplotlib and ipywidgets to plotting, widgets and
    course_lib.figures?"""
    drawing = {
        name
        for name, path in MODULES.items()
        if any(n.split(".")[0] in DRAWING_LIBRARIES for n in imported_names(path))
    }
    outside = {
        n for n in drawing if n not in {"plotting", "widgets"} and n.split(".")[0] != "figures"
    }
    assert not outside, f"{sorted(outside)} draw outside plotting, widgets and course_lib.figures"
