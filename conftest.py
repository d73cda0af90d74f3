"""Root pytest configuration: marks the notebooks that nbval collects.

`make test` runs pytest over tests/, book/ and solutions/ with `--nbval-lax`:
every notebook executes top to bottom and a cell that raises fails the test.
Those items get the `notebooks` and `slow` markers so `-m "not slow"` skips them.
"""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.notebooks)
            item.add_marker(pytest.mark.slow)
