"""Read a submitted notebook whatever state it is in, and rebuild it from the source.

The source notebook (``solutions/``) decides what every cell is; the submission only
contributes the text of its answer cells and the cells the student added. Test cells and
locked cells are always the source's, matched by ``grade_id``: a deleted, retyped,
edited, duplicated or metadata-forged test cell is restored and graded, and each repair
is written down as a note for the feedback. A student's added cells keep their place
after the nearest cell they followed.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import compute_checksum

MAX_NOTEBOOK_BYTES = 20 * 2**20
ROLE_KEYS = ("grade", "solution", "locked", "points", "schema_version", "task")


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {})
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) else None


def role(cell) -> str:
    """What a source cell is: answer, test, locked, or free (no nbgrader role)."""
    meta = nbgrader_meta(cell)
    if meta.get("solution"):
        return "answer"
    if meta.get("grade") and cell.cell_type == "code":
        return "test"
    if meta.get("grade") or meta.get("task") or meta.get("locked"):
        return "locked"
    return "free"


def load(path: Path) -> tuple[nbformat.NotebookNode | None, str | None]:
    """The notebook at ``path``, or ``None`` and the reason it cannot be graded."""
    if not path.exists():
        return None, f"the notebook {path.name} was not submitted"
    if path.is_symlink() or not path.is_file():
        return None, f"{path.name} is not a regular file"
    size = path.stat().st_size
    if size == 0 or not path.read_bytes().strip():
        return None, f"the notebook {path.name} is empty (0 bytes of content)"
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"the notebook {path.name} is {size} bytes, over the 20 MiB limit"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return None, f"{path.name} is not a valid notebook: it is not JSON ({error})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, f"{path.name} is not a valid notebook: it has no list of cells"
    try:
        notebook = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as error:  # nbformat raises many kinds for many malformations
        return None, f"{path.name} is not a valid notebook: {error}"
    cells = []
    for cell in notebook.cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        cell["source"] = "".join(source) if isinstance(source, list) else str(source)
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
        cells.append(cell)
    notebook.cells = cells
    return notebook, None


@dataclass
class Step:
    """One cell to execute: ``kind`` is student, locked (instructor code) or test."""

    kind: str
    index: int  # position of the cell in ``Plan.cells``
    source: str  # what runs: for a test cell, the full source with its hidden tests
    grade_id: str | None = None
    points: float = 0.0


@dataclass
class Plan:
    cells: list = field(default_factory=list)  # the notebook to write, without hidden tests
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unanswered: set[str] = field(default_factory=set)  # answer cells left as released


def _free(cell, notes: list[str]) -> nbformat.NotebookNode:
    cell = copy.deepcopy(cell)
    if "nbgrader" in cell.metadata:
        del cell.metadata["nbgrader"]
        notes.append("ignored the nbgrader metadata of a cell that is not in the assignment")
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def _assign_student_cells(source, released, student, notes):
    """Map the student's cells onto source positions: answers by id, the rest attached."""
    index = {grade_id(c): i for i, c in enumerate(source.cells) if grade_id(c)}
    answers: dict[str, nbformat.NotebookNode] = {}
    attached: dict[int, list] = defaultdict(list)
    seen: set[str] = set()
    anchor = -1
    for cell in student.cells:
        gid = grade_id(cell)
        if gid in index:
            src = source.cells[index[gid]]
            duplicate = gid in seen
            seen.add(gid)
            if cell.cell_type != src.cell_type and not duplicate:
                notes.append(
                    f"cell {gid} was changed to {cell.cell_type}: restored as {src.cell_type}"
                )
            meta = nbgrader_meta(cell)
            if any(meta.get(k) != nbgrader_meta(src).get(k) for k in ROLE_KEYS) and not duplicate:
                notes.append(
                    f"the nbgrader metadata of cell {gid} was edited: restored from the source"
                )
            if role(src) == "answer" and not duplicate:
                answers[gid] = cell
                anchor = max(anchor, index[gid])
                continue
            if role(src) != "answer":
                if duplicate:
                    notes.append(f"ignored a duplicate of cell {gid}")
                elif role(src) == "test" and cell.source != released.get(gid, src).source:
                    notes.append(f"test cell {gid} was edited: the original was graded")
                anchor = max(anchor, index[gid])
                continue
            notes.append(f"a duplicate of answer cell {gid} runs as an extra cell")
        attached[anchor].append(_free(cell, notes))
    for gid, i in index.items():
        if gid not in seen and role(source.cells[i]) != "free":
            kind = {"answer": "answer", "test": "test"}.get(role(source.cells[i]), "locked")
            origin = "the released stub" if kind == "answer" else "the source"
            notes.append(f"{kind} cell {gid} was deleted: restored from {origin}")
    return answers, attached


def rebuild(source, release, student) -> Plan:
    """The notebook to grade: the source's structure with the student's answers in it."""
    plan = Plan()
    released = {grade_id(c): c for c in release.cells if grade_id(c)}
    answers, attached = _assign_student_cells(source, released, student, plan.notes)

    def add(cell, kind=None, run=None, gid=None, points=0.0):
        plan.cells.append(cell)
        if kind is not None and cell.cell_type == "code":
            plan.steps.append(Step(kind, len(plan.cells) - 1, run, gid, points))

    for cell in attached[-1]:
        add(cell, "student", cell.source)
    for i, src in enumerate(source.cells):
        gid, what = grade_id(src), role(src)
        if what == "answer":
            cell = copy.deepcopy(released.get(gid, src))
            if gid in answers:
                cell.source = answers[gid].source
            checksum = nbgrader_meta(released.get(gid, {})).get("checksum")
            if checksum is not None and compute_checksum(cell) == checksum:
                plan.unanswered.add(gid)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                add(cell, "student", cell.source, gid)
            else:
                add(cell)
        elif what == "test":
            cell = copy.deepcopy(released.get(gid, src))
            cell.outputs, cell.execution_count = [], None
            points = float(nbgrader_meta(src).get("points", 0))
            add(cell, "test", src.source, gid, points)
        elif what == "locked":
            cell = copy.deepcopy(released.get(gid, src))
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                add(cell, "locked", src.source, gid)
            else:
                add(cell)
        for extra in attached[i]:
            add(extra, "student", extra.source)
    return plan


def graded_items(source) -> list[tuple[str, str, float]]:
    """(grade_id, "auto" or "manual", points) for every graded cell, in order."""
    items = []
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") or meta.get("task"):
            kind = "auto" if role(cell) == "test" else "manual"
            items.append((grade_id(cell), kind, float(meta.get("points", 0))))
    return items
