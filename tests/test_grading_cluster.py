"""`course autograde --cluster`: grading on Dask workers gives the local run's grades.

Questions answered here:
- Does a class graded on two Dask workers (a real scheduler and two worker processes on
  this machine) get exactly the local run's scores, reasons and notes, and the same
  gradebook, links and oversized files included?
- When a worker process is killed (SIGKILL) in the middle of a submission, is that
  submission graded again elsewhere and recorded exactly once, and nothing lost?
- Does a submission whose workers keep dying become a grader error for that student only?
- Are sandbox slots unique on a machine, even between threads of one process?
- Does a submission folder travel so that the grader sees the same files and notes?
- Does an unreachable scheduler give an error that names its address?
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from grading_corpus import ASSIGNMENT, NOTEBOOK, Kit, sandbox_processes, solution_answers
from test_grading_course import make_course

from course_grader import cli, cluster, workflow
from course_grader.grader import Job, copy_submission
from course_grader.notebook import load
from course_grader.sandbox import FIRST_UID, sandbox_problem
from course_grader.workflow import Course, WorkflowError, autograde, failed_result

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).parent / "dask"
SLEEP = 6  # seconds the "slow" submission sleeps in a cell: a kill lands mid-task
pytestmark = [pytest.mark.grading]
HALF = ("q1_confusion_matrix", "q4_roc_points")  # 5 of the 12 automatic points


def require(problem: str | None) -> None:
    """Skip when a program is missing; under CI (CI=true) fail instead."""
    if problem:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI must run the cluster tests: {problem}")
        pytest.skip(problem)


def dask_problem() -> str | None:
    if importlib.util.find_spec("distributed") is None or not DASK.exists():
        return "Dask's distributed is not installed (pip install -e '.[instructor]')"
    return None


def cluster_problem() -> str | None:
    return dask_problem() or sandbox_problem()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the class, graded locally once ------------------------------------------------------
def write_class(root: Path) -> None:
    """ada complete, dee broken (not JSON), eve half done with extra files, slow asleep."""
    release = nbformat.read(root / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(root / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    kit = Kit(release, solution_answers(source), root)
    submitted = root / "submitted"
    ada = submitted / "ada" / ASSIGNMENT
    ada.mkdir(parents=True)
    nbformat.write(kit.notebook(), ada / NOTEBOOK)
    (ada / "timestamp.txt").write_text("2026-03-01 10:00:00 UTC")
    dee = submitted / "dee" / ASSIGNMENT
    dee.mkdir(parents=True)
    (dee / NOTEBOOK).write_text('{"cells": [')  # broken: not JSON
    eve = submitted / "eve" / ASSIGNMENT
    (eve / "data").mkdir(parents=True)
    code = "import os\nprint(sorted(os.listdir('.')), sorted(os.listdir('data')))"
    nbformat.write(kit.insert(kit.notebook(HALF), 1, code), eve / NOTEBOOK)
    (eve / "data" / "small.csv").write_text("x,y\n1,2\n")
    with open(eve / "data" / "huge.bin", "wb") as handle:
        handle.truncate(60 * 2**20)  # over 50 MiB: left out, with a note
    (eve / "answers.ipynb").symlink_to(root / "solutions" / ASSIGNMENT / NOTEBOOK)
    slow = submitted / "slow" / ASSIGNMENT
    slow.mkdir(parents=True)
    nbformat.write(
        kit.insert(kit.notebook(), 1, f"import time\ntime.sleep({SLEEP})"), slow / NOTEBOOK
    )


def summary(results) -> dict:
    """Per student: score, each item's score, status and reason, each notebook's notes."""
    return {
        r.student: (
            r.score,
            r.timestamp,
            [(i.notebook, i.grade_id, i.score, i.status, i.reason) for i in r.items],
            [(nb.name, nb.problem, sorted(set(nb.notes))) for nb in r.notebooks],
        )
        for r in results
    }


def gradebook(root: Path) -> tuple[int, dict]:
    """The number of submissions, and every grade: auto score, manual score, to grade."""
    from nbgrader.api import Gradebook

    course = Course.load(root)
    grades = {}
    with Gradebook(course.db_url, course.course_id) as book:
        submissions = book.assignment_submissions(ASSIGNMENT)
        for submission in submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    key = (submission.student.id, notebook.name, grade.name)
                    grades[key] = (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
        return len(submissions), grades


@dataclass
class Graded:
    template: Path  # the course with the class submitted, not graded
    results: dict  # summary() of the local run
    book: tuple[int, dict]  # gradebook() of the local run


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Graded:
    require(cluster_problem())
    template = make_course(tmp_path_factory.mktemp("template") / "course")
    write_class(template)
    root = tmp_path_factory.mktemp("local") / "course"
    shutil.copytree(template, root, symlinks=True)
    results = autograde(Course.load(root), ASSIGNMENT, jobs=2)
    return Graded(template, summary(results), gradebook(root))


def course_copy(graded: Graded, folder: Path) -> Path:
    root = folder / "course"
    shutil.copytree(graded.template, root, symlinks=True)
    return root


# --- a real cluster on this machine ------------------------------------------------------
@dataclass
class Cluster:
    address: str
    client: object  # distributed.Client


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    require(cluster_problem())
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    env = dict(os.environ, PATH=f"{DASK.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    # The digest of course_grader and course_lib that the workers must match, taken as they
    # start (their --preload takes theirs): the same code, even if the checkout is edited.
    cluster.fingerprint()
    processes, client = [], None

    def start(name: str, *argv: str) -> None:
        log = open(folder / f"{name}.log", "w")  # closed when the process has ended
        processes.append(
            (
                subprocess.Popen(
                    [str(DASK), *argv],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=folder,
                    start_new_session=True,  # its own process group: killed as one
                ),
                log,
            )
        )

    try:
        port = address.rsplit(":", 1)[1]
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        for n in range(2):
            start(
                f"worker{n}",
                "worker",
                address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                f"worker{n}",
                "--local-directory",
                str(folder / f"worker{n}"),
                "--preload",
                "course_grader.cluster",
            )
        client = Client(address, timeout=60, set_as_default=False)
        yield Cluster(address, client)  # the workers start while the class is graded locally
    finally:
        if client is not None:
            client.close()
        for process, _ in processes:
            with_signal(process, signal.SIGTERM)
        for process, log in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with_signal(process, signal.SIGKILL)
                process.wait(timeout=20)
            log.close()
        cluster.sweep_scratch(Path(tempfile.gettempdir()))  # a killed worker's scratch folder


def with_signal(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def executing(client) -> dict[str, list[str]]:
    """Worker address -> the keys it is running now (not only queued)."""
    return client.run(lambda dask_worker: [str(ts.key) for ts in dask_worker.state.executing])


def kill_worker_running(
    client, student: str, grading: threading.Thread, outcome: dict
) -> tuple[str, int]:
    """SIGKILL the worker process that runs ``student``'s task, once it is in the sandbox."""
    key = f"-{student}-"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and grading.is_alive():
        running = [w for w, keys in executing(client).items() if any(key in k for k in keys)]
        if running:
            time.sleep(2)  # the sandbox has started, and the cell sleeps SLEEP seconds
            pid = client.run(os.getpid, workers=running[:1])[running[0]]
            os.kill(pid, signal.SIGKILL)
            return running[0], pid
        time.sleep(0.2)
    if "error" in outcome:
        raise outcome["error"]
    raise AssertionError(f"no worker ran {student}'s submission while the batch was graded")


def in_background(target) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["results"] = target()
        except BaseException as error:  # handed to the test, which raises it
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def no_sandbox_left() -> bool:
    """No process runs as a cluster sandbox user (only checkable as root)."""
    first = FIRST_UID + cluster.FIRST_CLUSTER_SLOT
    deadline = time.monotonic() + 15
    while sandbox_processes(first, len(cluster.CLUSTER_SLOTS)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.mark.slow
def test_the_cluster_gives_the_local_grades(dask_cluster, local, tmp_path):
    root = course_copy(local, tmp_path)
    dask_cluster.client.wait_for_workers(2, timeout=300)
    seen = []
    results = autograde(
        Course.load(root), ASSIGNMENT, cluster=dask_cluster.address, progress=seen.append
    )
    assert sorted(r.student for r in seen) == sorted(local.results)  # progress, once each
    assert summary(results) == local.results
    assert gradebook(root) == local.book
    notes = local.results["eve"][3][0][2]
    assert any("answers.ipynb was not copied" in n for n in notes), notes
    assert any("huge.bin is over 50 MiB" in n for n in notes), notes
    assert [local.results[s][0] for s in ("ada", "dee", "eve", "slow")] == [12, 0, 5, 12]
    graded = nbformat.read(root / "autograded" / "eve" / ASSIGNMENT / NOTEBOOK, as_version=4)
    printed = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    assert "'small.csv'" in printed and "huge.bin" not in printed and "answers" not in printed


@pytest.mark.slow
def test_a_worker_killed_mid_submission_loses_nothing(dask_cluster, local, tmp_path, monkeypatch):
    root = course_copy(local, tmp_path)
    dask_cluster.client.wait_for_workers(2, timeout=300)
    recorded = Counter()
    record = workflow.record

    def counting(course, result):
        recorded[result.student] += 1
        record(course, result)

    monkeypatch.setattr(workflow, "record", counting)
    thread, outcome = in_background(
        lambda: autograde(Course.load(root), ASSIGNMENT, cluster=dask_cluster.address)
    )
    try:
        _, pid = kill_worker_running(dask_cluster.client, "slow", thread, outcome)
    finally:
        thread.join(timeout=400)
    assert "error" not in outcome, outcome.get("error")
    assert recorded == Counter(dict.fromkeys(local.results, 1))  # none lost, none twice
    assert summary(outcome["results"]) == local.results
    assert gradebook(root) == local.book
    assert os.geteuid() != 0 or no_sandbox_left()  # the dead worker's sandbox died with it
    scratch = Path(tempfile.gettempdir()).glob(f"{cluster.SCRATCH_PREFIX}{pid}-*")
    assert not list(scratch)  # and the next task swept its scratch folder


@pytest.mark.slow
def test_a_submission_whose_workers_die_is_left_for_the_instructor(dask_cluster, local, tmp_path):
    root = course_copy(local, tmp_path)
    dask_cluster.client.wait_for_workers(2, timeout=300)
    client = dask_cluster.client

    def allowed_failures(n):
        return client.run_on_scheduler(
            lambda dask_scheduler, n=n: setattr(dask_scheduler, "allowed_failures", n)
        )

    allowed_failures(0)  # the first death is one too many
    try:
        thread, outcome = in_background(
            lambda: autograde(
                Course.load(root),
                ASSIGNMENT,
                students=["ada", "slow"],
                cluster=dask_cluster.address,
            )
        )
        try:
            dead, _ = kill_worker_running(client, "slow", thread, outcome)
        finally:
            thread.join(timeout=400)
    finally:
        allowed_failures(3)
    assert "error" not in outcome, outcome.get("error")
    results = {r.student: r for r in outcome["results"]}
    assert summary([results["ada"]])["ada"] == local.results["ada"]  # the rest is graded
    for item in results["slow"].items:
        assert item.score is None and item.status == "grader_error"
        assert "a Dask worker died each time it graded this submission" in item.reason
        assert dead in item.reason
    _, grades = gradebook(root)
    assert all(needs for (student, _, _), (_, _, needs) in grades.items() if student == "slow")


@pytest.mark.slow
def test_course_autograde_names_a_scheduler_it_cannot_reach(local, tmp_path, monkeypatch, capsys):
    root = course_copy(local, tmp_path)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    address = f"tcp://127.0.0.1:{free_port()}"
    argv = ["--root", str(root), "autograde", ASSIGNMENT, "--cluster", address, "--quiet"]
    assert cli.main(argv) == 2
    assert f"cannot reach the Dask scheduler at {address}" in capsys.readouterr().err
    assert gradebook(root)[0] == 0  # nothing recorded


# --- the parts, without a cluster --------------------------------------------------------
def test_an_unreachable_scheduler_is_named(monkeypatch):
    require(dask_problem())
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(WorkflowError, match=f"cannot reach the Dask scheduler at {address}"):
        cluster.connect(address)


def test_a_packed_submission_unpacks_to_the_same_files_and_notes(tmp_path):
    folder = tmp_path / "submitted"
    (folder / "data" / "__pycache__").mkdir(parents=True)
    (folder / "empty").mkdir()
    (folder / NOTEBOOK).write_text('{"cells": []}')
    (folder / "data" / "x.csv").write_bytes(b"1,2\n")
    (folder / "data" / "__pycache__" / "m.pyc").write_bytes(b"\0")
    with open(folder / "big.bin", "wb") as handle:
        handle.truncate(51 * 2**20)
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    (folder / "link.ipynb").symlink_to(secret)
    (folder / "dangling").symlink_to(tmp_path / "nowhere")
    (folder / "linked_dir").symlink_to(tmp_path)
    entries = cluster.pack_submission(folder)
    assert b"instructor only" not in pickle.dumps(entries)  # a link never carries its target
    assert not any("__pycache__" in name for name, _, _ in entries)
    copy = tmp_path / "worker" / "submitted"
    cluster.unpack_submission(entries, copy, tmp_path / "worker" / "targets")
    notes = {}
    for name, where in (("here", folder), ("there", copy)):
        notes[name] = []
        copy_submission(where, tmp_path / f"work-{name}", notes[name])
    assert notes["here"] == notes["there"] and len(notes["here"]) == 4
    files = lambda p: sorted(  # noqa: E731
        (f.relative_to(p).as_posix(), f.read_bytes()) for f in p.rglob("*") if f.is_file()
    )
    assert files(tmp_path / "work-here") == files(tmp_path / "work-there")
    for name in ("link.ipynb", "dangling", NOTEBOOK, "linked_dir"):
        assert load(folder / name)[1] == load(copy / name)[1], name
    assert (copy / "big.bin").stat().st_blocks == 0 or os.name != "posix"  # sparse
    assert cluster.pack_submission(tmp_path / "absent") is None


def test_sandbox_slots_are_unique_on_the_machine_even_between_threads(tmp_path):
    slots = range(7, 9)
    with (
        cluster.machine_slot(slots, tmp_path) as first,
        cluster.machine_slot(slots, tmp_path) as second,
    ):
        assert {first, second} == {7, 8}
        got = []
        waiting = threading.Thread(
            target=lambda: got.append(cluster.machine_slot(slots, tmp_path).__enter__())
        )
        waiting.start()
        time.sleep(1.5)
        assert got == []  # both slots are taken: it waits
    waiting.join(timeout=10)
    assert got and got[0] in slots  # it got one as soon as they were given back


def test_only_the_scratch_of_dead_worker_processes_is_swept(tmp_path):
    dead = tmp_path / f"{cluster.SCRATCH_PREFIX}999999999-abc"  # over any pid_max
    alive = tmp_path / f"{cluster.SCRATCH_PREFIX}{os.getpid()}-def"
    for folder in (dead, alive):
        (folder / "source").mkdir(parents=True)
    assert cluster.sweep_scratch(tmp_path) == [dead]
    assert alive.is_dir() and not dead.exists()


def job_of(student: str, tmp_path: Path) -> Job:
    return Job(
        student,
        ASSIGNMENT,
        tmp_path / "absent",
        ROOT / "solutions" / ASSIGNMENT,
        ROOT / "exercises" / ASSIGNMENT,
        tmp_path / "scratch",
    )


def test_a_killed_worker_error_becomes_a_grader_error_for_that_student(tmp_path):
    require(dask_problem())
    from distributed import KilledWorker

    last = SimpleNamespace(address="tcp://10.0.0.9:40000")

    class Dead:
        def result(self):
            raise KilledWorker("grade-02_metrics-zoe-1", last, 3)

    result = cluster.outcome(job_of("zoe", tmp_path), Dead())
    assert result.student == "zoe" and result.items
    for item in result.items:
        assert item.score is None and item.status == "grader_error"
        assert "4 times" in item.reason and "tcp://10.0.0.9:40000" in item.reason


def test_a_result_survives_pickling_and_a_changed_worker_is_refused(tmp_path):
    result = failed_result(job_of("zoe", tmp_path), "a reason")
    assert pickle.loads(pickle.dumps(result)) == result
    problem = cluster.worker_report("0" * 16, False)
    assert problem and "install the same version of the course" in problem
    assert cluster.worker_report(cluster.fingerprint(), False) is None
