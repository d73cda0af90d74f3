"""The written answers, graded by hand in nbgrader's formgrader after `course autograde`.

A scratch course (chapter 02, as in test_grading_course) is released and two submissions are
autograded in the sandbox: ada answered the written question, ben did not. A Jupyter server
with nbgrader's formgrader server extension, enabled on its command line, serves the course
on a free loopback port; headless Chromium (Debian's `chromium`, driven by Playwright, every
request to another host blocked) logs in with the token, goes to Manual Grading, opens ada's
notebook, types a score and a comment into the written answer's boxes and leaves them, as an
instructor does. Then `course feedback` and `course export` run. Questions answered:
- Does the formgrader open our autograded notebook, with a score box for every graded item
  and a comment box under every answer, the "Autograder report" at the top, and no error?
- Do the score and the comment typed there reach the gradebook, and stay on a reload?
- Does `course export` count the manual points in the student's total?
- Does the per-student summary (`reports/<assignment>/results.json`, `items.csv`) include the
  manual score and comment, keeping the reasons of the autograded items?
- Does the feedback page show the comment and the manual score, in the answer's cell and in
  the "Autograder report" table, which said "to be graded" at autograde time?
And without a browser: does clearing a manual score give the item back the autograder's verdict?

Screenshots of the submission page and of the graded answer, and `report.json` (seconds to
each step, requests blocked, browser errors), go to `_build/formgrader/`. The formgrader's
MathJax comes from a CDN: offline it is blocked, and that is the one error allowed. Set
COURSE_CHROMIUM to use another Chromium executable than /usr/bin/chromium.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import chromium
import nbformat
import pytest
from grading_corpus import ASSIGNMENT, NOTEBOOK, POINTS, Kit, solution_answers
from test_grading_course import make_course, run_cli

from course_grader.manual import BY_HAND, Mark, apply_mark
from course_grader.sandbox import sandbox_problem
from course_grader.workflow import Course

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "_build" / "formgrader"
WRITTEN = "q6_written"
ANSWER = "Macro F1: every class counts the same, so the rare disease is not hidden by accuracy."
SCORE = "1.5"
COMMENT = "Right metric | now say which threshold you would report, and why."
NEEDS_SERVER = [
    pytest.mark.grading,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(root: Path, port: int, token: str) -> list[str]:
    """Jupyter Server on the course root, with nbgrader's formgrader enabled explicitly (the
    command line wins over any jupyter_server_config.d), whatever the environment enables."""
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        f"--IdentityProvider.token={token}",
        # a Python literal: traitlets refuses JSON's `true` here
        '--ServerApp.jpserver_extensions={"nbgrader.server_extensions.formgrader": True}',
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # Jupyter refuses to run as root without it
    return command


def start_server(root: Path, runtime: Path) -> tuple[subprocess.Popen, str, str]:
    """The server, started in the course root (the formgrader reads ./nbgrader_config.py);
    its log goes to ``runtime/server.log``. It starts while the course is autograded."""
    port, token = free_port(), secrets.token_hex(16)
    runtime.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with open(runtime / "server.log", "w") as log:  # the server writes to its own copy
        server = subprocess.Popen(
            server_command(root, port, token), cwd=root, env=env, stdout=log, stderr=log
        )
    return server, f"http://127.0.0.1:{port}", token


def wait_for_server(server: subprocess.Popen, base: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the Jupyter server did not start:\n{log.read_text()[-4000:]}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)


def grade_in_formgrader(base: str, token: str, seen: dict) -> None:
    """Log in, open ada's notebook from Manual Grading, type a score and a comment."""
    origin = urlsplit(base).netloc
    with chromium.sync_api().sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def route(request_route):
            if urlsplit(request_route.request.url).netloc == origin:
                request_route.continue_()
            else:
                seen["blocked"].append(request_route.request.url)
                request_route.abort("blockedbyclient")

        context.route("**/*", route)
        page = context.new_page()
        page.on(
            "console", lambda m: m.type == "error" and seen["errors"].append(f"console: {m.text}")
        )
        page.on("pageerror", lambda error: seen["errors"].append(f"uncaught: {error}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and seen["errors"].append(f"{r.status} {r.url}"),
        )
        page.set_default_timeout(60_000)
        # The instructor's way in: the formgrader's address, then Jupyter's login form. (A
        # formgrader page opened with ?token= sets the login cookie without a path, so the
        # browser keeps it for that page's folder: after a deep link such as
        # /formgrader/gradebook/A/N?token=..., the page's API calls go to the login page.)
        page.goto(f"{base}/formgrader")
        page.get_by_label("Password or token").fill(token)
        page.get_by_role("button", name="Log in", exact=True).click()
        page.get_by_role("link", name="Manual Grading").first.click()
        page.get_by_role("link", name=ASSIGNMENT).first.click()  # the assignment
        page.get_by_role("link", name=ASSIGNMENT).last.click()  # its notebook
        page.get_by_text("Submission #1").wait_for()
        page.get_by_text("Show All Names").click()
        page.get_by_role("link", name="ada", exact=True).click()
        loaded = "(f => f && f.grades && f.grades.loaded && f.comments.loaded)(window.formgrader)"
        page.wait_for_function(loaded)
        seen["score_boxes"] = page.eval_on_selector_all("input.score", "es => es.map(e => e.id)")
        seen["comment_boxes"] = page.eval_on_selector_all(
            "textarea.comment", "es => es.map(e => e.id)"
        )
        seen["first_cell"] = page.locator("#notebook-container .cell").first.inner_text()
        cell = page.locator(".nbgrader_cell", has=page.locator(f"#{WRITTEN}"))
        seen["answer_shown"] = cell.inner_text()
        cell.scroll_into_view_if_needed()
        with page.expect_response(
            lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"
        ) as saved:
            page.click(f"#{WRITTEN}")
            page.keyboard.type(SCORE)
            page.keyboard.press("Tab")  # leaving the box saves it
        seen["score_saved"] = saved.value.status
        with page.expect_response(
            lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT"
        ) as saved:
            page.click(f"#{WRITTEN}-comment")
            page.keyboard.type(COMMENT)
            page.keyboard.press("Tab")
        seen["comment_saved"] = saved.value.status
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        cell.screenshot(path=str(ARTIFACTS / "written_answer.png"))
        page.screenshot(path=str(ARTIFACTS / "submission.png"), full_page=True)
        page.reload()
        page.wait_for_function(loaded)
        seen["reloaded"] = (
            page.input_value(f"#{WRITTEN}"),
            page.input_value(f"#{WRITTEN}-comment"),
        )
        browser.close()


@pytest.fixture(scope="module")
def graded_by_hand(tmp_path_factory):
    """The course after autograde, grading ada's written answer in the formgrader, feedback
    and export; with what the browser saw."""
    start = time.monotonic()
    root = make_course(tmp_path_factory.mktemp("formgrader") / "course")
    release = nbformat.read(root / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(root / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    kit = Kit(release, solution_answers(source), root)
    submissions = {
        "ada": kit.notebook(**{WRITTEN: ANSWER}),
        "ben": kit.notebook(solved=("q1_confusion_matrix",)),
    }
    for student, notebook in submissions.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / NOTEBOOK)
    steps = {"release": time.monotonic() - start}
    runtime = root.parent / "jupyter-runtime"
    server, base, token = start_server(root, runtime)
    seen = {"blocked": [], "errors": [], "steps": steps}
    try:
        run_cli("--root", str(root), "autograde", ASSIGNMENT, "--jobs", "2", "--quiet")
        steps["autograde"] = time.monotonic() - start
        wait_for_server(server, base, token, runtime / "server.log")
        steps["server"] = time.monotonic() - start
        grade_in_formgrader(base, token, seen)
        steps["browser"] = time.monotonic() - start
    finally:
        stop_server(server)
    seen["server_log"] = (runtime / "server.log").read_text()
    run_cli("--root", str(root), "feedback", ASSIGNMENT)
    steps["feedback"] = time.monotonic() - start
    run_cli("--root", str(root), "export")
    steps["export"] = time.monotonic() - start
    report = {k: seen[k] for k in ("steps", "blocked", "errors")}
    (ARTIFACTS / "report.json").write_text(json.dumps(report, indent=1))
    return root, seen


def _results(root: Path) -> dict[str, dict]:
    rows = json.loads((root / "reports" / ASSIGNMENT / "results.json").read_text())
    return {row["student"]: row for row in rows}


def in_the_formgrader(test):
    """The marks of a test that grades in the browser: slow, and the sandbox is needed."""
    for mark in NEEDS_SERVER:
        test = mark(test)
    return test


@in_the_formgrader
def test_formgrader_opens_the_autograded_notebook_with_its_boxes(graded_by_hand):
    _, seen = graded_by_hand
    # only the formgrader's MathJax, from its CDN, was blocked; its absence is the one error
    assert all("mathjax" in url.lower() for url in seen["blocked"]), seen["blocked"]
    errors = [
        e
        for e in seen["errors"]
        if "ERR_BLOCKED_BY_CLIENT" not in e and not (seen["blocked"] and "MathJax" in e)
    ]
    assert not errors, errors
    assert set(seen["score_boxes"]) == {*POINTS, WRITTEN}
    assert set(seen["comment_boxes"]) >= {f"{WRITTEN}-comment", "q1_confusion_matrix-comment"}
    assert "Autograder report" in seen["first_cell"]
    assert ANSWER in seen["answer_shown"]
    assert (seen["score_saved"], seen["comment_saved"]) == (200, 200)
    assert seen["reloaded"] == (SCORE, COMMENT)
    assert (ARTIFACTS / "submission.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Traceback" not in seen["server_log"], seen["server_log"][-3000:]


@in_the_formgrader
def test_score_and_comment_reach_the_gradebook(graded_by_hand):
    from nbgrader.api import Gradebook

    root, _ = graded_by_hand
    course = Course.load(root)
    with Gradebook(course.db_url, course.course_id) as gradebook:
        grade = gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ada")
        comment = gradebook.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ada")
        assert grade.manual_score == float(SCORE)
        assert not grade.needs_manual_grade
        assert comment.manual_comment == COMMENT
        assert gradebook.find_submission(ASSIGNMENT, "ada").score == 12 + float(SCORE)
        assert gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ben").manual_score is None


@in_the_formgrader
def test_export_counts_the_manual_points(graded_by_hand):
    root, _ = graded_by_hand
    with open(root / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["ada"]["score"]) == 12 + float(SCORE)
    assert float(rows["ben"]["score"]) == 2


@in_the_formgrader
def test_the_per_student_summary_has_the_manual_grade_and_keeps_the_reasons(graded_by_hand):
    root, _ = graded_by_hand
    results = _results(root)
    assert results["ada"]["score"] == 12 + float(SCORE)
    items = {i["grade_id"]: i for i in results["ada"]["notebooks"][0]["items"]}
    assert items[WRITTEN]["score"] == float(SCORE)
    assert items[WRITTEN]["status"] == BY_HAND
    assert items[WRITTEN]["comment"] == COMMENT
    assert items[WRITTEN]["autograder"]["reason"] == "to be graded by the instructor"
    ben = {i["grade_id"]: i for i in results["ben"]["notebooks"][0]["items"]}
    assert results["ben"]["score"] == 2
    assert ben["q2_tests"]["reason"].startswith("NotImplementedError")  # the autograder's
    assert ben[WRITTEN]["status"] == "no_response"
    with open(root / "reports" / ASSIGNMENT / "items.csv", newline="") as handle:
        rows = {(r["student"], r["item"]): r for r in csv.DictReader(handle)}
    assert float(rows["ada", WRITTEN]["score"]) == float(SCORE)
    assert rows["ada", WRITTEN]["comment"] == COMMENT
    assert rows["ben", "q2_tests"]["reason"] == ben["q2_tests"]["reason"]
    # `course report` reads the same summary
    run_cli("--root", str(root), "report", ASSIGNMENT)
    page = (root / "reports" / ASSIGNMENT / "index.html").read_text()
    assert f"<td>ada</td><td>{12 + float(SCORE):g} / 14</td>" in page


@in_the_formgrader
def test_feedback_shows_the_comment_and_the_manual_score(graded_by_hand):
    root, _ = graded_by_hand
    page = root / "feedback" / "ada" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text())).split())
    assert f"Comments: {COMMENT}" in text  # under the answer, as nbgrader shows it
    assert f"Score: {SCORE} / 2.0" in text
    assert f"{WRITTEN} {SCORE} / 2 graded by the instructor: {COMMENT}" in text  # the table
    assert "to be graded" not in text.split("Chapter 02")[0]
    ben = root / "feedback" / "ben" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    assert "no answer: the cell is as released" in html.unescape(ben.read_text())


def test_clearing_a_manual_score_gives_back_the_autograders_verdict():
    """The formgrader can clear a score: the summary must not keep the one it replaced."""
    item = {
        "grade_id": "q1_tests",
        "kind": "auto",
        "max_points": 2.0,
        "score": 0.0,
        "status": "failed",
        "reason": "CheckError: wrong axis",
    }
    apply_mark(item, Mark(score=1.0, manual_score=1.0, extra_credit=None, comment="half"))
    assert (item["score"], item["status"], item["comment"]) == (1.0, BY_HAND, "half")
    assert "CheckError: wrong axis" in item["reason"]  # the autograder's reason stays visible
    apply_mark(item, Mark(score=1.0, manual_score=1.0, extra_credit=None, comment="half"))
    assert item["autograder"]["reason"] == "CheckError: wrong axis"  # not nested twice
    apply_mark(item, Mark(score=0.0, manual_score=None, extra_credit=None, comment=None))
    assert (item["score"], item["status"], item["reason"]) == (
        0.0,
        "failed",
        "CheckError: wrong axis",
    )
    assert "autograder" not in item
