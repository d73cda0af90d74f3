"""``course report``: how the class did on an assignment, as PNG plots and one HTML page.

Read from ``reports/<assignment>/results.json`` (written by every ``course autograde``):
the distribution of total scores, each item's score distribution, and the tests that
failed most often with their most frequent reasons (case numbers folded together, so
"hidden random case 3" and "hidden random case 7" count as one check).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from course_grader.workflow import Course, WorkflowError


def load_results(course: Course, assignment: str) -> list[dict]:
    path = course.root / "reports" / assignment / "results.json"
    if not path.exists():
        raise WorkflowError(f"no results for {assignment}: run `course autograde {assignment}`")
    return json.loads(path.read_text())


def item_table(results: list[dict]) -> dict[str, dict]:
    """Per automatic item: max points, every student's score, and the failure reasons."""
    table: dict[str, dict] = {}
    for row in results:
        for notebook in row["notebooks"]:
            for item in notebook["items"]:
                if item["kind"] != "auto":
                    continue
                entry = table.setdefault(
                    item["grade_id"],
                    {"max": item["max_points"], "scores": [], "reasons": Counter()},
                )
                entry["scores"].append(item["score"] or 0.0)
                if item["status"] != "passed":
                    entry["reasons"][fold(item["reason"])] += 1
    return table


def fold(reason: str) -> str:
    """A failure reason with its numbers folded, so that repeats of one check group."""
    return re.sub(r"\d+", "#", reason.split("\n")[0])[:140]


def _plot_totals(results: list[dict], path: Path) -> None:
    scores = [r["score"] for r in results]
    top = max((r["max_score"] for r in results), default=1.0)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(scores, bins=np.arange(0, top + 2) - 0.5, color="#4477aa", edgecolor="white")
    ax.set(
        title=f"Total scores ({len(scores)} students)", xlabel="points", ylabel="number of students"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_items(table: dict[str, dict], path: Path) -> None:
    names = list(table)
    fig, axes = plt.subplots(
        1, max(len(names), 1), figsize=(2.6 * max(len(names), 1), 3), sharey=True, squeeze=False
    )
    for ax, name in zip(axes[0], names, strict=False):
        entry = table[name]
        bins = np.linspace(0, entry["max"], 6) if entry["max"] else [0, 1]
        ax.hist(entry["scores"], bins=bins, color="#228833", edgecolor="white")
        ax.set(title=name, xlabel=f"points (of {entry['max']:g})")
    axes[0][0].set_ylabel("number of students")
    fig.suptitle("Score distribution of each automatic item")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_failures(table: dict[str, dict], path: Path) -> list[tuple[str, int]]:
    failed = sorted(
        (
            (name, len(e["scores"]) - sum(s >= e["max"] for s in e["scores"]))
            for name, e in table.items()
        ),
        key=lambda t: -t[1],
    )
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.45 * max(len(failed), 1)))
    ax.barh([n for n, _ in failed][::-1], [c for _, c in failed][::-1], color="#cc6677")
    ax.set(title="Most-failed tests", xlabel="students without full points", ylabel="test cell")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return failed


def write_report(course: Course, assignment: str, out: Path | None = None) -> Path:
    """Write ``scores.png``, ``items.png``, ``failures.png`` and ``index.html``."""
    results = load_results(course, assignment)
    out = Path(out or course.root / "reports" / assignment)
    out.mkdir(parents=True, exist_ok=True)
    table = item_table(results)
    _plot_totals(results, out / "scores.png")
    _plot_items(table, out / "items.png")
    failed = _plot_failures(table, out / "failures.png")
    scores = np.array([r["score"] for r in results], dtype=float)
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(name)}</td><td>{np.mean(t['scores']):.2f} / {t['max']:g}</td>"
        f"<td>{np.mean(np.array(t['scores']) >= t['max']):.0%}</td>"
        f"<td>{np.mean(np.array(t['scores']) == 0):.0%}</td></tr>"
        for name, t in table.items()
    )
    reasons = "".join(
        f"<tr><td>{e(name)}</td><td>{count}</td><td>{e(reason)}</td></tr>"
        for name, _ in failed
        for reason, count in table[name]["reasons"].most_common(3)
    )
    students = "".join(
        f"<tr><td>{e(r['student'])}</td><td>{r['score']:g} / {r['max_score']:g}</td>"
        f"<td>{e('; '.join(filter(None, [nb['problem'] for nb in r['notebooks']])))}</td></tr>"
        for r in results
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(assignment)}: class report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .6em}}</style>
</head><body>
<h1>{e(assignment)}: class report</h1>
<p>{len(results)} students; mean {scores.mean() if len(scores) else 0:.2f}, median
{np.median(scores) if len(scores) else 0:.2f} points.</p>
<h2>Total scores</h2><img src="scores.png" alt="histogram of total scores">
<h2>Each item</h2><img src="items.png" alt="score distribution of each item">
<table><tr><th>item</th><th>mean</th><th>full points</th><th>zero</th></tr>{rows}</table>
<h2>Most-failed tests</h2><img src="failures.png" alt="students without full points per test">
<table><tr><th>test</th><th>students</th><th>most frequent reason</th></tr>{reasons}</table>
<h2>Students</h2>
<table><tr><th>student</th><th>score</th><th>problem</th></tr>{students}</table>
</body></html>
"""
    (out / "index.html").write_text(page)
    return out / "index.html"
