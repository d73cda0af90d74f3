"""`course release` and `course autograde` on every assignment in solutions/, without special
cases.

One release and one autograde pass per chapter, through the project's grader (sandboxed,
tests restored from the source, hidden tests run), with three students, answer the
questions for every chapter:
- Is the committed exercises/ folder exactly what `nbgrader generate_assignment` (which
  `course release` runs) makes from solutions/ today?
- Does the solution get full automatic points (plain values, objects that stay in the
  sandbox, generators, gradients across the boundary), and is there a manually graded answer?
- Does the untouched release score 0 on every automatic item, each failing with a reason?
- Does a half-done submission (only the first item answered) keep exactly that item's points?
- Does each wrong-but-plausible answer kept in tests/wrong_answers/<chapter>.py (the
  classic mistake: wrong axis, missing scale, biased variance, ...) score 0 on its item,
  and does every graded code item of a chapter have at least one?

Each wrong answer is one more student of the same autograde pass: the solution with that
one cell replaced.

Each solution notebook therefore executes once per test run here (and chapter 02's once
more in tests/test_grading.py, the plain-nbgrader round trip). The chapters are independent:
each is a test class (`TestChapter01`, ...), the unit that `make test`'s pytest-xdist
(`--dist loadscope`) hands to one worker, so the chapters grade on different cores while
each chapter's release and autograde run once.
"""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path

import nbformat
import pytest
from grading_corpus import MARKERS
from test_grading_course import run_cli

from course_grader.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
STUDENTS = ("solution", "stub", "half")
WRONG = ROOT / "tests" / "wrong_answers"
# Every chapter must have a file covering each graded code item
# (test_every_graded_item_has_a_wrong_answer); a chapter listed here would be exempt (none is).
WITHOUT_WRONG_ANSWERS: set[str] = set()


def wrong_answers(assignment: str) -> dict[str, dict]:
    """The chapter's WRONG_ANSWERS, each with its solution cell's grade_id as "cell"."""
    path = WRONG / f"{assignment}.py"
    if not path.exists():
        return {}
    answers = runpy.run_path(str(path))["WRONG_ANSWERS"]
    return {key: {"cell": key.split(":")[0], **entry} for key, entry in answers.items()}


pytestmark = [
    pytest.mark.grading,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def submission(release, source, grade_ids: set[str] | None) -> nbformat.NotebookNode:
    """The release with the solution cells named in grade_ids answered (None: all of them)."""
    answers = {
        meta(c)["grade_id"]: "\n".join(
            line for line in c.source.splitlines() if not any(m in line for m in MARKERS)
        )
        for c in source.cells
        if meta(c).get("solution")
    }
    notebook = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in notebook.cells:
        grade_id = meta(cell).get("grade_id")
        if grade_id in answers and (grade_ids is None or grade_id in grade_ids):
            cell.source = answers[grade_id]
    return notebook


def first_code_answer(source) -> str:
    return next(
        meta(c)["grade_id"]
        for c in source.cells
        if meta(c).get("solution") and c.cell_type == "code"
    )


class Chapter:
    """The checks of one chapter; a subclass per folder of solutions/ names it (below)."""

    assignment: str

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        """One `course release` and one `course autograde` of three students."""
        assignment = cls.assignment
        root = tmp_path_factory.mktemp(f"chapter-{assignment}")
        shutil.copy(ROOT / "nbgrader_config.py", root)
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
        run_cli("--root", str(root), "release", assignment)
        sources = {}
        for path in sorted((root / "solutions" / assignment).glob("*.ipynb")):
            source = nbformat.read(path, as_version=4)
            release = nbformat.read(root / "exercises" / assignment / path.name, as_version=4)
            sources[path.name] = source
            notebooks = {
                "solution": submission(release, source, None),
                "stub": submission(release, source, set()),
                "half": submission(release, source, {first_code_answer(source)}),
            }
            solution_ids = {meta(c).get("grade_id") for c in source.cells}
            for index, answer in enumerate(wrong_answers(assignment).values()):
                if answer["cell"] in solution_ids:
                    notebooks[f"wrong{index:02d}"] = with_cell(
                        notebooks["solution"], answer["cell"], answer["source"]
                    )
            for student, notebook in notebooks.items():
                folder = root / "submitted" / student / assignment
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, folder / path.name)
        run_cli("--root", str(root), "autograde", assignment, "--jobs", "2", "--quiet")
        rows = json.loads((root / "reports" / assignment / "results.json").read_text())
        return root, sources, {r["student"]: r for r in rows}

    def test_exercises_match_a_fresh_generate_assignment(self, graded):
        """Is the committed exercises/ folder what nbgrader makes from solutions/ today?"""
        root, _, _ = graded
        fresh = root / "exercises" / self.assignment
        stored = ROOT / "exercises" / self.assignment
        names = sorted(p.name for p in fresh.iterdir())
        assert sorted(p.name for p in stored.iterdir()) == names, (
            "exercises/ holds other files than nbgrader generates"
        )
        for name in names:
            assert (stored / name).read_text() == (fresh / name).read_text(), (
                f"exercises/{self.assignment}/{name} is out of date: run `make exercises` "
                "and commit the result"
            )

    def test_every_student_was_graded(self, graded):
        _, _, results = graded
        wrong = {f"wrong{i:02d}" for i in range(len(wrong_answers(self.assignment)))}
        assert set(results) == set(STUDENTS) | wrong, (self.assignment, sorted(results))
        for student, row in results.items():
            problems = [nb["problem"] for nb in row["notebooks"] if nb["problem"]]
            assert not problems, f"{self.assignment}/{student}: {problems}"

    def test_the_solution_gets_full_automatic_points(self, graded):
        _, _, results = graded
        auto = items(results["solution"])
        assert sum(i["max_points"] for i in auto) >= 10, f"{self.assignment}: under 10 points"
        failed = [(i["grade_id"], i["reason"]) for i in auto if i["score"] != i["max_points"]]
        assert not failed, f"{self.assignment}: the solution loses points under `course`: {failed}"
        manual = [i for i in items(results["solution"], None) if i["kind"] != "auto"]
        assert manual, f"{self.assignment} has no manually graded answer"

    def test_the_release_scores_zero_with_a_reason(self, graded):
        _, _, results = graded
        auto = items(results["stub"])
        assert auto
        for item in auto:
            assert item["score"] == 0 and item["reason"], (self.assignment, item)
            assert item["status"] == "failed", (self.assignment, item)

    def test_a_half_done_submission_scores_what_it_earned(self, graded):
        """Only the first item answered: the first graded test after it passes, no other."""
        _, sources, results = graded
        auto = {i["grade_id"]: i for i in items(results["half"])}
        expected = 0.0
        for source in sources.values():
            ids = [meta(c).get("grade_id") for c in source.cells]
            solved = first_code_answer(source)
            test_id = next(g for g in ids[ids.index(solved) :] if g in auto)
            assert auto[test_id]["score"] == auto[test_id]["max_points"], auto[test_id]
            expected += auto[test_id]["max_points"]
        earned = sum(i["score"] or 0 for i in auto.values())
        assert earned == expected, f"{self.assignment}: the half-done one earned {earned}"

    def test_each_wrong_but_plausible_answer_scores_zero_on_its_item(self, graded):
        _, _, results = graded
        for index, (key, answer) in enumerate(wrong_answers(self.assignment).items()):
            auto = {i["grade_id"]: i for i in items(results[f"wrong{index:02d}"])}
            assert answer["tests"] in auto, f"{key}: no graded test cell {answer['tests']!r}"
            item = auto[answer["tests"]]
            assert item["score"] == 0 and item["status"] == "failed", (
                f"{self.assignment} {key} ({answer['why']}) earns {item['score']} on "
                f"{answer['tests']}: the hidden tests let this classic mistake through"
            )


@pytest.mark.parametrize(
    "assignment", [a for a in ASSIGNMENTS if a not in WITHOUT_WRONG_ANSWERS] or ["none"]
)
def test_every_graded_item_has_a_wrong_answer(assignment):
    """Does each chapter keep a classic mistake for every graded code item?"""
    if assignment == "none":
        return  # every chapter is still in WITHOUT_WRONG_ANSWERS
    cells = {
        meta(c)["grade_id"]
        for path in sorted((ROOT / "solutions" / assignment).glob("*.ipynb"))
        for c in nbformat.read(path, as_version=4).cells
        if meta(c).get("solution") and c.cell_type == "code"
    }
    covered = {answer["cell"] for answer in wrong_answers(assignment).values()}
    assert cells, f"{assignment} has no graded code item"
    assert cells <= covered, f"{assignment}: no wrong answer for {sorted(cells - covered)}"


def with_cell(notebook, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose cell ``grade_id`` holds ``source``."""
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    matches = [cell for cell in copy.cells if meta(cell).get("grade_id") == grade_id]
    assert len(matches) == 1, f"{grade_id}: {len(matches)} cells with this grade_id"
    matches[0].source = source
    return copy


def items(row: dict, kind: str | None = "auto") -> list[dict]:
    return [i for nb in row["notebooks"] for i in nb["items"] if kind is None or i["kind"] == kind]


# One test class per chapter: TestChapter01 for 01_foundations, ...
for _assignment in ASSIGNMENTS:
    _name = f"TestChapter{_assignment.split('_')[0]}"
    globals()[_name] = type(_name, (Chapter,), {"assignment": _assignment})
