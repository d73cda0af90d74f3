"""A student's local start: `make lab` registers the project's kernel and opens JupyterLab.

Questions answered here:
- Does the kernel that `make lab` registers (its `kernel` step, "course (.venv)") start,
  and does it import course_lib from this repository, with the environment's Python?
- Do `make lab` and `make formgrader` open JupyterLab through scripts/lab.py, the launcher
  that tests/test_jupyterlab.py drives in Chromium, and does that launcher put the course's
  configuration first on Jupyter's path (the instructor's before the student's)?
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_registered_kernel_imports_course_lib(tmp_path, monkeypatch):
    from jupyter_client.manager import start_new_kernel

    # JUPYTER_DATA_DIR: the kernel goes to a temporary folder, not the user's own
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    done = subprocess.run(
        ["make", "--no-print-directory", "kernel", f"BIN={Path(sys.executable).parent}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    spec = json.loads((tmp_path / "kernels" / "course" / "kernel.json").read_text())
    assert spec["display_name"] == "course (.venv)"
    kernel, client = start_new_kernel(kernel_name="course", cwd=str(ROOT / "book"))
    printed: list[str] = []

    def keep(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    try:
        reply = client.execute_interactive(
            "import sys, course_lib\nprint(course_lib.__file__)\nprint(sys.prefix)",
            timeout=120,
            output_hook=keep,
        )
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    module, prefix = "".join(printed).split()
    assert Path(module).resolve().is_relative_to(ROOT / "course_lib"), module
    assert Path(prefix).resolve() == Path(sys.prefix).resolve(), prefix


def test_make_lab_and_make_formgrader_run_the_tested_launcher():
    commands = {}
    for target in ("lab", "formgrader"):
        done = subprocess.run(
            ["make", "--no-print-directory", "-n", target, f"BIN={Path(sys.executable).parent}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        commands[target] = done.stdout.strip().splitlines()[-1].split()
    assert commands["lab"][1:] == ["scripts/lab.py"], commands["lab"]
    assert commands["formgrader"][1:] == ["scripts/lab.py", "--instructor"], commands["formgrader"]


def test_the_launcher_puts_the_course_configuration_first():
    spec = importlib.util.spec_from_file_location("course_lab_launcher", ROOT / "scripts/lab.py")
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    before = {"JUPYTER_CONFIG_PATH": "/etc/elsewhere"}
    student = lab.lab_environment(environ=before)["JUPYTER_CONFIG_PATH"].split(os.pathsep)
    instructor = lab.lab_environment(instructor=True, environ=before)["JUPYTER_CONFIG_PATH"]
    assert student == [str(lab.STUDENT), "/etc/elsewhere"]
    assert instructor.split(os.pathsep) == [str(lab.INSTRUCTOR), str(lab.STUDENT), "/etc/elsewhere"]
    assert (lab.STUDENT / "labconfig" / "page_config.json").is_file()
    assert (lab.INSTRUCTOR / "labconfig" / "page_config.json").is_file()
    command = lab.lab_command(["--no-browser"], root_dir=ROOT / "book")
    assert command[:3] == [sys.executable, "-m", "jupyterlab"] and command[-1] == "--no-browser"
    assert f"--ServerApp.root_dir={ROOT / 'book'}" in command
    assert f"--LabApp.extra_labextensions_path={lab.LABEXTENSIONS}" in command
