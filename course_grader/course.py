"""The course directory: nbgrader's configuration, its folders, and nbgrader's commands.

``Course.load`` reads ``nbgrader_config.py`` as nbgrader does; ``Course.nbgrader`` runs an
nbgrader command in the course root with the environment's ``bin/`` on ``PATH`` (nbgrader
calls ``alembic``) and the same gradebook URL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# A student id taken from a file or folder name when collecting.
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def usable_id(student: str) -> bool:
    """Can ``student`` (as nbgrader's gradebook may hold it) name a folder safely?"""
    return (
        0 < len(student) <= 128
        and student.isprintable()
        and not student.startswith(".")
        and "/" not in student
        and "\\" not in student
    )


class WorkflowError(RuntimeError):
    """A step of the workflow cannot go on; the message says what to do."""


@dataclass
class Course:
    """A course directory and its nbgrader configuration."""

    root: Path
    db_url: str
    course_id: str
    source: str
    release: str
    submitted: str
    autograded: str
    feedback: str
    timeout: float
    named_regexp: str
    db_override: bool = False

    @classmethod
    def load(cls, root: Path | str = ".", db_url: str | None = None) -> Course:
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        root = Path(root).resolve()
        if not root.is_dir():
            raise WorkflowError(f"course root {root} is not a directory")
        config = Config()
        if (root / "nbgrader_config.py").exists():
            config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        coursedir = CourseDirectory(config=config, root=str(root))
        timeout = config.Execute.get("timeout", 30) if "Execute" in config else 30
        regexp = (
            config.FileNameCollectorPlugin.get("named_regexp", "")
            if ("FileNameCollectorPlugin" in config)
            else ""
        )
        return cls(
            root=root,
            db_url=db_url or coursedir.db_url,
            course_id=coursedir.course_id,
            source=coursedir.source_directory,
            release=coursedir.release_directory,
            submitted=coursedir.submitted_directory,
            autograded=coursedir.autograded_directory,
            feedback=coursedir.feedback_directory,
            timeout=float(timeout or 30),
            named_regexp=regexp,
            db_override=db_url is not None,
        )

    def path(self, kind: str, *parts: str) -> Path:
        return self.root / getattr(self, kind) / Path(*parts)

    def assignments(self) -> list[str]:
        return sorted(p.name for p in self.path("source").iterdir() if p.is_dir())

    def check_assignment(self, assignment: str) -> None:
        if assignment not in self.assignments():
            raise WorkflowError(
                f"assignment {assignment!r} is not in {self.source}/; "
                f"expected one of {', '.join(self.assignments())}"
            )

    def nbgrader(self, *args: str) -> str:
        """Run an nbgrader command in the course root; raise with its log if it fails."""
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        argv = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={self.root}"]
        if self.db_override:
            argv.append(f"--CourseDirectory.db_url={self.db_url}")
        done = subprocess.run(argv, cwd=self.root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise WorkflowError(
                f"nbgrader {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )
        return done.stdout + done.stderr


def release(course: Course, assignment: str, *, force: bool = True) -> Path:
    """``nbgrader generate_assignment``: exercises/ from solutions/, and the gradebook entry."""
    course.check_assignment(assignment)
    course.nbgrader("generate_assignment", assignment, *(["--force"] if force else []))
    return course.path("release", assignment)
