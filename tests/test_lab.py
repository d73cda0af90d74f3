"""A student's local start: `make lab` registers the project's kernel and opens JupyterLab.

Questions answered here:
- Does the kernel that `make lab` registers (its `kernel` step, "course (.venv)") start,
  and does it import course_lib from this repository, with the environment's Python?
"""

from __future__ import annotations

import json
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
