"""Shared test setup: a headless Matplotlib backend, no leaked figures, one Hypothesis profile."""

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
