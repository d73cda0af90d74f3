"""Root pytest configuration: what a skipped test means, and notebooks run by hand.

- Under CI=true a skipped test fails, unless it needs a CUDA device: in CI every test must
  run (the system programs come from the Makefile's one list, which `make test` installs).
  Outside CI, the run ends with one line per reason saying which part of the suite did not
  run and why.
- `make nbval NB=...` runs one notebook under nbval; its items get the `notebooks` and `slow`
  markers. (`make test` no longer runs nbval: the book build executes every book notebook
  once and tests/test_book.py reads what it recorded.)
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

import pytest

# Skips that are allowed in CI: the machine has no GPU.
GPU_WORDS = ("cuda", "gpu")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def pytest_configure(config):
    # The start of this run, shared with the xdist workers (they inherit the environment):
    # the session's book fixture (tests/conftest.py) knows a build made before it is stale.
    if not hasattr(config, "workerinput"):
        os.environ.setdefault("COURSE_TEST_SESSION_START", str(time.time()))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.notebooks)
            item.add_marker(pytest.mark.slow)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _needs_gpu(item_or_report, reason: str) -> bool:
    keywords = getattr(item_or_report, "keywords", {})
    return "gpu" in keywords or any(word in reason.lower() for word in GPU_WORDS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail") or not in_ci():
        return
    reason = _skip_reason(report)
    if _needs_gpu(item, reason):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true, where every test must run: {reason}\n"
        "(`make test` installs the system packages it needs when run as root)"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line per reason: which part of the suite did not run, and why."""
    by_reason: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for report in terminalreporter.stats.get("skipped", []):
        if hasattr(report, "wasxfail"):
            continue
        reason = _skip_reason(report)
        if _needs_gpu(report, reason):
            continue
        by_reason[reason].add(report.nodeid.split("::")[0])
        counts[reason] += 1
    if not by_reason:
        return
    terminalreporter.section("parts of the suite that did not run", sep="=", yellow=True)
    for reason, modules in sorted(by_reason.items(), key=lambda kv: -counts[kv[0]]):
        terminalreporter.write_line(
            f"NOT RUN: {counts[reason]} test{'s' if counts[reason] != 1 else ''} of "
            f"{', '.join(sorted(modules))}: {reason}",
            yellow=True,
            bold=True,
        )
