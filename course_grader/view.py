"""What graded code sees of ``course_lib`` inside the sandbox: an allowlist.

The sandbox (``course_grader.sandbox``) mounts, where ``course_lib`` is installed, a view
of the package that holds only the infrastructure modules a graded notebook may use; every
other name in the package, a concept module or a concept subpackage holding reference
implementations, is a stub that refuses to import with a readable message. What is not on
the list is never mounted, so a reference implementation cannot leak by being added, moved
or split.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import course_lib

# The course_lib modules a graded notebook may import: the infrastructure, which imports
# no concept module (tests/test_layering.py). Everything else in course_lib is a concept's
# reference implementation and is replaced by an import-refusing stub in the sandbox.
STUDENT_MODULES = frozenset(
    {
        "__init__",
        "callbacks",
        "checks",
        "data",
        "device",
        "pages",
        "plotting",
        "training",
        "validation",
        "widgets",
    }
)


STUB = (
    "raise ImportError(\"course_lib.{name} is the course's reference implementation: graded "
    'code cannot import it. Write the function yourself.")\n'
)


def student_view(view_dir: Path, package: Path | None = None) -> Path:
    """Build the sandbox's ``course_lib``: allowed modules copied, every other name a stub.

    Deny by default: a module, or a subpackage, that is not in ``STUDENT_MODULES`` is
    never copied; in its place a ``<name>.py`` stub raises ``ImportError`` when imported.
    ``package`` is the folder of ``course_lib`` (default: the installed one).
    """
    package = package or Path(course_lib.__file__).resolve().parent
    if view_dir.exists():
        shutil.rmtree(view_dir)
    view_dir.mkdir(parents=True)
    for entry in sorted(package.iterdir()):
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if not (entry.is_dir() or entry.suffix == ".py"):
            continue  # data files are not mounted at all
        name = entry.stem if entry.suffix == ".py" else entry.name
        if entry.suffix == ".py" and name in STUDENT_MODULES:
            shutil.copy2(entry, view_dir / entry.name)
        else:
            (view_dir / f"{name}.py").write_text(STUB.format(name=name))
    return view_dir
