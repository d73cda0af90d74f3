"""The gradebook on PostgreSQL: the same `course` round trip through nbgrader's db_url.

Questions answered here:
- Do release and grade (collect, autograde, feedback, export) work against a PostgreSQL
  gradebook, as a multi-instructor hub would use it, with the scores they give on SQLite?
- Does nothing fall back to a local SQLite file?

The test starts Debian's PostgreSQL server itself, on a free loopback port with a data
directory in a temporary folder, and stops it at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest
from grading_corpus import ASSIGNMENT, NOTEBOOK, Kit, solution_answers
from test_grading_course import run_cli

from course_grader.sandbox import sandbox_problem

pytestmark = [pytest.mark.grading, pytest.mark.slow]


def pg_binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
    folder.chmod(0o755)
    data, port = folder / "data", free_port()
    data.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: use Debian's postgres user
        shutil.chown(data, "postgres", "postgres")
        as_user = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
    run = lambda *argv: subprocess.run([*as_user, *argv], check=True, capture_output=True)  # noqa: E731
    run(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    run(pg_ctl, "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))
def test_course_round_trip_on_a_postgresql_gradebook(tmp_path, postgres_url):
    from nbgrader.api import Gradebook

    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "nbgrader_config.py", root)
    shutil.copytree(
        Path(__file__).resolve().parents[1] / "solutions" / ASSIGNMENT,
        root / "solutions" / ASSIGNMENT,
    )
    db = ["--root", str(root), "--db-url", postgres_url]
    run_cli(*db, "release", ASSIGNMENT)
    release = nbformat.read(root / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(root / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    kit = Kit(release, solution_answers(source), root)
    incoming = tmp_path / "incoming"
    for student, solved in {"ada": None, "ben": ("q1_confusion_matrix",)}.items():
        (incoming / student).mkdir(parents=True)
        notebook = kit.notebook() if solved is None else kit.notebook(solved=solved)
        nbformat.write(notebook, incoming / student / NOTEBOOK)
    (incoming / "cyd").mkdir()
    (incoming / "cyd" / NOTEBOOK).write_text("{ broken")
    run_cli(*db, "grade", ASSIGNMENT, str(incoming), "--jobs", "2", "--quiet")
    assert not (root / "gradebook.db").exists(), "nbgrader fell back to SQLite"
    with Gradebook(postgres_url) as gradebook:
        scores = {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)}
        assert gradebook.find_assignment(ASSIGNMENT).max_score == 14
    assert scores == {"ada": 12, "ben": 2, "cyd": 0}
    rows = (root / "grades.csv").read_text().splitlines()
    assert len(rows) == 4 and any(r.startswith(f"{ASSIGNMENT},") and ",ada," in r for r in rows)
    assert len(list((root / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))) == 3
