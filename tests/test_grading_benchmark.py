"""The generator of the autograder benchmark's submissions (scripts/benchmark_grading.py).

Questions answered here:
- Do the generated submissions mix solved, stub and wrong items, the same on every run?

The timing itself (`course autograde` against plain serial `nbgrader autograde`, with
identical grades) runs in `make benchmark`, not in the test suite: a timed test fails on a
busy machine. `scripts/benchmark_grading.py --n 50` runs the full-size comparison.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.grading]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "benchmark_grading", ROOT / "scripts" / "benchmark_grading.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_submissions_mix_solved_stub_and_wrong_items():
    import nbformat

    script = load_script()
    source = nbformat.read(ROOT / "solutions/02_metrics/02_metrics.ipynb", as_version=4)
    release = nbformat.read(ROOT / "exercises/02_metrics/02_metrics.ipynb", as_version=4)
    students = script.generate(source, release, 20)
    bodies = [
        c.source
        for nb in students.values()
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    ]
    assert any("return 0.5" in b for b in bodies)
    assert any("raise NotImplementedError" in b for b in bodies)
    assert any("np.add.at" in b for b in bodies)
    assert script.generate(source, release, 20) == students  # seeded
