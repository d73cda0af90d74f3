"""Manual grades: what the instructor entered in nbgrader's formgrader, read from the gradebook.

The formgrader writes a score (``Grade.manual_score``, ``extra_credit``) and a comment
(``Comment.manual_comment``) straight into nbgrader's gradebook. The autograder's own
records, ``reports/<assignment>/results.json`` and the "Autograder report" table at the top
of every autograded notebook, are written before that; ``refresh_rows`` and
``report_row`` bring them up to date, so that the reports (``workflow.write_reports``) and
the feedback pages (``feedback.RefreshReport``) show the manual scores and comments. A
manually graded item's verdict replaces the autograder's, which is kept beside it
(``"autograder"``), so that clearing the manual score in the formgrader restores it.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_grader.grader import report_row as table_row

BY_HAND = "graded_by_hand"


@dataclass(frozen=True)
class Mark:
    """One graded item as the gradebook holds it."""

    score: float  # what nbgrader counts: the manual score when set, plus extra credit
    manual_score: float | None
    extra_credit: float | None
    comment: str | None  # the instructor's comment on that cell, if any

    @property
    def by_hand(self) -> bool:
        """Did the instructor set this item's score (or give extra credit)?"""
        return self.manual_score is not None or bool(self.extra_credit)


def read_marks(
    gradebook, assignment: str, student: str, notebook: str
) -> tuple[dict[str, Mark], dict[str, str]]:
    """One submitted notebook's items (grade_id -> Mark) and the instructor's comments
    (grade_id -> text, answers to code questions included: they are not items themselves);
    both empty when the gradebook does not have the notebook."""
    from nbgrader.api import MissingEntry

    try:
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        return {}, {}
    comments = {
        c.name: c.manual_comment.strip()
        for c in submitted.comments
        if c.manual_comment and c.manual_comment.strip()
    }
    marks = {
        g.name: Mark(g.score, g.manual_score, g.extra_credit, comments.get(g.name))
        for g in submitted.grades
    }
    return marks, comments


def verdict(kind: str, mark: Mark, autograder_reason: str) -> str:
    """Why an item the instructor graded has its score (the comment goes beside it)."""
    if kind == "manual":
        reason = "graded by the instructor"
    else:
        reason = f"score set by the instructor (the autograder said: {autograder_reason})"
    if mark.extra_credit:
        reason += f", with {mark.extra_credit:g} extra credit"
    return reason


def apply_mark(item: dict, mark: Mark | None) -> None:
    """Bring one item of ``results.json`` up to date with the gradebook, in place."""
    original = item.pop("autograder", None)
    if original:  # the autograder's verdict, from before an earlier manual grade
        item.update(original)
    item["comment"] = mark.comment if mark else None
    if mark is None or not mark.by_hand:
        return
    item["autograder"] = {k: item[k] for k in ("score", "status", "reason")}
    item["reason"] = verdict(item["kind"], mark, item["reason"])
    item["score"] = mark.score
    item["status"] = BY_HAND


def refresh_rows(db_url: str, course_id: str, assignment: str, rows: list[dict]) -> None:
    """Every student's row of ``results.json`` with the gradebook's manual scores and
    comments; a row's ``score`` becomes the sum of its items, as in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id) as gradebook:
        for row in rows:
            for notebook in row["notebooks"]:
                marks, comments = read_marks(
                    gradebook, assignment, row["student"], notebook["name"]
                )
                for item in notebook["items"]:
                    apply_mark(item, marks.get(item["grade_id"]))
                notebook["comments"] = comments
            row["score"] = sum(
                item["score"] or 0.0 for nb in row["notebooks"] for item in nb["items"]
            )


def report_row(grade_id: str, kind: str, mark: Mark, max_points: float, autograder: str) -> str:
    """A row of the "Autograder report" table for an item the instructor graded: the
    gradebook's score, and the reason followed by the instructor's comment.

    >>> report_row("q6_written", "manual", Mark(1.5, 1.5, None, "Say why."), 2.0, "")
    '| q6_written | 1.5 / 2 | graded by the instructor: Say why. |'
    """
    reason = verdict(kind, mark, autograder)
    if mark.comment:
        reason += f": {mark.comment}"
    reason = " ".join(reason.split())  # on one line: a newline would end the table
    return table_row(grade_id, f"{mark.score:g}", max_points, reason)
