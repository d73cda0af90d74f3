"""Feedback pages without hidden tests and with the manual grades, for plain
``nbgrader generate_feedback`` too.

``course autograde`` never writes hidden tests into ``autograded/``. Plain
``nbgrader autograde`` does: its test cells keep their hidden part, and a failing hidden
check's traceback quotes its lines. ``nbgrader_config.py`` adds ``HideHiddenTests`` to
``GenerateFeedback``'s preprocessors, so that either way the page a student gets shows the
visible checks and the failure message, never the hidden code.

The "Autograder report" table at the top of each autograded notebook is written at
autograde time, when a written answer still says "to be graded". ``RefreshReport``, also in
``GenerateFeedback``'s preprocessors, rewrites the rows of the items the instructor graded in
the formgrader with the gradebook's score and comment (``course_grader.manual``).
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from course_grader.manual import read_marks, report_row

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HIDDEN = re.compile(r"[ \t]*#+[ \t]*BEGIN HIDDEN TESTS.*?END HIDDEN TESTS[^\n]*\n?", re.S)


# A hidden line shorter than this ("x = 1") is too common to recognise in a traceback or a page.
HIDDEN_MIN_LENGTH = 8


def hidden_lines(source: str) -> list[str]:
    """The non-trivial lines inside a cell's hidden-test regions: the one extractor, used to
    scrub feedback (below) and to check that no page shows one (workflow.hidden_test_lines)."""
    lines = []
    for block in HIDDEN.findall(source):
        lines += [
            ln.strip() for ln in block.splitlines()[1:-1] if len(ln.strip()) >= HIDDEN_MIN_LENGTH
        ]
    return lines


def scrub(text: str, hidden: list[str]) -> str:
    """``text`` without the lines that quote a hidden line."""
    kept = [ln for ln in text.split("\n") if not any(h in ANSI.sub("", ln) for h in hidden)]
    return "\n".join(kept)


class HideHiddenTests(Preprocessor):
    """Remove hidden-test regions from grade cells, and their lines from tracebacks."""

    enabled = Bool(True, help="on by default: nbconvert's preprocessors are off").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("grade"):
            return cell, resources
        hidden = hidden_lines(cell.source)
        if not hidden:
            return cell, resources
        cell.source = HIDDEN.sub("", cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [scrub(t, hidden) for t in output.get("traceback", [])]
            elif "text" in output:
                output["text"] = scrub(output["text"], hidden)
        return cell, resources


# A row of the "Autograder report" table: | grade_id | score / max | reason |
REPORT_ROW = re.compile(
    r"^\| (?P<id>[^|]+?) \| (?P<score>[^|]*) / (?P<max>[^|]+?) \| (?P<why>.*) \|$"
)


class RefreshReport(Preprocessor):
    """Rewrite the "Autograder report" rows of the items graded by hand, from the gradebook."""

    enabled = Bool(True, help="on by default: nbconvert's preprocessors are off").tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        reports = [c for c in nb.cells if c.get("metadata", {}).get("autograder_report")]
        info = resources.get("nbgrader", {})
        if not reports or "db_url" not in info:
            return nb, resources
        kinds = {}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                kinds[meta.get("grade_id")] = "manual" if meta.get("solution") else "auto"
        with Gradebook(info["db_url"]) as gradebook:  # as nbgrader's GetGrades opens it
            marks, _ = read_marks(gradebook, info["assignment"], info["student"], info["notebook"])
        for cell in reports:
            cell.source = "\n".join(
                self._row(line, marks, kinds) for line in cell.source.split("\n")
            )
        return nb, resources

    @staticmethod
    def _row(line: str, marks, kinds) -> str:
        match = REPORT_ROW.match(line)
        mark = marks.get(match["id"]) if match else None
        if mark is None or not mark.by_hand:
            return line
        why = match["why"].replace("\\|", "|")
        return report_row(
            match["id"], kinds.get(match["id"], "auto"), mark, float(match["max"]), why
        )
