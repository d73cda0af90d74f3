"""The sandbox a submission runs in: bubblewrap, a separate user, resource limits, no network.

Why bubblewrap (Debian's ``bubblewrap`` package): it builds a fresh mount namespace in
which only what the runner needs exists, read-only: ``/usr``, ``/etc``, the Python
installation, the virtual environment, the grader's own runner and a *view* of
``course_lib`` that holds only the infrastructure modules a graded notebook may use (an
allowlist, ``course_grader.view``); every other name in the package, a concept module or
a concept subpackage, is a stub that refuses to import with a readable message. What is
not on the list is not mounted, so a reference implementation cannot leak by being
moved or split. The course's
``solutions/``, ``source/``, the gradebook and every other file are simply not there.
The working copy of the submission is the one writable folder; ``/tmp`` is a small
private tmpfs that vanishes with the sandbox. It also gives the runner new PID, IPC, UTS
and network namespaces (no interface but a down loopback: no network at all).

When the grader runs as root, the runner also drops to a dedicated user id per worker
slot (``setpriv``), without capabilities and with ``no_new_privs``: the process-count
limit (``RLIMIT_NPROC``) does not apply to root, and a separate user cannot read files
that are private to the instructor. Under an ordinary account bubblewrap makes an
unprivileged user namespace instead. ``prlimit`` then caps CPU seconds, address space,
processes and file size. The grader kills the whole PID namespace at the end, so a fork
bomb's children die with it.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import course_grader
import course_lib
from course_grader.view import student_view

HEADER_SIZE = 8
MAX_FRAME = 64 * 2**20
FIRST_UID = 61000  # sandbox user ids: FIRST_UID + worker slot
SANDBOX_HOME = "/home/student/work"


@dataclass(frozen=True)
class Limits:
    """What one submission may use. ``cell_timeout`` is wall-clock seconds per cell."""

    cell_timeout: float = 60.0
    cpu_seconds: int = 600
    memory_bytes: int = 4 * 2**30
    processes: int = 64
    file_bytes: int = 64 * 2**20
    tmp_bytes: int = 256 * 2**20
    startup_timeout: float = 120.0

    def __post_init__(self):
        for name in ("cell_timeout", "cpu_seconds", "memory_bytes", "processes", "file_bytes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")


class SandboxDied(BaseException):
    """The sandbox is gone (exited, killed, or stopped answering); ``reason`` says why.

    A ``BaseException``, like ``KeyboardInterrupt``, so that a test's ``except Exception``
    cannot swallow it.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sandbox_problem() -> str | None:
    """Why the sandbox cannot work on this machine, or ``None`` when it can."""
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    argv = [path, "--ro-bind", "/", "/", "--unshare-net", "true"]
    if os.geteuid() != 0:
        argv.insert(1, "--unshare-user")
    probe = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return (
            "bubblewrap cannot create namespaces here (are unprivileged user namespaces "
            f"disabled?): {probe.stderr.strip()[:200]}"
        )
    return None


def bwrap_path() -> str | None:
    """The bubblewrap executable if it is installed and works here, else ``None``."""
    return shutil.which("bwrap") if sandbox_problem() is None else None


def signal_reason(returncode: int | None) -> str:
    """A readable reason for the way the runner process ended."""
    if returncode is None:
        return "the sandbox stopped answering"
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else None
    names = {
        signal.SIGKILL: "it was killed (SIGKILL): most often the memory ran out",
        signal.SIGXCPU: "it used up its CPU-time limit (SIGXCPU)",
        signal.SIGXFSZ: "it wrote a file larger than the file-size limit (SIGXFSZ)",
        signal.SIGSEGV: "it crashed (segmentation fault)",
        signal.SIGABRT: "it aborted (SIGABRT)",
    }
    if number is not None and number in names:
        return f"the kernel died: {names[number]}"
    if number is not None and 0 < number < 65:
        return f"the kernel died: killed by signal {signal.Signals(number).name}"
    return f"the kernel exited with status {returncode} (os._exit or a crash in the student's code)"


def _parents(path: Path) -> list[str]:
    """The ancestors of ``path`` (outermost first, root excluded) to create as 0755."""
    return [str(p) for p in reversed(path.parents) if str(p) != "/"]


def command(workdir: Path, stub_dir: Path, limits: Limits, slot: int, bwrap: str) -> list[str]:
    """The argv that starts the runner inside the sandbox."""
    python = Path(sys.executable)
    ro = {Path(sys.prefix), Path(sys.base_prefix), python.resolve().parent.parent}
    ro.add(Path(course_grader.__file__).resolve().parent)
    ro = {p for p in ro if not str(p).startswith(("/usr/", "/etc/")) and str(p) != "/usr"}
    argv = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    argv += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "lib", "lib64", "sbin"):
        target = Path("/", name)
        if target.is_symlink():
            argv += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            argv += ["--ro-bind", str(target), str(target)]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    made: set[str] = {"/tmp"}
    for path in sorted(ro, key=lambda p: len(p.parts)):
        for parent in _parents(path):
            if parent not in made:
                argv += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        argv += ["--ro-bind", str(path), str(path)]
        made.add(str(path))
    # course_lib is the allowlisted view, mounted where the real package is
    package = Path(course_lib.__file__).resolve().parent
    for parent in _parents(package):
        if parent not in made:
            argv += ["--perms", "0755", "--dir", parent]
            made.add(parent)
    argv += ["--ro-bind", str(student_view(stub_dir / "course_lib")), str(package)]
    for parent in _parents(Path(SANDBOX_HOME)):
        if parent not in made:
            argv += ["--perms", "0755", "--dir", parent]
    argv += ["--bind", str(workdir), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
    if os.geteuid() == 0:
        uid = str(FIRST_UID + slot)
        argv += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        argv += ["--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]
    else:
        argv.insert(1, "--unshare-user")
    argv += ["--", "prlimit", f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 5}"]
    argv += [f"--as={limits.memory_bytes}", f"--nproc={limits.processes}"]
    argv += [f"--fsize={limits.file_bytes}", "--core=0"]
    argv += ["--", str(python), "-P", "-m", "course_grader._runner"]
    return argv


def environment() -> dict[str, str]:
    """The runner's environment: nothing of the grader's, one thread per library."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "VIRTUAL_ENV": sys.prefix,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


class Sandbox:
    """One runner process in its sandbox, spoken to by request and reply.

    ``isolate=False`` runs the runner as a plain subprocess (resource limits and the
    channel only): for machines without bubblewrap, and never the default.
    """

    def __init__(self, workdir: Path, limits: Limits, *, slot: int = 0, isolate: bool = True):
        self.workdir, self.limits, self.slot, self.isolate = Path(workdir), limits, slot, isolate
        self.process: subprocess.Popen | None = None
        self._buffer = b""
        self.dead_reason: str | None = None

    def start(self) -> None:
        stub_dir = self.workdir.parent / "stubs"
        stub_dir.mkdir(exist_ok=True)
        if self.isolate:
            bwrap = bwrap_path()
            if bwrap is None:
                raise RuntimeError(
                    "bubblewrap (bwrap) is not installed or cannot create namespaces here; "
                    "install Debian's `bubblewrap` package, or pass --unsafe-no-sandbox"
                )
            argv = command(self.workdir, stub_dir, self.limits, self.slot, bwrap)
            if os.geteuid() == 0:
                os.chown(self.workdir, FIRST_UID + self.slot, FIRST_UID + self.slot)
                for path in self.workdir.rglob("*"):
                    os.chown(
                        path, FIRST_UID + self.slot, FIRST_UID + self.slot, follow_symlinks=False
                    )
        else:
            argv = [sys.executable, "-P", "-m", "course_grader._runner"]
        env = environment() if self.isolate else {**os.environ, "MPLBACKEND": "Agg"}
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.workdir,
            env=env,
            start_new_session=True,
        )
        reply = self._receive(time.monotonic() + self.limits.startup_timeout)
        if reply is None:  # nothing within the start-up time: a sandbox death, not a crash
            self.kill()
            raise SandboxDied(f"no answer within {self.limits.startup_timeout:.0f} s of starting")
        if reply.get("status") != "ready":
            self.kill()
            raise SandboxDied("unexpected first message")

    # --- framing ----------------------------------------------------------------
    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode()
        try:
            self.process.stdin.write(len(data).to_bytes(HEADER_SIZE, "big") + data)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise SandboxDied(self._death()) from None

    def _read(self, size: int, deadline: float) -> bytes | None:
        fd = self.process.stdout.fileno()
        while len(self._buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, max(65536, size - len(self._buffer)))
            if not chunk:
                raise SandboxDied(self._death())
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _receive(self, deadline: float) -> dict | None:
        header = self._read(HEADER_SIZE, deadline)
        if header is None:
            return None
        size = int.from_bytes(header, "big")
        if size > MAX_FRAME:
            self.kill()
            raise SandboxDied(f"the submission sent {size} bytes back, over the grader's limit")
        body = self._read(size, deadline + 30)
        try:
            message = json.loads(body) if body is not None else None
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict):
            self.kill()
            raise SandboxDied("the submission corrupted the channel between grader and sandbox")
        return message

    # --- requests -----------------------------------------------------------------
    def request(self, message: dict, timeout: float) -> dict:
        """Send a request; on timeout interrupt the runner, and kill it if it ignores that.

        Returns the reply, or ``{"status": "timeout"}`` when an interrupt stopped the
        work in time. Raises ``SandboxDied`` when the sandbox is gone.
        """
        if self.dead_reason is not None:
            raise SandboxDied(self.dead_reason)
        self._send(message)
        reply = self._receive(time.monotonic() + max(timeout, 0.1))
        if reply is not None:
            return reply
        self.interrupt()
        reply = self._receive(time.monotonic() + 5)
        if reply is None:
            self.kill()
            self.dead_reason = (
                f"the kernel did not finish within {timeout:.0f} s and ignored the interrupt, "
                "so it was killed"
            )
            raise SandboxDied(self.dead_reason)
        return {**reply, "status": "timeout"}

    def runner_pid(self) -> int | None:
        """The runner's process id as the grader sees it (PID 2 inside the sandbox)."""
        if not self.isolate:
            return self.process.pid
        frontier, seen = [self.process.pid], set()
        while frontier:
            pid = frontier.pop()
            seen.add(pid)
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            nspid = next(
                (ln.split()[1:] for ln in status.splitlines() if ln.startswith("NSpid")), []
            )
            if pid != self.process.pid and nspid and nspid[-1] == "2":
                return pid
            children = Path(f"/proc/{pid}/task/{pid}/children")
            if children.exists():
                frontier += [int(c) for c in children.read_text().split() if int(c) not in seen]
        return None

    def interrupt(self) -> None:
        pid = self.runner_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
            self.process.wait(timeout=30)

    def _death(self) -> str:
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        reason = signal_reason(self.process.returncode)
        stderr = self.process.stderr.read(2000).decode(errors="replace").strip()
        if stderr and "bwrap" in stderr:
            reason += f" ({stderr.splitlines()[-1]})"
        self.dead_reason = reason
        return reason

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None and self.dead_reason is None:
            try:
                self._send({"op": "exit"})
                self.process.wait(timeout=5)
            except (SandboxDied, subprocess.TimeoutExpired):
                pass
        self.kill()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
