"""Feedback pages without hidden tests, for plain ``nbgrader generate_feedback`` too.

``course autograde`` never writes hidden tests into ``autograded/``. Plain
``nbgrader autograde`` does: its test cells keep their hidden part, and a failing hidden
check's traceback quotes its lines. ``nbgrader_config.py`` adds ``HideHiddenTests`` to
``GenerateFeedback``'s preprocessors, so that either way the page a student gets shows the
visible checks and the failure message, never the hidden code.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

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
