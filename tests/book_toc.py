"""The pages the book's table of contents names, for the book and repository tests.

The one reading of _toc.yml is the build's own (scripts/build_book.py), so that the tests
check the pages the build executes and renders.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_spec = importlib.util.spec_from_file_location("build_book", ROOT / "scripts" / "build_book.py")
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)

# Every `file:` of _toc.yml, the root first, in reading order (no suffix).
toc_files = build_book.toc_files

_spec = importlib.util.spec_from_file_location("render_book", ROOT / "scripts" / "render_book.py")
render_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_book)

# The editions, English first: the site is _build/html/<code>/ for each.
LANGUAGES = render_book.LANGUAGES
