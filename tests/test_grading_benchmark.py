"""Throughput: `course autograde` against plain serial `nbgrader autograde`, small version.

Questions answered here:
- Do both give identical grades on the same generated submissions?
- Is `course autograde` (sandboxed, two at a time) at least as fast?

`scripts/benchmark_grading.py --n 50` runs the full-size comparison.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from course_grader.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.grading,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]


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


def test_course_gives_identical_grades_and_is_not_slower(tmp_path):
    result = load_script().run_benchmark(6, 2, tmp_path)
    assert result["identical"], result["differences"]
    assert result["grades_compared"] == 6 * 6
    assert result["course_seconds_per_submission"] <= result["plain_seconds_per_submission"], result
