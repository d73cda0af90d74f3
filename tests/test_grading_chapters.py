"""`course autograde` on every assignment in solutions/, without special cases.

Questions answered here:
- Does the solution of every chapter get full automatic points when its tests run in the
  grader against the student's functions in the sandbox (plain values, objects that stay
  in the sandbox, generators, gradients across the boundary)?
- Does the untouched release score 0 on every automatic item, each with a reason?
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from grading_corpus import MARKERS
from test_grading_course import run_cli

from course_grader.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
pytestmark = [
    pytest.mark.grading,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]


def solved(release, source) -> nbformat.NotebookNode:
    answers = {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(
            line for line in c.source.splitlines() if not any(m in line for m in MARKERS)
        )
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }
    notebook = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("chapters")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions", root / "solutions")
    graded = {}
    for assignment in ASSIGNMENTS:
        run_cli("--root", str(root), "release", assignment)
        for path in sorted((root / "solutions" / assignment).glob("*.ipynb")):
            source = nbformat.read(path, as_version=4)
            release = nbformat.read(root / "exercises" / assignment / path.name, as_version=4)
            for student, notebook in (("solution", solved(release, source)), ("stub", release)):
                folder = root / "submitted" / student / assignment
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, folder / path.name)
        run_cli("--root", str(root), "autograde", assignment, "--jobs", "2", "--quiet")
        rows = json.loads((root / "reports" / assignment / "results.json").read_text())
        graded[assignment] = {r["student"]: r for r in rows}
    return graded


def auto_items(row: dict) -> list[dict]:
    return [i for nb in row["notebooks"] for i in nb["items"] if i["kind"] == "auto"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_gets_full_automatic_points(results, assignment):
    items = auto_items(results[assignment]["solution"])
    assert sum(i["max_points"] for i in items) >= 10
    failed = [(i["grade_id"], i["reason"]) for i in items if i["score"] != i["max_points"]]
    assert not failed, f"{assignment}: the solution loses points under `course`: {failed}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_scores_zero_with_a_reason(results, assignment):
    for item in auto_items(results[assignment]["stub"]):
        assert item["score"] == 0 and item["reason"], (assignment, item)
        assert item["status"] == "failed", (assignment, item)
