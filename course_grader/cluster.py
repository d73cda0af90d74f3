"""Grading on a Dask cluster: ``course autograde ASSIGNMENT --cluster tcp://HOST:8786``.

Each submission becomes one Dask task (``distributed``). The task carries what grading
needs, so a worker needs the course environment but not the course folder: the
submission's files (by ``copy_submission``'s rules: a link or a file over 50 MiB is not
shipped, only a placeholder of the same kind, so that the grader writes the same note),
and the assignment's source and release notebooks. The worker writes them to a scratch
folder of its own and calls the same ``grade(job)`` as a local run: the same sandbox,
limits and trusted scoring. The result comes back pickled and is recorded here, in the
instructor's process, one submission at a time (``workflow._finish``): the gradebook has
one writer, SQLite or PostgreSQL.

Sandbox slots (user ids ``FIRST_UID + slot`` when the worker runs as root) are taken
machine-wide with ``flock`` on ``/tmp/course-grader-slots-<uid>/<slot>.lock``: an open
file description holds the lock, so two threads of one process are kept apart as well as
two processes, and the kernel lets go when the worker dies. Cluster slots start at
``FIRST_CLUSTER_SLOT``, clear of the local ``--jobs`` slots 0, 1, ... A worker process
grades one submission at a time (``dask worker --nthreads 1 --nworkers N``): the trusted
session captures the process's stdout and warnings.

A worker that dies loses nothing: the scheduler gives its task to another worker and the
future completes once, so each submission is recorded once. A task that has killed
``allowed-failures + 1`` workers (Dask's ``KilledWorker``) becomes a "grader error" for
that student, and the rest of the class is graded.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import functools
import hashlib
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import course_grader
import course_lib
from course_grader.course import Course, WorkflowError
from course_grader.grader import MAX_FILE_BYTES, SKIP, Job, SubmissionResult
from course_grader.sandbox import Limits, sandbox_problem
from course_grader.workflow import _finish, _grade_safely, failed_result

FIRST_CLUSTER_SLOT = 500  # uids 61500..61999 when root: never a local --jobs slot
CLUSTER_SLOTS = range(FIRST_CLUSTER_SLOT, 1000)
SLOT_FOLDER = Path("/tmp")  # fixed, not $TMPDIR: every worker on a machine must agree
CONNECT_TIMEOUT = 20  # seconds to reach the scheduler
WORKER_TIMEOUT = 60  # seconds to wait for a first worker
SCRATCH_PREFIX = "course-grade-worker-"  # then the worker's pid: swept once it is dead
_ONE_AT_A_TIME = threading.Lock()  # the trusted session captures stdout and warnings


class WorkerEnvironmentError(RuntimeError):
    """A worker cannot grade as the instructor's machine would; the message says why."""


@dataclass(frozen=True)
class Task:
    """One submission with everything a worker needs to grade it."""

    student: str
    assignment: str
    submission: tuple | None  # (relative path, kind, data) entries; None: nothing submitted
    source: dict[str, bytes]  # notebook name -> bytes
    release: dict[str, bytes]
    limits: Limits
    isolate: bool
    fingerprint: str


# --- what a task carries -----------------------------------------------------------------
@functools.cache
def fingerprint() -> str:
    """A digest of the installed ``course_grader`` and ``course_lib`` (every file but bytecode).

    Taken once per process, near the time it imported them: a worker whose environment was
    updated under it keeps the digest of the code it runs, and is told to restart.
    """
    digest = hashlib.sha256()
    for package in (course_grader, course_lib):
        folder = Path(package.__file__).resolve().parent
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(folder.parent).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def pack_submission(folder: Path) -> tuple | None:
    """The folder's entries as ``copy_submission`` sees them: files travel, the rest as kinds.

    A regular file travels with its bytes; a file over 50 MiB as its size; a link as the kind
    of what it points to ("file", "dir" or "missing"), never its target or content.
    """
    if not folder.is_dir():
        return None
    entries = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if SKIP & set(relative.parts):
            continue
        name = relative.as_posix()
        if path.is_symlink():
            kind = "file" if path.is_file() else "dir" if path.is_dir() else "missing"
            entries.append((name, "link", kind))
        elif path.is_dir():
            entries.append((name, "dir", None))
        elif path.is_file():
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                entries.append((name, "large", size))
            else:
                entries.append((name, "file", path.read_bytes()))
    return tuple(entries)


def unpack_submission(entries: tuple, folder: Path, targets: Path) -> None:
    """Write packed entries under ``folder``: a large file sparse, a link to a placeholder."""
    folder.mkdir(parents=True)
    targets.mkdir(parents=True, exist_ok=True)
    (targets / "file").touch()
    (targets / "dir").mkdir(exist_ok=True)
    for name, kind, data in entries:
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"a packed submission entry leaves its folder: {name!r}")
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dir":
            path.mkdir(exist_ok=True)
        elif kind == "file":
            path.write_bytes(data)
        elif kind == "large":
            with open(path, "wb") as handle:
                handle.truncate(data)  # sparse: the size without the bytes
        elif kind == "link":
            os.symlink(targets / data, path)  # "missing" does not exist: a dangling link


def _notebooks(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ipynb")) if p.is_file()}


def make_task(job: Job, digest: str) -> Task:
    """The task for one local ``Job``: its files read now, on the instructor's machine."""
    return Task(
        job.student,
        job.assignment,
        pack_submission(job.submission),
        _notebooks(job.source),
        _notebooks(job.release),
        job.limits,
        job.isolate,
        digest,
    )


# --- on the worker -----------------------------------------------------------------------
@contextlib.contextmanager
def machine_slot(slots: range = CLUSTER_SLOTS, folder: Path = SLOT_FOLDER) -> Iterator[int]:
    """A sandbox slot no other process or thread of this machine holds until we exit."""
    locks = folder / f"course-grader-slots-{os.geteuid()}"
    locks.mkdir(mode=0o700, exist_ok=True)
    if locks.is_symlink() or locks.stat().st_uid != os.geteuid():
        raise RuntimeError(f"{locks} belongs to another user: remove it")
    while True:
        for slot in slots:
            handle = open(locks / f"{slot}.lock", "a")  # held open while grading
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield slot
            finally:
                handle.close()  # closing the file releases the lock
            return
        time.sleep(1)


@functools.cache
def _problem_here(digest: str, isolate: bool) -> str | None:
    """Why this worker cannot grade like the instructor's machine, or ``None``."""
    ours = fingerprint()
    if ours != digest:
        return (
            f"it runs course_grader/course_lib {ours}, the instructor {digest}: install the same "
            "version of the course on every worker and restart the workers"
        )
    return sandbox_problem() if isolate else None


def dask_setup(worker) -> None:
    """``dask worker --preload course_grader.cluster``: check the worker as it starts.

    It takes the digest of the code it has just imported, and refuses to start without a
    working sandbox (leave the preload out for ``--unsafe-no-sandbox`` grading).
    """
    fingerprint()
    problem = sandbox_problem()
    if problem is not None:
        raise RuntimeError(f"this Dask worker cannot run the grading sandbox: {problem}")


def worker_report(digest: str, isolate: bool) -> str | None:
    """``client.run`` calls this on every worker before the batch."""
    return _problem_here(digest, isolate)


def _dead(pid: str) -> bool:
    """No such process, or a zombie (a killed worker its nanny has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def sweep_scratch(folder: Path) -> list[Path]:
    """Remove the scratch folders of worker processes that died (SIGKILL skips cleanup)."""
    removed = []
    for stale in folder.glob(f"{SCRATCH_PREFIX}*"):
        pid = stale.name[len(SCRATCH_PREFIX) :].split("-")[0]
        if pid.isdigit() and _dead(pid):
            shutil.rmtree(stale, ignore_errors=True)
            removed.append(stale)
    return removed


def grade_task(task: Task) -> SubmissionResult:
    """Grade one task in a private scratch folder, in a slot of its own."""
    problem = _problem_here(task.fingerprint, task.isolate)
    if problem is not None:
        from distributed import get_worker

        raise WorkerEnvironmentError(
            f"the Dask worker {get_worker().address} cannot grade: {problem}"
        )
    with _ONE_AT_A_TIME, machine_slot() as slot:
        sweep_scratch(Path(tempfile.gettempdir()))
        scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        scratch.chmod(0o755)
        try:
            source, release = scratch / "source", scratch / "release"
            for folder, notebooks in ((source, task.source), (release, task.release)):
                folder.mkdir()
                for name, data in notebooks.items():
                    (folder / Path(name).name).write_bytes(data)
            submission = scratch / "submitted" / task.assignment
            if task.submission is not None:
                unpack_submission(task.submission, submission, scratch / "link-targets")
            job = Job(
                task.student,
                task.assignment,
                submission,
                source,
                release,
                scratch / "grading",
                task.limits,
                task.isolate,
            )
            return _grade_safely(replace(job, slot=slot))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


# --- on the instructor's machine ---------------------------------------------------------
def connect(address: str):
    """A ``distributed.Client`` connected to ``address``, or a ``WorkflowError`` naming it."""
    try:
        from distributed import Client
    except ImportError:
        raise WorkflowError(
            "--cluster needs Dask's `distributed` package: pip install -e '.[instructor]'"
        ) from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise WorkflowError(
            f"cannot reach the Dask scheduler at {address} ({error}); start one there with "
            "`dask scheduler` and check the address and the firewall"
        ) from None


def check_workers(client, address: str, digest: str, isolate: bool) -> None:
    """Every worker: one thread, the instructor's course version, a working sandbox."""
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except TimeoutError:
        raise WorkflowError(
            f"no Dask worker joined the scheduler at {address} in {WORKER_TIMEOUT} s; start "
            f"some with `dask worker {address} --nthreads 1 --nworkers N`"
        ) from None
    workers = client.scheduler_info(n_workers=-1)["workers"]
    crowded = sorted(a for a, w in workers.items() if w.get("nthreads", 1) > 1)
    if crowded:
        raise WorkflowError(
            f"the Dask worker {crowded[0]} has {workers[crowded[0]]['nthreads']} threads; a "
            "grading process runs one submission at a time (it captures stdout and warnings): "
            "start workers with `--nthreads 1 --nworkers N`"
        )
    try:
        reports = client.run(worker_report, digest, isolate)
    except Exception as error:
        raise WorkflowError(
            f"the Dask workers of {address} cannot run the grader ({type(error).__name__}: "
            f"{error}); install the course environment on every worker"
        ) from None
    for worker, problem in sorted(reports.items()):
        if problem is not None:
            raise WorkflowError(f"the Dask worker {worker} cannot grade: {problem}")


def outcome(job: Job, future) -> SubmissionResult:
    """The result of one finished future; a task that killed its workers is a grader error."""
    from distributed import KilledWorker

    try:
        return future.result()
    except (WorkerEnvironmentError, concurrent.futures.CancelledError):
        raise
    except KilledWorker as error:
        last = getattr(error.last_worker, "address", error.last_worker)
        return failed_result(
            job,
            "grader error: a Dask worker died each time it graded this submission "
            f"({error.allowed_failures + 1} times, the last one {last}); it is left for the "
            "instructor",
        )
    except Exception as error:
        return failed_result(job, f"grader error ({type(error).__name__}: {error})")


def grade_on_cluster(
    course: Course, work: list[Job], address: str, progress
) -> list[SubmissionResult]:
    """Grade every job on the cluster at ``address``; record each result as it comes back."""
    from distributed import as_completed

    digest = fingerprint()
    isolate = any(job.isolate for job in work)
    client = connect(address)
    futures: dict = {}
    try:
        check_workers(client, address, digest, isolate)
        run = uuid.uuid4().hex[:8]
        for job in work:
            key = f"grade-{job.assignment}-{job.student}-{run}"
            future = client.submit(grade_task, make_task(job, digest), key=key, pure=False)
            futures[future] = job
        results = []
        for future in as_completed(list(futures), loop=client.loop):
            result = outcome(futures[future], future)
            del futures[future]  # its worker may forget the result now
            results.append(_finish(course, result, progress))
        return results
    except WorkerEnvironmentError as error:
        raise WorkflowError(f"{error}; the submissions graded so far are recorded") from None
    except concurrent.futures.CancelledError as error:
        raise WorkflowError(
            f"the Dask scheduler at {address} cancelled the batch ({error}); "
            f"{len(futures)} submissions were not graded: run the command again"
        ) from None
    finally:
        if futures:
            client.cancel(list(futures))
        client.close()
