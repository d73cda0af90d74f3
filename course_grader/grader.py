"""Grade one student's submission of one assignment: every notebook, every item, a reason each.

For each notebook: read it (a missing, empty or invalid one scores 0 with the reason),
rebuild it from the source (``notebook.rebuild``), run the student's cells in a fresh
sandbox and each test cell in the grader (``trusted``). When the sandbox dies (or hangs
and is killed), the cell that killed it records why, and a new kernel, with the cells
before run again, grades the rest (``restart``): one runaway cell costs its own item, not
the items after it. Past ``restart.MAX_RESTARTS`` restarts, the rest scores 0 as not run,
with the reason. The result holds the autograded notebook (hidden tests left out) and
one ``ItemResult`` per graded cell; ``workflow`` writes them to the gradebook and to disk.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_grader.notebook import graded_items, load, rebuild
from course_grader.restart import Kernel
from course_grader.sandbox import Limits, SandboxDied
from course_grader.trusted import Outcome

MAX_FILE_BYTES = 50 * 2**20
SKIP = {".ipynb_checkpoints", "__pycache__"}


@dataclass
class ItemResult:
    notebook: str
    grade_id: str
    kind: str  # "auto" (a test cell) or "manual" (an answer the instructor grades)
    max_points: float
    score: float | None  # None: the instructor must grade it
    status: str
    reason: str


@dataclass
class NotebookResult:
    name: str
    items: list[ItemResult]
    notes: list[str] = field(default_factory=list)
    problem: str | None = None  # why the notebook could not be graded at all
    notebook: nbformat.NotebookNode | None = None


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebooks: list[NotebookResult]
    seconds: float = 0.0
    timestamp: str | None = None

    @property
    def items(self) -> list[ItemResult]:
        return [item for nb in self.notebooks for item in nb.items]

    @property
    def score(self) -> float:
        return sum(i.score or 0.0 for i in self.items)

    @property
    def max_score(self) -> float:
        return sum(i.max_points for i in self.items)


@dataclass(frozen=True)
class Job:
    student: str
    assignment: str
    submission: Path  # submitted/<student>/<assignment>; it may not exist
    source: Path  # solutions/<assignment>
    release: Path  # exercises/<assignment>
    scratch: Path  # a private temporary folder, removed at the end
    limits: Limits = field(default_factory=Limits)
    isolate: bool = True
    slot: int = 0


def error_output(ename: str, evalue: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def clean_outputs(outputs) -> list:
    """Outputs sent by the sandbox, kept only when they have nbformat's shape."""
    clean = []
    for out in outputs if isinstance(outputs, list) else []:
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") in ("stdout", "stderr"):
            clean.append(
                nbformat.v4.new_output("stream", name=out["name"], text=str(out.get("text", "")))
            )
        elif kind == "display_data" and isinstance(out.get("data"), dict):
            data = {str(k): v for k, v in out["data"].items() if isinstance(v, str)}
            clean.append(nbformat.v4.new_output("display_data", data=data))
        elif kind == "error":
            trace = out.get("traceback")
            trace = [str(t) for t in trace][:40] if isinstance(trace, list) else []
            clean.append(
                nbformat.v4.new_output(
                    "error",
                    ename=str(out.get("ename", "Error")),
                    evalue=str(out.get("evalue", "")),
                    traceback=trace,
                )
            )
    return clean


def copy_submission(submission: Path, workdir: Path, notes: list[str]) -> None:
    """Copy the submitted folder's regular files; symlinks and huge files stay behind."""
    workdir.mkdir(parents=True, exist_ok=True)
    if not submission.is_dir():
        return
    for path in sorted(submission.rglob("*")):
        relative = path.relative_to(submission)
        if SKIP & set(relative.parts):
            continue
        if path.is_symlink():
            notes.append(f"the submitted link {relative} was not copied (links are not accepted)")
        elif path.is_file():
            if path.stat().st_size > MAX_FILE_BYTES:
                notes.append(f"the submitted file {relative} is over 50 MiB and was not copied")
                continue
            (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, workdir / relative)


def report_row(grade_id: str, score: str, max_points: float, reason: str) -> str:
    """A row of the "Autograder report" table (``feedback.REPORT_ROW`` reads it back)."""
    reason = reason.replace("|", "\\|").replace("\n", " ")
    return f"| {grade_id} | {score} / {max_points:g} | {reason} |"


def _summary_cell(result: NotebookResult) -> nbformat.NotebookNode:
    lines = ["## Autograder report", "", "| item | points | result |", "| --- | --- | --- |"]
    for item in result.items:
        score = "to be graded" if item.score is None else f"{item.score:g}"
        lines.append(report_row(item.grade_id, score, item.max_points, item.reason))
    if result.problem:
        lines += ["", f"**This notebook could not be graded: {result.problem}.**"]
    if result.notes:
        lines += ["", "Notes:", *[f"- {note}" for note in dict.fromkeys(result.notes)]]
    return nbformat.v4.new_markdown_cell("\n".join(lines), metadata={"autograder_report": True})


def _ungraded(name: str, source, release, problem: str) -> NotebookResult:
    items = [
        ItemResult(name, gid, kind, points, 0.0, "not_graded", problem)
        for gid, kind, points in graded_items(source)
    ]
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = (
                [error_output("NotGraded", problem)]
                if cell.metadata.get("nbgrader", {}).get("grade")
                else []
            )
    result = NotebookResult(name, items, problem=problem, notebook=notebook)
    notebook.cells.insert(0, _summary_cell(result))
    return result


def _find_notebook(job: Job, name: str, all_names: list[str], notes: list[str]):
    path = job.submission / f"{name}.ipynb"
    student, problem = load(path)
    if problem and not path.exists() and len(all_names) == 1 and job.submission.is_dir():
        others = [p for p in sorted(job.submission.glob("*.ipynb")) if p.is_file()]
        if len(others) == 1:
            student, other_problem = load(others[0])
            if other_problem is None:
                notes.append(f"graded {others[0].name} in place of the missing {name}.ipynb")
                return student, None
            problem = other_problem
    return student, problem


def run_plan(plan, kernel: Kernel, notes: list[str]) -> dict[str, Outcome]:
    """Run every step of the rebuilt notebook, writing each cell's outputs into it.

    Returns the outcome of each test cell by ``grade_id``. When the kernel dies on a cell,
    that cell says why and ``kernel.died`` restarts it (``restart``); once it cannot, the
    test cells after score 0 as not run, each with the reason.
    """
    outcomes: dict[str, Outcome] = {}
    timeout = kernel.limits.cell_timeout
    for number, step in enumerate(plan.steps):
        cell = plan.cells[step.index]
        if kernel.dead is not None:
            if step.kind == "test":
                outcomes[step.grade_id] = Outcome(0.0, "not_run", f"not run: {kernel.dead}")
                cell.outputs = [error_output("NotRun", kernel.dead)]
            continue
        try:
            if step.kind == "test":
                outcome = kernel.session.run_test(step.source, step.points)
                outcomes[step.grade_id] = outcome
                cell.outputs = clean_outputs(outcome.outputs)
                continue
            reply, problem = kernel.run(step)
            cell.outputs = clean_outputs(reply.get("outputs"))
            if reply.get("status") == "timeout":
                cell.outputs.append(error_output("Timeout", f"the cell ran over {timeout:.0f} s"))
                notes.append(f"a cell was interrupted after {timeout:.0f} s")
            if problem is not None:
                notes.append(f"grader error in a locked cell: {problem}")
        except SandboxDied as error:
            said = kernel.died(error.reason, more=number + 1 < len(plan.steps))
            where = f"test {step.grade_id}" if step.kind == "test" else "a cell"
            notes.append(f"while running {where}, {said}")
            cell.outputs = [*cell.outputs, error_output("KernelDied", said)]
            if step.kind == "test":
                outcomes[step.grade_id] = Outcome(0.0, "died", f"during this test, {said}")
    return outcomes


def grade_notebook(job: Job, name: str, all_names: list[str]) -> NotebookResult:
    source = nbformat.read(job.source / f"{name}.ipynb", as_version=4)
    release = nbformat.read(job.release / f"{name}.ipynb", as_version=4)
    notes: list[str] = []
    student, problem = _find_notebook(job, name, all_names, notes)
    if problem:
        return _ungraded(name, source, release, problem)
    plan = rebuild(source, release, student)
    notes += plan.notes

    def workdir(number: int) -> Path:
        """Kernel ``number``'s working folder: the submitted files, as submitted."""
        folder = job.scratch / name / f"work{number}"
        copy_submission(job.submission, folder, notes if number == 0 else [])
        return folder

    kernel = Kernel(workdir, job.limits, slot=job.slot, isolate=job.isolate)
    try:
        kernel.start()
        outcomes = run_plan(plan, kernel, notes)
    finally:
        kernel.close()
    items = []
    for gid, kind, points in graded_items(source):
        if kind == "auto":
            outcome = outcomes.get(gid, Outcome(0.0, "not_run", "the test cell did not run"))
            items.append(
                ItemResult(name, gid, kind, points, outcome.score, outcome.status, outcome.reason)
            )
        elif gid in plan.unanswered:
            items.append(
                ItemResult(
                    name,
                    gid,
                    kind,
                    points,
                    0.0,
                    "no_response",
                    "no answer: the cell is as released",
                )
            )
        else:
            items.append(
                ItemResult(
                    name, gid, kind, points, None, "manual", "to be graded by the instructor"
                )
            )
    seen: set[str] = set()
    for cell in plan.cells:  # a duplicated cell keeps its id: give the copy a new one
        if cell.get("id") in seen or not cell.get("id"):
            cell["id"] = uuid.uuid4().hex[:8]
        seen.add(cell["id"])
    notebook = nbformat.v4.new_notebook(cells=plan.cells, metadata=release.metadata)
    result = NotebookResult(name, items, notes, None, notebook)
    notebook.cells.insert(0, _summary_cell(result))
    return result


def grade(job: Job) -> SubmissionResult:
    """Grade every notebook of the assignment for one student; never raises for a bad one."""
    start = time.monotonic()
    names = sorted(p.stem for p in job.source.glob("*.ipynb"))
    stamp = job.submission / "timestamp.txt"
    timestamp = stamp.read_text().strip() if stamp.is_file() and not stamp.is_symlink() else None
    results = []
    try:
        for name in names:
            results.append(grade_notebook(job, name, names))
    finally:
        shutil.rmtree(job.scratch, ignore_errors=True)
    return SubmissionResult(
        job.student, job.assignment, results, time.monotonic() - start, timestamp
    )
