"""Where students spend the course: does JupyterLab show the notebooks as the book does?

`make lab` opens JupyterLab through scripts/lab.py; here the same script starts it, on a free
port of 127.0.0.1 with a token, on a scratch copy of book/ and exercises/, with Jupyter's
config, data, runtime, settings and IPython folders in a temporary directory (the user's own
are never read or written). Headless Chromium (Debian's, driven by Playwright, as in
test_browser.py) works in it with every request to another host blocked. Questions answered:
- Does the student's JupyterLab load the MyST renderer and the course's glue extension, keep
  nbgrader's Validate button but none of its instructor tools (no Nbgrader menu, formgrader
  or Create Assignment, on the page or on the server), never ask about Jupyter news, and
  reach no other host?
- For one book notebook per chapter, run with Run > Run All Cells: did every cell run without
  an error output, in a kernel of this environment's Python that JupyterLab chose without
  asking? Does every rendered Markdown cell show no raw MyST (`{numref}`, `{cite}`, `{eq}`,
  `{glue:text}`, ```` ```{dropdown} ````, ...)? Does every `{glue:text}` show the value
  MyST-NB pastes in the book, formatted the same way?
- Does moving one explorer's slider redraw its figure?
- Does the exercise's Validate button report every graded item that fails on its stub?
- Does the glue extension format numbers exactly as MyST-NB does, over many values?
- Does the instructor's command (`make formgrader`) serve the formgrader?

Screenshots and report.json go to `_build/jupyterlab/`. COURSE_CHROMIUM names another
Chromium executable than /usr/bin/chromium.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from chromium import headless_chromium

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "_build" / "jupyterlab"
LAB_SCRIPT = ROOT / "scripts" / "lab.py"
GLUE_JS = ROOT / "jupyter-config" / "labextensions" / "course-glue" / "static" / "remoteEntry.js"

# One book notebook per chapter, among the quickest to run (3 to 20 s alone on a 2-core CPU,
# about 110 s together): between them they use every kind of MyST the book's notebooks use
# (test_the_checks_had_something_to_check). Chapter 01's has an explorer.
NOTEBOOKS = [
    "book/01_foundations/02_mlp_and_softmax.ipynb",
    "book/02_metrics/02_roc_and_pr.ipynb",
    "book/03_losses/01_regression_and_margin_losses.ipynb",
    "book/04_optimization/02_loss_landscape.ipynb",
    "book/05_cnn/05_upsampling.ipynb",
    "book/06_regularization/03_weight_penalties.ipynb",
    "book/07_generalization/06_invariance_and_equivariance.ipynb",
    "book/08_transfer/01_domain_and_task.ipynb",
    "book/09_rnn/02_the_recurrence.ipynb",
    "book/10_attention/04_scaled_dot_product_attention.ipynb",
    "book/11_generative/01_generative_models.ipynb",
    "book/12_adversarial/01_threat_models_and_fgsm.ipynb",
]
EXPLORER_NOTEBOOK = NOTEBOOKS[0]
SHOWCASE_NOTEBOOK = NOTEBOOKS[1]  # its note and a dropdown go to myst.png and dropdown.png
EXERCISE = "exercises/01_foundations/01_foundations.ipynb"

# The instructor's nbgrader plugins, switched off for students by jupyter-config/student/.
INSTRUCTOR_PLUGINS = [
    "@jupyter/nbgrader:menu",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
]
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"

# MyST that a renderer left as source, in the prose of a rendered cell (math and code taken
# out): a role's or directive's name in braces, `{numref}`, `{cite:p}` (a plain Markdown
# renderer turns the role's backticks into code and leaves the name), or a fence.
RAW_MYST = re.compile(r"(?<![\w^_\\])\{[A-Za-z][\w:.-]*\}|(?:`{3,}|~{3,}|:{3,})\s*\{")
GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`([^`]+)`")

# the notebook on show (JupyterLab keeps other tabs in the page, hidden)
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
RUN_TIMEOUT_S = 300

pytestmark = [pytest.mark.slow]


# ------------------------------------------------------------------ JupyterLab and Chromium


@dataclass
class Lab:
    """A running JupyterLab: its address, token and the folder it serves."""

    url: str
    token: str
    root: Path
    runtime: Path
    process: subprocess.Popen

    def request(self, path: str, method: str = "GET") -> tuple[int, str]:
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    def page_config(self) -> dict:
        """The page configuration JupyterLab hands to the browser."""
        status, html = self.request("/lab")
        assert status == 200, f"/lab answered {status}"
        found = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', html, re.S)
        assert found, "no page config in /lab"
        return json.loads(found.group(1))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_lab(base: Path, *, instructor: bool = False) -> Lab:
    """`python scripts/lab.py` on a scratch copy of the course, isolated from the user's
    Jupyter folders; returns once the server answers."""
    root = base / "course"
    for name in ("book", "exercises"):
        ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    shutil.copy2(ROOT / "nbgrader_config.py", root)  # Validate reads it, as in the repository
    env = {k: v for k, v in os.environ.items() if k not in {"JUPYTER_PATH", "JUPYTER_CONFIG_PATH"}}
    folders = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        "IPYTHONDIR": "ipython",
    }
    for variable, folder in folders.items():
        (base / folder).mkdir()
        env[variable] = str(base / folder)
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, str(LAB_SCRIPT), *(["--instructor"] if instructor else []),
        "--root-dir", str(root), "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]  # fmt: skip
    log = (base / "jupyterlab.log").open("w")
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the server has its own copy of the file
    lab = Lab(f"http://127.0.0.1:{port}", token, root, base / "runtime", process)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_text = (base / "jupyterlab.log").read_text()
            pytest.fail(f"JupyterLab exited ({process.returncode}):\n{log_text[-4000:]}")
        try:
            if lab.request("/api/status")[0] == 200:
                return lab
        except OSError:
            pass
        time.sleep(0.5)
    _stop_lab(lab)
    pytest.fail("JupyterLab did not answer in 180 s:\n" + (base / "jupyterlab.log").read_text())


def _stop_lab(lab: Lab) -> None:
    lab.process.send_signal(signal.SIGTERM)  # the server shuts its kernels down first
    try:
        lab.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        lab.process.kill()
        lab.process.wait(timeout=30)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The student's JupyterLab, as `make lab` starts it, for this module."""
    base = tmp_path_factory.mktemp("jupyterlab")
    lab = _start_lab(base)
    yield lab
    _stop_lab(lab)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(base / "jupyterlab.log", ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium (tests/chromium.py); Playwright's own browser downloads are never used."""
    with headless_chromium() as browser:
        yield browser


# the status bar's "Python 3 (ipykernel) | Idle"
KERNEL_IDLE_JS = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
  .some(item => /[|] Idle$/.test(item.textContent.trim()))"""


class Session:
    """One JupyterLab page in a browser context that reaches JupyterLab's server and nothing
    else. Notebooks open in it one at a time, as a student opens them (File > Open from Path),
    and close with their kernel (File > Close and Shut Down)."""

    def __init__(self, chromium, lab: Lab):
        self.lab = lab
        self.origin = urlsplit(lab.url).netloc
        self.context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        self.blocked: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self._load()

    def _load(self) -> None:
        # ?reset: a fresh workspace, no tab of an earlier visit reopened
        self.page.goto(f"{self.lab.url}/lab?reset&token={self.lab.token}")
        self.page.wait_for_selector(".jp-Launcher", timeout=180_000)

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).netloc == self.origin or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _menu(self, menu: str, item: str | re.Pattern) -> None:
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{menu}$")).click()
        self.page.get_by_role("menuitem", name=item, exact=True).click()

    def open(self, path: str):
        """Open the notebook at `path`; return the page once its kernel is connected and idle."""
        page = self.page
        self._menu("File", "Open from Path…")
        field = page.locator(".jp-Dialog input")
        field.fill(path)
        field.press("Enter")
        page.locator(".jp-Dialog").wait_for(state="detached", timeout=30_000)
        page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_selector(
            f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
        )
        page.wait_for_function(KERNEL_IDLE_JS, timeout=120_000)  # connected, not only started
        return page

    def close_notebook(self) -> None:
        """File > Close and Shut Down Notebook, answering its questions; if that fails, a
        fresh page. Either way no kernel is left."""
        page = self.page
        try:
            page.keyboard.press("Escape")  # a menu or dialog left open
            self._menu("File", re.compile("^Close and Shut Down"))
            for _ in range(4):  # "Shut down the notebook?", maybe "Save your work"
                page.wait_for_function(
                    "panel => !document.querySelector(panel)"
                    " || document.querySelector('.jp-Dialog')",
                    arg=PANEL,
                    timeout=30_000,
                )
                dialog = page.locator(".jp-Dialog")
                if not dialog.count():
                    break
                dialog.locator("button", has_text=re.compile("^(Ok|Discard)$")).first.click()
                dialog.wait_for(state="detached", timeout=10_000)
            page.locator(PANEL).wait_for(state="detached", timeout=30_000)
        except Exception:
            self.shut_down_kernels()
            self._load()
        self.shut_down_kernels()

    def shut_down_kernels(self) -> None:
        status, text = self.lab.request("/api/sessions")
        for session in json.loads(text) if status == 200 else []:
            self.lab.request(f"/api/sessions/{session['id']}", method="DELETE")

    def close(self) -> None:
        self.shut_down_kernels()
        self.context.close()


# Done when the kernel is idle, no cell is queued or running ([*]), the run has started (the
# kernel was seen busy, or every cell has its number) and nothing has changed for a second.
RUN_DONE_JS = """(panel) => {
  const root = document.querySelector(panel);
  const prompts = [...root.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .map(p => p.textContent.trim());
  const busy = root.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status !== 'idle'
    || prompts.includes('[*]:');
  window.__courseSeenBusy = window.__courseSeenBusy || busy;
  const started = window.__courseSeenBusy || prompts.every(p => /^\\[\\d+\\]:$/.test(p));
  const state = !busy && started ? prompts.join() : null;
  window.__courseStable = state !== null && state === window.__courseLastState
    ? (window.__courseStable || 0) + 1 : 0;
  window.__courseLastState = state;
  return window.__courseStable >= 4;
}"""


def _run_all(page) -> None:
    """Run > Run All Cells, then wait until every cell has run (or the run stopped)."""
    page.evaluate("() => { window.__courseSeenBusy = false; window.__courseStable = 0; }")
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_DONE_JS, arg=PANEL, polling=250, timeout=RUN_TIMEOUT_S * 1000)


def _save(page) -> None:
    page.locator(f"{PANEL} [data-command='docmanager:save']").first.click()
    page.wait_for_selector(
        ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current:not(.jp-mod-dirty)", timeout=60_000
    )


# Every Markdown cell, after each has been scrolled into view (JupyterLab renders a cell when
# it first shows): whether jupyterlab-myst rendered it, the text of its prose (math and code
# taken out), the code blocks a plain renderer made of directives (```{dropdown} ...), its
# glued values and its dropdowns.
MARKDOWN_JS = """async (panel) => {
  const root = document.querySelector(panel);
  for (const cell of root.querySelectorAll('.jp-Cell')) {
    cell.scrollIntoView();
    await new Promise(resolve => setTimeout(resolve, 40));
  }
  const cells = [...root.querySelectorAll('.jp-MarkdownCell')];
  const area = cell => cell.querySelector('.myst') || cell.querySelector('.jp-RenderedMarkdown');
  for (let i = 0; i < 100 && !cells.every(c => c.querySelector('.myst')?.textContent.trim()); i++)
    await new Promise(resolve => setTimeout(resolve, 100));
  // then until nothing changes for a second (a cell renders again once the whole notebook is
  // parsed; course-glue fills values in every 200 ms)
  const look = () => root.querySelectorAll('.myst *').length + ' ' + root.textContent.length;
  for (let i = 0, last = '', same = 0; i < 100 && same < 5; i++) {
    await new Promise(resolve => setTimeout(resolve, 200));
    const now = look();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return cells.map(cell => {
    const rendered = area(cell);
    if (!rendered) return {myst: false, text: '', fences: [], glue: [], dropdowns: 0};
    const prose = rendered.cloneNode(true);
    prose.querySelectorAll('.katex, math, mjx-container, code, pre').forEach(e => e.remove());
    return {
      myst: rendered.classList.contains('myst'),
      text: prose.textContent,
      fences: [...rendered.querySelectorAll('code[class*="{"]')].map(code => code.className),
      glue: [...rendered.querySelectorAll('[data-course-glue]')].map(
        s => [s.dataset.courseGlue, s.textContent, s.classList.contains('course-glue-pending')]),
      dropdowns: rendered.querySelectorAll('details').length,
    };
  });
}"""


def _raw_myst(cells: list[dict]) -> list[str]:
    """The MyST a student would read as source in these rendered cells."""
    return [m.group(0) for c in cells for m in RAW_MYST.finditer(c["text"])] + [
        f"code block {name}" for c in cells for name in c["fences"]
    ]


def _expected_glue(notebook: dict) -> list[Counter]:
    """For each Markdown cell, what MyST-NB pastes for its {glue:text} roles, given the
    values the notebook's outputs glued."""
    from myst_nb.core.variables import format_plain_text

    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                plain = output["data"].get(scrapbook.get("mime_prefix", "") + "text/plain")
                if plain is not None:
                    values[scrapbook["name"]] = "".join(plain)
    expected = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        pasted = Counter()
        for content in GLUE_ROLE.findall("".join(cell["source"])):
            # as myst_nb's PasteTextRole splits it
            key, spec = content.rsplit(":", 1) if ":" in content else (content, "s")
            text = format_plain_text(values[key], spec) if key in values else None
            pasted[(content, text)] += 1
        expected.append(pasted)
    return expected


def _compare_glue(cells: list[dict], expected: list[Counter]) -> tuple[int, list[str]]:
    """How many glued values the cells show, and each cell whose values differ from what
    MyST-NB pastes (a value not computed yet counts as None)."""
    if len(cells) != len(expected):
        return 0, [f"{len(cells)} Markdown cells on the page, {len(expected)} in the file"]
    shown_in_all, mismatches = 0, []
    for i, (cell, wanted) in enumerate(zip(cells, expected, strict=True)):
        shown = Counter(
            (content, None if pending else text) for content, text, pending in cell["glue"]
        )
        shown_in_all += sum(shown.values())
        if shown != wanted:
            mismatches.append(
                f"markdown cell {i}: shown {dict(shown)}, MyST-NB pastes {dict(wanted)}"
            )
    return shown_in_all, mismatches


# ------------------------------------------------------------------ one run per notebook


@dataclass
class NotebookRun:
    """What the student's JupyterLab showed for one notebook, run from top to bottom."""

    notebook: str
    seconds: float = 0.0
    failure: str = ""  # the run itself broke (timeout, crash): every check of it fails
    kernel_dialogs: int = 0
    code_cells: int = 0
    unexecuted: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    markdown_cells: int = 0
    not_myst: list[int] = field(default_factory=list)
    raw_myst: list[str] = field(default_factory=list)
    glued: int = 0
    glue_mismatches: list[str] = field(default_factory=list)
    dropdowns: int = 0
    kernel_prefix: str = ""
    explorer: dict = field(default_factory=dict)
    screenshot: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each step


def _kernel_prefix(lab: Lab, notebook: str) -> str:
    """sys.prefix of the kernel running `notebook` (its Python environment), asked through
    the kernel's connection file."""
    from jupyter_client import BlockingKernelClient

    _, text = lab.request("/api/sessions")
    session = next(s for s in json.loads(text) if s["path"] == notebook)
    connection_file = lab.runtime / f"kernel-{session['kernel']['id']}.json"
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    printed = []

    def keep(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    try:
        client.execute_interactive("import sys; print(sys.prefix)", timeout=60, output_hook=keep)
    finally:
        client.stop_channels()
    return "".join(printed).strip()


def _move_an_explorer_slider(page) -> dict:
    """Press the right arrow on the first explorer slider: do its readout and figure change?"""
    explorer = page.locator(f"{PANEL} .jp-OutputArea-output:has(.widget-slider)").first
    handle = explorer.locator(".widget-slider .noUi-handle").first
    readout = explorer.locator(".widget-slider .widget-readout").first
    image = explorer.locator(".widget-output img").first
    image.wait_for(timeout=30_000)
    explorer.scroll_into_view_if_needed()
    before = {"value": readout.text_content(), "src": image.get_attribute("src")}
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    try:  # the Output widget puts a new <img> in place of the old one
        explorer.evaluate(
            "(root, before) => new Promise((resolve, reject) => {"
            " const start = Date.now();"
            " const look = () => {"
            "   const img = root.querySelector('.widget-output img');"
            "   if (img && img.src !== before) resolve();"
            "   else if (Date.now() - start > 60000) reject(new Error('no new figure'));"
            "   else setTimeout(look, 200);"
            " };"
            " look(); })",
            before["src"],
        )
        redrawn = True
    except Exception:  # reported by the test
        redrawn = False
    page.wait_for_timeout(500)
    after_src = explorer.locator(".widget-output img").first.get_attribute("src")
    after = {"value": readout.text_content(), "src": after_src}
    explorer.screenshot(path=ARTIFACTS / "explorer.png")
    return {
        "control": f"{before['value']} -> {after['value']}",
        "moved": after["value"] != before["value"],
        "redrawn": redrawn,
    }


def _show_myst(page) -> None:
    """Screenshots of an admonition with the prose around it, and of an opened dropdown."""
    page.locator(f"{PANEL} .myst aside.myst-admonition").first.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "myst.png")
    dropdown = page.locator(f"{PANEL} .myst details").first
    dropdown.locator("summary").click()
    dropdown.scroll_into_view_if_needed()
    dropdown.screenshot(path=ARTIFACTS / "dropdown.png")


def _run_notebook(session: Session, notebook: str) -> NotebookRun:
    run = NotebookRun(notebook)
    start = last = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal last
        now = time.perf_counter()
        run.phases[phase] = round(now - last, 1)
        last = now

    try:
        page = session.open(notebook)
        run.kernel_dialogs = page.locator(".jp-Dialog").count()
        lap("open")
        _run_all(page)
        lap("run all")
        _save(page)
        saved = json.loads((session.lab.root / notebook).read_text())
        code = [c for c in saved["cells"] if c["cell_type"] == "code"]
        run.code_cells = len(code)
        run.unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
        run.errors = [
            f"cell {i}: {o['ename']}: {o['evalue']}"
            for i, c in enumerate(code)
            for o in c.get("outputs", [])
            if o["output_type"] == "error"
        ]
        lap("save")
        expected = _expected_glue(saved)
        deadline = time.monotonic() + 30  # on a busy machine course-glue may lag a little
        while True:
            cells = page.evaluate(MARKDOWN_JS, PANEL)
            run.glued, run.glue_mismatches = _compare_glue(cells, expected)
            if not run.glue_mismatches or time.monotonic() > deadline:
                break
            page.wait_for_timeout(2000)
        lap("read markdown")
        run.markdown_cells = len(cells)
        run.not_myst = [i for i, c in enumerate(cells) if not c["myst"]]
        run.raw_myst = _raw_myst(cells)
        run.dropdowns = sum(c["dropdowns"] for c in cells)
        first_glue = page.locator(f"{PANEL} .myst [data-course-glue]").first
        if first_glue.count():
            first_glue.scroll_into_view_if_needed()
        shot = ARTIFACTS / (Path(notebook).stem + ".png")
        page.screenshot(path=shot)
        run.screenshot = str(shot.relative_to(ROOT))
        lap("screenshot")
        if notebook == NOTEBOOKS[0]:
            run.kernel_prefix = _kernel_prefix(session.lab, notebook)
        if notebook == EXPLORER_NOTEBOOK:
            run.explorer = _move_an_explorer_slider(page)
            lap("explorer")
        if notebook == SHOWCASE_NOTEBOOK:
            _show_myst(page)
    except Exception as error:  # the checks report it for this notebook only
        run.failure = f"{type(error).__name__}: {error}"[:2000]
    finally:
        session.close_notebook()
        lap("close")
        run.seconds = round(time.perf_counter() - start, 1)
    return run


@dataclass
class Runs:
    """Every chosen notebook's run, and the requests to other hosts that were blocked."""

    notebooks: dict[str, NotebookRun]
    blocked: list[str]


@pytest.fixture(scope="module")
def runs(lab, chromium) -> Runs:
    """Run every chosen notebook once; a report and screenshots go to _build/jupyterlab/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    session = Session(chromium, lab)
    try:
        results = {notebook: _run_notebook(session, notebook) for notebook in NOTEBOOKS}
    finally:
        session.close()
    report = {
        "seconds": round(time.perf_counter() - start, 1),
        "external_requests_blocked": session.blocked,
        "notebooks": [asdict(r) for r in results.values()],
    }
    (ARTIFACTS / "report.json").write_text(json.dumps(report, indent=1))
    print(
        f"\njupyterlab: {len(results)} notebooks in {report['seconds']} s; "
        f"screenshots and report.json in {ARTIFACTS}"
    )
    return Runs(results, session.blocked)


# ------------------------------------------------------------------ the checks


def test_the_student_sees_the_student_tools_only(lab, chromium):
    """MyST renderer and glue extension loaded; Validate kept; no Nbgrader menu, formgrader,
    Create Assignment or news pop-up, on the page or on the server; no other host reached."""
    config = lab.page_config()
    loaded = {extension["name"] for extension in config["federated_extensions"]}
    assert {"jupyterlab-myst", "course-glue", "@jupyter/nbgrader"} <= loaded, loaded
    assert set(INSTRUCTOR_PLUGINS) | {NEWS_PLUGIN} <= set(config["disabledExtensions"])
    assert "@jupyter/nbgrader:validate-assignment" not in config["disabledExtensions"]
    assert config["news"] == {"disabled": True}
    assert lab.request("/formgrader")[0] == 404, "the formgrader is served to students"
    session = Session(chromium, lab)
    try:
        page = session.open(EXERCISE)
        page.wait_for_timeout(5000)  # the news question comes a moment after the start
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        side_tabs = page.locator(".jp-SideBar .lm-TabBar-tab").evaluate_all(
            "tabs => tabs.map(t => `${t.dataset.id} ${t.title}`)"
        )
        notifications = page.locator(".jp-Notification-Toast, .Toastify__toast").all_inner_texts()
        validate = page.locator(f"{PANEL} .jp-Toolbar").get_by_text("Validate", exact=True)
        has_validate = validate.count() == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "lab.png")
    finally:
        session.close()
    assert "Run" in menus and "Nbgrader" not in menus, menus
    assert side_tabs and not any("assign" in tab.lower() for tab in side_tabs), side_tabs
    assert not any("news" in text.lower() for text in notifications), notifications
    assert has_validate, "the notebook toolbar has no Validate button"
    assert not session.blocked, f"JupyterLab reached other hosts: {session.blocked}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_cell_runs_without_an_error(runs, notebook):
    run = runs.notebooks[notebook]
    assert not run.failure, run.failure
    assert run.kernel_dialogs == 0, "JupyterLab asked which kernel to use"
    assert run.code_cells and not run.unexecuted, f"cells not run: {run.unexecuted}"
    assert not run.errors, run.errors


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_markdown_shows_no_raw_myst(runs, notebook):
    run = runs.notebooks[notebook]
    assert not run.failure, run.failure
    assert run.markdown_cells and not run.not_myst, f"cells not rendered by MyST: {run.not_myst}"
    assert not run.raw_myst, f"raw MyST in rendered Markdown: {run.raw_myst}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_glued_numbers_show_as_in_the_book(runs, notebook):
    """Each {glue:text} shows the value the notebook computed, formatted as MyST-NB does."""
    run = runs.notebooks[notebook]
    assert not run.failure, run.failure
    assert not run.glue_mismatches, "\n".join(run.glue_mismatches)


# the roles and directives of the book's notebooks, the kinds the checks below must meet
MYST_KINDS = {"glue:text", "numref", "cite:p", "cite:t", "eq", "dropdown", "note"}
MYST_NAME = re.compile(
    r"(?<![\w^_])\{([A-Za-z][\w:.-]*)\}`|^\s*(?:`{3,}|:{3,})\{([A-Za-z][\w:.-]*)\}", re.M
)


def _myst_names(path: Path) -> set[str]:
    cells = json.loads(path.read_text())["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return {role or directive for role, directive in MYST_NAME.findall(markdown)}


def test_the_checks_had_something_to_check(runs):
    """Would the per-notebook checks catch a regression: do the chosen notebooks use every
    kind of MyST that any book notebook uses, and were glued values and dropdowns seen?"""
    used = set().union(*(_myst_names(p) for p in (ROOT / "book").glob("*/*.ipynb")))
    chosen = set().union(*(_myst_names(ROOT / notebook) for notebook in NOTEBOOKS))
    assert used == MYST_KINDS, f"MyST this module does not know: {used - MYST_KINDS}"
    assert chosen == used, f"no chosen notebook uses {used - chosen}"
    done = list(runs.notebooks.values())
    assert sum(r.glued for r in done) > 50
    assert sum(r.dropdowns for r in done) >= 2 * len(NOTEBOOKS)
    assert sum(r.markdown_cells for r in done) > 5 * len(NOTEBOOKS)


def test_the_kernel_is_this_environments_python(runs):
    run = runs.notebooks[NOTEBOOKS[0]]
    assert not run.failure, run.failure
    # sys.prefix, not the executable: a virtual environment's python is a link to the system's
    assert Path(run.kernel_prefix) == Path(sys.prefix), run.kernel_prefix


def test_moving_an_explorer_slider_redraws_its_figure(runs):
    run = runs.notebooks[EXPLORER_NOTEBOOK]
    assert not run.failure, run.failure
    assert run.explorer.get("moved") and run.explorer.get("redrawn"), run.explorer


def test_no_request_left_the_machine(runs):
    assert not runs.blocked, f"JupyterLab reached other hosts: {runs.blocked}"


def test_validate_reports_the_failing_stub_items(lab, chromium):
    """Validate on the released exercise: every graded test cell fails on its stub, and the
    dialog lists each of them."""
    released = json.loads((lab.root / EXERCISE).read_text())
    graded = [c for c in released["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    tests = ["".join(c["source"]).splitlines()[0] for c in graded if c["cell_type"] == "code"]
    answers = [c for c in graded if c["cell_type"] == "markdown"]  # written, graded by hand
    assert tests, f"{EXERCISE} has no graded test cell"
    session = Session(chromium, lab)
    try:
        page = session.open(EXERCISE)
        cells = page.evaluate(MARKDOWN_JS, PANEL)
        raw = _raw_myst(cells)
        page.locator(f"{PANEL} .jp-Toolbar").get_by_text("Validate", exact=True).click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator("#validation-message").wait_for(timeout=RUN_TIMEOUT_S * 1000)
        header = dialog.locator(".jp-Dialog-header").inner_text()
        classes = dialog.locator("#validation-message").get_attribute("class") or ""
        message = dialog.locator("#validation-message").inner_text()
        page.screenshot(path=ARTIFACTS / "validate.png")
    finally:
        session.close()
    assert not raw, f"raw MyST in the exercise's Markdown: {raw}"
    assert header.strip() == "Validation Results", header
    assert "validation-failed" in classes, message[:2000]
    # every test cell, then every written answer still "YOUR ANSWER HERE"
    assert message.count("The following cell failed:") == len(graded), message[:4000]
    missing = [first for first in tests if first not in message]
    assert not missing, f"graded items not reported: {missing}"
    assert message.count("NotImplementedError") >= len(tests), message[:4000]
    assert message.count("You did not provide a response.") == len(answers), message[-2000:]
    assert not session.blocked, session.blocked


def _format_cases() -> list[tuple[str, str]]:
    values = [0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1e-5, 1.23456e-7, 123456.789,
              9.9996, 0.99995, 1e16, 1e21, 6.02e23, 0.1 + 0.2, 1 / 3, 12.0, 0.015, 0.0249999,
              1234567.891, 5e-324, 1.7976931348623157e308, 99.95, float("nan"), float("inf"),
              -float("inf"), 3, -42, 0, 1234567, 2**70, True, "adam", "it's"]  # fmt: skip
    specs = ["", "s", ".1f", ".0f", ".2f", ".3f", ".4f", ".1%", ".0%", ".2%", ",", ",.0f",
             ".1e", ".0e", "d", ",d", "g", ".3g", "+.5f", ">10.2f", "010.3f", ".3", "#x",
             "E", "%", "#.3g", "_", "^9.1f", "z.1f", ".17g"]  # fmt: skip
    return [(repr(v), s) for v, s in itertools.product(values, specs)]


def test_the_glue_extension_formats_as_myst_nb(chromium):
    """course-glue's Python format mini-language, run in Chromium, against MyST-NB's own."""
    from myst_nb.core.variables import format_plain_text

    cases = _format_cases()
    expected = []
    for text, spec in cases:
        try:
            expected.append(format_plain_text(text, spec))
        except Exception:  # MyST-NB warns and pastes nothing; the extension shows the raw value
            expected.append(None)
    page = chromium.new_page()
    try:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(GLUE_JS))
        shown = page.evaluate(
            """async (cases) => {
              const format = (await window._JUPYTERLAB['course-glue'].get('./format'))();
              return cases.map(([text, spec]) => {
                try { return format.formatGlue(text, spec); } catch (error) { return null; }
              });
            }""",
            cases,
        )
    finally:
        page.close()
    wrong = [(c, e, s) for c, e, s in zip(cases, expected, shown, strict=True) if e != s]
    assert not wrong, f"{len(wrong)} of {len(cases)} differ, e.g. {wrong[:10]}"


def test_the_instructor_command_serves_formgrader(tmp_path):
    """`make formgrader` (scripts/lab.py --instructor): the formgrader is served and the
    Nbgrader menu and Create Assignment are on; the news question stays off."""
    lab = _start_lab(tmp_path, instructor=True)
    try:
        formgrader = lab.request("/formgrader")[0]
        config = lab.page_config()
    finally:
        _stop_lab(lab)
    assert formgrader == 200, f"/formgrader answered {formgrader}"
    assert not set(INSTRUCTOR_PLUGINS) & set(config["disabledExtensions"])
    assert NEWS_PLUGIN in config["disabledExtensions"]
