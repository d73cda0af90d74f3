"""Headless Chromium for the browser tests: Debian's `chromium`, never a browser Playwright
downloads. test_browser.py (the HTML book), test_jupyterlab.py (the student's JupyterLab)
and test_formgrader.py (the instructor's) all start it here. COURSE_CHROMIUM names another
Chromium executable than /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")


def launch(playwright):
    """Headless Chromium from an open ``sync_playwright()``."""
    executable = shutil.which(CHROMIUM) or CHROMIUM
    assert Path(executable).is_file(), (
        f"Chromium not found at {CHROMIUM}: install Debian's chromium "
        "(`apt-get install chromium`; `make setup` and .ci/run do it when run as root) "
        "or point COURSE_CHROMIUM at a Chromium executable"
    )
    args = ["--disable-background-networking", "--disable-component-update", "--no-first-run"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
    return playwright.chromium.launch(executable_path=executable, args=args)


def sync_api():
    """Playwright's sync API; its absence fails the test (the browser checks run in CI)."""
    try:
        from playwright import sync_api as api
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -e '.[dev]' (make setup)")
    return api


@contextmanager
def headless_chromium() -> Iterator:
    """A headless Chromium browser, closed on exit."""
    with sync_api().sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
