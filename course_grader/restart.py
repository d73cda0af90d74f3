"""The student's kernel for one notebook, restarted when it dies, so a runaway cell costs one item.

The sandbox dies when the student's code calls ``os._exit``, is killed (out of memory, the
CPU limit), or ignores the interrupt at the cell time limit. Without a restart, every item
after that cell would score 0 even when it is right. So ``Kernel.died`` starts a new
kernel: a new sandbox on a fresh copy of the submission, a new ``TrustedSession``, and the
student's and locked cells that ran before run again, in order, their outputs dropped (the
graded notebook shows the first run's). Test cells are not run again: their outcomes are
recorded, and a test cell leaves nothing that a later one reads (``TrustedSession`` takes
each name a test cell reads and does not bind from the locked cells or from the student's
kernel, never from an earlier test), so the new session needs only the locked cells. The
items after the cell that killed the kernel are then graded on their own merits: one that
needs a function the dead cell was to define fails with a ``NameError``.

What restarts may cost is bounded, so that a notebook that kills every kernel cannot take
the batch's time:

- a cell that killed a kernel is never run again (what it defined is gone after a restart);
- a re-run that kills the new kernel ends the restarts: nothing loops;
- at most ``MAX_RESTARTS`` restarts per notebook; past that, the rest is not run.

A cell that was interrupted at the time limit is run again, and interrupted again: what
it did before the limit (the imports of a slow first cell, a model built before a long
training loop) is often what the cells after it need. So each restart costs at most one
more run of the cells before the one that killed the kernel, each within its time limit,
and a notebook costs at most ``MAX_RESTARTS + 1`` times its first run. A notebook that
kills every kernel in its own cells pays for each death (one time limit and 5 s of grace
at most) and for its ordinary cells run again, never for the killing cells twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from course_grader.notebook import Step
from course_grader.sandbox import Limits, Sandbox, SandboxDied
from course_grader.trusted import GraderError, StudentTimeout, TrustedSession, bound_names

MAX_RESTARTS = 3  # per notebook: its kernel may die MAX_RESTARTS + 1 times


class Kernel:
    """The student's sandbox and the grader's session for one notebook.

    ``workdir(n)`` makes the working folder of the ``n``-th kernel, a fresh copy of the
    submission, so that each kernel starts from the files as submitted. ``dead`` is
    ``None`` while there is a kernel to run cells in, and otherwise says why there is none.
    """

    def __init__(
        self, workdir: Callable[[int], Path], limits: Limits, *, slot: int = 0, isolate: bool = True
    ):
        self.workdir, self.limits, self.slot, self.isolate = workdir, limits, slot, isolate
        self.sandbox: Sandbox | None = None
        self.session: TrustedSession | None = None
        self.dead: str | None = None
        self.restarts = 0
        self.finished: list[Step] = []  # student and locked cells that ended, in order

    def start(self) -> None:
        """Start a sandbox on a fresh working folder, and the grader's session with it."""
        self.sandbox = Sandbox(
            self.workdir(self.restarts), self.limits, slot=self.slot, isolate=self.isolate
        )
        try:
            self.sandbox.start()
        except SandboxDied as error:
            self.dead = f"the sandbox did not start: {error.reason}"
            return
        self.session = TrustedSession(self.sandbox, self.limits.cell_timeout)

    def run(self, step: Step) -> tuple[dict, str | None]:
        """Run a student's or a locked cell: the sandbox's reply, and why a locked cell
        failed in the grader (the instructor's problem: the caller notes it and goes on).

        A cell that ends, within the time limit or interrupted at it, is kept to run again
        after a restart; one that kills the kernel (``SandboxDied``) is not.
        """
        reply = self.sandbox.request({"op": "run", "source": step.source}, self.limits.cell_timeout)
        problem = None
        if step.kind == "student":
            self.session.student_names |= bound_names(step.source)
        else:
            try:
                self.session.run_locked(step.source)
            except (Exception, StudentTimeout, GraderError) as error:
                problem = f"{type(error).__name__}: {error}"
        self.finished.append(step)
        return reply, problem

    def died(self, reason: str, *, more: bool) -> str:
        """The kernel died on a cell: restart it when ``more`` cells follow and the bound
        allows. Returns what to say about the cell that killed it."""
        self.close()
        if not more:
            self.dead = reason
        elif self.restarts >= MAX_RESTARTS:
            self.dead = (
                f"{reason}; the kernel died {self.restarts + 1} times, and the grader restarts it "
                f"at most {MAX_RESTARTS} times"
            )
        else:
            why = self._restart()
            if why is None:
                return f"{reason}; the grader restarted the kernel and went on"
            self.dead = f"{reason}; restarting the kernel failed: {why}"
        return self.dead

    def _restart(self) -> str | None:
        """A new kernel with the cells that ended before run again; why not, if it fails."""
        shutil.rmtree(self.sandbox.workdir, ignore_errors=True)
        self.restarts += 1
        self.start()
        if self.dead is not None:
            return self.dead
        again, self.finished = self.finished, []
        try:
            for step in again:
                self.run(step)
        except SandboxDied as error:
            self.close()
            return f"the new kernel died too while the cells before were run again: {error.reason}"
        return None

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
