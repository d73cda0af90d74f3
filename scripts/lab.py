"""Open the course in JupyterLab as a student uses it (`make lab`), or as the instructor does.

    python scripts/lab.py                 # what `make lab` runs
    python scripts/lab.py --instructor    # what `make formgrader` runs
    python scripts/lab.py --root-dir DIR  # another folder with book/ and exercises/ (tests)
    python scripts/lab.py --no-browser    # any other argument goes to `jupyter lab`

The student's JupyterLab renders the book's MyST Markdown (jupyterlab-myst, plus the
course-glue extension for the numbers a page glues into its prose), has nbgrader's Validate
button and nothing else of nbgrader's, and never asks about Jupyter news. That configuration
lives in jupyter-config/ (its README says what each file does); this script puts it on
JUPYTER_CONFIG_PATH, which Jupyter reads after the user's own folder (~/.jupyter) and before
the environment's and the system's, so what the course does not set keeps its usual value.
`--instructor` puts jupyter-config/instructor before it: the Nbgrader menu, the formgrader and
Create Assignment.

tests/test_jupyterlab.py starts JupyterLab through this script, so that the browser test and
`make lab` cannot drift apart.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "jupyter-config"
STUDENT = CONFIG / "student"
INSTRUCTOR = CONFIG / "instructor"
LABEXTENSIONS = CONFIG / "labextensions"
DEFAULT_URL = "/lab/tree/book/preface.md"


def lab_environment(
    *, instructor: bool = False, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment to run JupyterLab in: the course's configuration folders first on
    JUPYTER_CONFIG_PATH (earlier folders win), then whatever was there before."""
    env = dict(os.environ if environ is None else environ)
    folders = [str(INSTRUCTOR), str(STUDENT)] if instructor else [str(STUDENT)]
    if env.get("JUPYTER_CONFIG_PATH"):
        folders.append(env["JUPYTER_CONFIG_PATH"])
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(folders)
    return env


def lab_command(extra: Sequence[str] = (), *, root_dir: Path = ROOT) -> list[str]:
    """`jupyter lab` on `root_dir` (the repository), with the course's lab extension and start
    page, then the `extra` arguments."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root_dir}",
        f"--ServerApp.default_url={DEFAULT_URL}",
        f"--LabApp.extra_labextensions_path={LABEXTENSIONS}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # a container's root user; Jupyter refuses otherwise
    return [*command, *extra]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Open the course in JupyterLab; other arguments go to `jupyter lab`."
    )
    parser.add_argument(
        "--instructor",
        action="store_true",
        help="also the instructor's tools: the Nbgrader menu, formgrader, Create Assignment",
    )
    parser.add_argument(
        "--root-dir",
        type=Path,
        default=ROOT,
        help="the folder JupyterLab opens (default: the repository)",
    )
    args, extra = parser.parse_known_args(argv)
    command = lab_command(extra, root_dir=args.root_dir.resolve())
    env = lab_environment(instructor=args.instructor)
    sys.stdout.flush()
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
