"""Does the built book work in a real browser with no network but the book itself?

Headless Chromium (Debian's `chromium`, driven by Playwright) opens every page of the table
of contents, in every edition (English `en/`, Spanish `es/`), served from `_build/html` on
127.0.0.1, with every request to any other host blocked and recorded. Questions answered for
each page:
- Was a request to another host attempted? (must not be: the book is read offline)
- Did the page log a console error, throw, or get an error status for one of its files?
- Did every image load (non-zero natural width)?
- On a page with formulas, did MathJax turn every one into rendered math, without a TeX error?
- On a page with saved widgets, did the widgets HTML manager render each of them?
- Does its language menu link to the same page in the other edition?
And for the book as a whole: does search find a term of the metrics chapter (in English and
in Spanish), does the exercise download link give a valid notebook, does a saved widget show
its control, does every explorer's player work in both editions?

Screenshots of the landing page and of a chapter page, and a JSON report (pages checked,
requests blocked, time taken), are written to `_build/browser/` of the repository.

The build is the one `make test` makes before the tests (the `book_build` fixture). Set
COURSE_BOOK_HTML=/path/to/_build/html to check another build; set COURSE_CHROMIUM to use
another Chromium executable than /usr/bin/chromium.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from book_toc import LANGUAGES, toc_files
from chromium import headless_chromium

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "_build" / "browser"
# Every page of the table of contents, plus the two pages Sphinx generates, in each edition.
PAGES = [
    f"{language}/{page}" for language in LANGUAGES for page in [*toc_files(), "genindex", "search"]
]
ENGLISH = next(iter(LANGUAGES))
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'

# (under `make test`'s pytest-xdist, --dist loadscope, the module runs on one worker, so one
# browser visits every page once)
pytestmark = [pytest.mark.book, pytest.mark.slow]


@dataclass
class Visit:
    """What the browser saw on one page."""

    page: str
    seconds: float = 0.0
    external_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    images: int = 0
    formulas: int = 0
    formulas_rendered: int = 0
    formula_errors: int = 0
    mathjax_loaded: bool = False
    widgets: int = 0
    widgets_rendered: int = 0
    other_languages: list[str] = field(default_factory=list)  # the language menu's links


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass


@pytest.fixture(scope="module")
def site_html(request) -> Path:
    """The HTML folder to check: an existing build if COURSE_BOOK_HTML names one, else the
    session's build (tests/conftest.py)."""
    if os.environ.get("COURSE_BOOK_HTML"):
        html = Path(os.environ["COURSE_BOOK_HTML"]).resolve()
        assert (html / "index.html").is_file(), f"COURSE_BOOK_HTML={html} holds no built book"
        return html
    build = request.getfixturevalue("book_build")
    log = build.result.stdout + build.result.stderr
    # A build that only warned still made its pages: check them (test_book fails on warnings).
    assert (build.html / "index.html").is_file(), f"the book did not build:\n{log[-4000:]}"
    return build.site


@pytest.fixture(scope="module")
def base_url(site_html):
    """The built book served over HTTP on 127.0.0.1, on a free port, for this module."""
    handler = partial(_QuietHandler, directory=str(site_html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (tests/chromium.py); Playwright's own browser downloads are never used."""
    with headless_chromium() as chromium:
        yield chromium


class OfflineContext:
    """A browser context that lets through only requests to the book's own server."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.origin = urlsplit(base_url).netloc
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        self.blocked: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).netloc == self.origin:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def new_page(self, visit_log: dict):
        """A page whose console errors, page errors and failed files go into `visit_log`."""
        page = self.context.new_page()

        def on_console(message):
            if message.type == "error":
                visit_log["console"].append(f"{message.text} ({message.location.get('url')})")

        def on_response(response):
            if response.status >= 400:
                visit_log["http"].append(f"{response.status} {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: visit_log["console"].append(f"uncaught: {error}"))
        page.on("response", on_response)
        page.on(
            "requestfailed",
            lambda req: (
                urlsplit(req.url).netloc == self.origin
                and visit_log["http"].append(f"failed {req.url}: {req.failure}")
            ),
        )
        return page

    def close(self):
        self.context.close()


MATH_JS = """async () => {
  const formulas = [...document.querySelectorAll('.math')];
  if (formulas.length === 0) return {total: 0, rendered: 0, errors: 0, loaded: false};
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(resolve => setTimeout(resolve, 50));
  const loaded = !!(window.MathJax && MathJax.startup && MathJax.startup.promise);
  if (loaded) await MathJax.startup.promise;
  return {
    total: formulas.length,
    rendered: formulas.filter(f => f.querySelector('mjx-container')).length,
    errors: document.querySelectorAll('mjx-merror').length,
    loaded,
  };
}"""

IMAGES_JS = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(resolve => {
    img.addEventListener('load', resolve, {once: true});
    img.addEventListener('error', resolve, {once: true});
    setTimeout(resolve, 10000);
  })));
  return {
    total: images.length,
    broken: images.filter(img => !(img.naturalWidth > 0))
                  .map(img => (img.currentSrc || img.src).slice(0, 160)),
  };
}"""

# Each saved widget view is a <script> tag; the HTML manager renders it into the element it
# inserts just before that tag.
WIDGETS_JS = f"""() => {{
  const views = [...document.querySelectorAll('{WIDGET_VIEW}')];
  const rendered = views.filter(view => {{
    const area = view.previousElementSibling;
    return area && area.querySelector('.jupyter-widgets') &&
           area.getBoundingClientRect().height > 0;
  }});
  return {{total: views.length, rendered: rendered.length}};
}}"""


def _visit(offline: OfflineContext, page_name: str) -> Visit:
    log = {"console": [], "http": []}
    page = offline.new_page(log)
    blocked_before = len(offline.blocked)
    start = time.perf_counter()
    try:
        page.goto(offline.base_url + f"{page_name}.html", wait_until="load")
        page.wait_for_load_state("networkidle")
        math = page.evaluate(MATH_JS)
        images = page.evaluate(IMAGES_JS)
        widgets = {"total": page.locator(WIDGET_VIEW).count(), "rendered": 0}
        if widgets["total"]:
            try:
                page.wait_for_function(
                    f"() => ({WIDGETS_JS})().rendered === ({WIDGETS_JS})().total",
                    timeout=15_000,
                )
            except Exception:  # reported by the test, with the counts
                pass
            widgets = page.evaluate(WIDGETS_JS)
        page.wait_for_load_state("networkidle")
        languages = page.eval_on_selector_all(
            ".dropdown-language-buttons .dropdown-menu a", "links => links.map(a => a.href)"
        )
    finally:
        seconds = time.perf_counter() - start
        page.close()
    return Visit(
        page=page_name,
        seconds=round(seconds, 2),
        external_requests=offline.blocked[blocked_before:],
        console_errors=log["console"],
        http_errors=log["http"],
        broken_images=images["broken"],
        images=images["total"],
        formulas=math["total"],
        formulas_rendered=math["rendered"],
        formula_errors=math["errors"],
        mathjax_loaded=math["loaded"],
        widgets=widgets["total"],
        widgets_rendered=widgets["rendered"],
        other_languages=[url.removeprefix(offline.base_url) for url in languages],
    )


@pytest.fixture(scope="module")
def visits(browser, base_url) -> dict[str, Visit]:
    """Open every page once; save screenshots and a report under _build/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    offline = OfflineContext(browser, base_url)
    try:
        results = {name: _visit(offline, name) for name in PAGES}
        page = offline.new_page({"console": [], "http": []})
        page.goto(base_url, wait_until="load")  # index.html forwards to en/, to the first page
        page.wait_for_url(f"**/{toc_files()[0]}.html")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=ARTIFACTS / "landing.png")
        chapter = _chapter_page_for_screenshot(results)
        page.goto(base_url + f"{chapter}.html", wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate(MATH_JS)
        # show typeset formulas rather than the page's title and imports
        page.evaluate(
            "() => { const m = document.querySelector('div.math');"
            " if (m) window.scrollTo(0, m.getBoundingClientRect().top + window.scrollY - 300); }"
        )
        page.screenshot(path=ARTIFACTS / "chapter.png")
        # the same page in Spanish, its language menu open
        page.goto(base_url + chapter.replace(f"{ENGLISH}/", "es/", 1) + ".html", wait_until="load")
        page.wait_for_load_state("networkidle")
        page.click(".dropdown-language-buttons button.dropdown-toggle")
        page.locator(".dropdown-language-buttons .dropdown-menu a").first.wait_for(
            state="visible", timeout=10_000
        )
        page.screenshot(path=ARTIFACTS / "chapter-es.png")
        page.close()
    finally:
        offline.close()
    report = {
        "pages_checked": len(results),
        "external_requests": sum(len(v.external_requests) for v in results.values()),
        "seconds": round(time.perf_counter() - start, 1),
        "screenshots": ["landing.png", "chapter.png", "chapter-es.png"],
        "chapter_screenshot_page": chapter,
        "pages": [asdict(v) for v in results.values()],
    }
    (ARTIFACTS / "report.json").write_text(json.dumps(report, indent=1))
    print(
        f"\nbrowser: {report['pages_checked']} pages, {report['external_requests']} external "
        f"requests, {report['seconds']} s; screenshots and report.json in {ARTIFACTS}"
    )
    return results


def _chapter_page_for_screenshot(results: dict[str, Visit]) -> str:
    """A chapter page that shows formulas, a figure and a widget if there is one."""
    chapters = [v for v in results.values() if v.page.startswith(f"{ENGLISH}/book/0")]
    for wanted in (lambda v: v.widgets and v.formulas and v.images, lambda v: v.formulas):
        for visit in chapters:
            if wanted(visit):
                return visit.page
    return chapters[0].page if chapters else PAGES[0]


@pytest.mark.parametrize("page_name", PAGES)
def test_page_works_offline(visits, page_name):
    """Does the page load with nothing from another host, no error, every image drawn, every
    formula typeset by MathJax and every saved widget rendered?"""
    visit = visits[page_name]
    assert not visit.external_requests, (
        f"{page_name} tried to reach other hosts: {visit.external_requests}"
    )
    assert not visit.console_errors, f"{page_name} logged errors: {visit.console_errors}"
    assert not visit.http_errors, f"{page_name} failed to load files: {visit.http_errors}"
    assert not visit.broken_images, f"{page_name} has images that did not load: " + str(
        visit.broken_images
    )
    if visit.formulas:
        assert visit.mathjax_loaded, f"{page_name}: MathJax did not load"
        assert visit.formulas_rendered == visit.formulas, (
            f"{page_name}: {visit.formulas - visit.formulas_rendered} of {visit.formulas} "
            "formulas were left as raw TeX"
        )
        assert visit.formula_errors == 0, f"{page_name}: {visit.formula_errors} TeX errors"
    assert visit.widgets_rendered == visit.widgets, (
        f"{page_name}: {visit.widgets - visit.widgets_rendered} of {visit.widgets} saved "
        "widgets were not rendered"
    )
    language, page = page_name.split("/", 1)
    others = {f"{code}/{page}.html" for code in LANGUAGES if code != language}
    assert set(visit.other_languages) == others, (
        f"{page_name}: the language menu links to {visit.other_languages}, not {others}"
    )
    assert all(other.removesuffix(".html") in visits for other in others)


def test_the_book_has_formulas_and_widgets_to_check(visits):
    """Would the per-page checks catch a regression: are there formulas and widgets at all?"""
    assert sum(v.formulas for v in visits.values()) > 100
    assert any(v.widgets for v in visits.values()), "no page has a saved widget"
    assert sum(v.images for v in visits.values()) > len(PAGES)


@pytest.mark.parametrize(
    ("language", "term"), [("en", "specificity"), ("es", "especificidad")]
)
def test_search_finds_a_term_of_the_metrics_chapter(browser, base_url, language, term):
    """Does each edition's search (its own index, in its own language) find the chapter?"""
    offline = OfflineContext(browser, base_url)
    log = {"console": [], "http": []}
    try:
        page = offline.new_page(log)
        page.goto(base_url + f"{language}/search.html?q={term}", wait_until="load")
        page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
        hits = page.eval_on_selector_all(
            "#search-results ul.search li a", "links => links.map(a => a.href)"
        )
    finally:
        offline.close()
    assert any(f"/{language}/book/02_metrics/" in hit for hit in hits), f"no page in {hits}"
    assert not offline.blocked and not log["console"], (offline.blocked, log["console"])


def test_exercise_download_link_gives_a_valid_notebook(browser, base_url, tmp_path):
    """Clicking a chapter's "download the exercise notebook" link saves the student version."""
    exercise = next(f for f in toc_files() if f.startswith("exercises/"))
    chapter_index = "book/" + exercise.split("/")[1] + "/index"
    offline = OfflineContext(browser, base_url)
    try:
        page = offline.new_page({"console": [], "http": []})
        page.goto(base_url + f"{ENGLISH}/{chapter_index}.html", wait_until="load")
        link = page.locator(f'a.download[href$="/{Path(exercise).name}.ipynb"]').first
        with page.expect_download() as download_info:
            link.click()
        saved = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(saved)
        # the page's own header button offers the same notebook as the page's source
        page.goto(base_url + f"{ENGLISH}/{exercise}.html", wait_until="load")
        source_href = page.eval_on_selector(
            'a.btn-download-source-button[href$=".ipynb"]', "a => a.href"
        )
        source = page.request.get(source_href)
        source_ok, source_status, source_text = source.ok, source.status, source.text()
    finally:
        offline.close()
    assert saved.name == f"{Path(exercise).name}.ipynb"
    assert source_ok, f"{source_href}: HTTP {source_status}"
    for text in (saved.read_text(), source_text):
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "NotImplementedError" in code, "the download is not the student version"
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text


def test_a_saved_widget_shows_its_rendered_control(visits, browser, base_url):
    """The first page with a saved widget shows a visible, drawn control (not just text)."""
    page_name = next((v.page for v in visits.values() if v.widgets), None)
    assert page_name, "no page with a saved widget"
    offline = OfflineContext(browser, base_url)
    try:
        page = offline.new_page({"console": [], "http": []})
        page.goto(base_url + f"{page_name}.html", wait_until="load")
        control = page.locator(
            ".widget-subarea .jupyter-widgets"
            ":is(.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-checkbox,"
            " .widget-text, .jupyter-button, .widget-hprogress)"
        ).first
        control.wait_for(state="visible", timeout=20_000)
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        control.screenshot(path=ARTIFACTS / "widget.png")
    finally:
        offline.close()
    assert box and box["width"] > 20 and box["height"] > 5, f"{page_name}: control is {box}"


FRAMES_JS = """() => [...document.querySelectorAll('.course-frames')].map(root => {
  const image = root.querySelector('.course-frames-image');
  const summary = root.querySelector('.course-frames-summary');
  return [...root.querySelectorAll('input[data-control]')].map(input => {
    const before = {src: image.src, summary: summary.innerHTML, value: input.value};
    const target = Number(input.value) === Number(input.max) ? 0 : Number(input.max);
    input.value = target;
    input.dispatchEvent(new Event('input'));
    const after = {src: image.src, summary: summary.innerHTML, value: input.value,
                   label: input.nextElementSibling.textContent};
    return {control: input.parentElement.textContent.trim().slice(0, 40), target,
            moved: Number(after.value) === target && after.label !== '',
            changed: after.src !== before.src || after.summary !== before.summary};
  });
})"""


def test_explorers_work_in_the_book_without_a_kernel(site_html, browser, base_url):
    """On every page with an explorer, does each control of its precomputed player move and
    change the figure or its summary, with no kernel and no network?"""
    pages = [
        name
        for name in PAGES
        if (site_html / f"{name}.html").exists()
        and "course-frames" in (site_html / f"{name}.html").read_text(encoding="utf-8")
    ]
    assert pages, "no page has an explorer player"
    offline = OfflineContext(browser, base_url)
    problems, moved = [], 0
    try:
        for name in pages:
            log = {"console": [], "http": []}
            page = offline.new_page(log)
            page.goto(base_url + f"{name}.html", wait_until="load")
            for player in page.evaluate(FRAMES_JS):
                for control in player:
                    moved += 1
                    if not (control["moved"] and control["changed"]):
                        problems.append(f"{name}: {control}")
            problems += [f"{name}: console {m}" for m in log["console"]]
            page.close()
    finally:
        offline.close()
    assert not problems, "\n".join(problems)
    assert moved >= len(pages)


def test_header_menus_show_launch_and_download_links(browser, base_url):
    """On a notebook page, the launch menu lists Binder, Colab and JupyterHub, and the
    download menu the notebook and a PDF."""
    page_name = ENGLISH + "/" + next(
        f for f in toc_files() if f.startswith("book/") and (ROOT / f"{f}.ipynb").exists()
    )
    offline = OfflineContext(browser, base_url)
    try:
        page = offline.new_page({"console": [], "http": []})
        page.goto(base_url + f"{page_name}.html", wait_until="load")
        menus = {}
        for menu in ("launch", "download"):
            page.click(f".dropdown-{menu}-buttons button.dropdown-toggle")
            items = page.locator(f".dropdown-{menu}-buttons .dropdown-menu :is(a, button)")
            items.first.wait_for(state="visible", timeout=10_000)
            menus[menu] = [text.strip() for text in items.all_inner_texts()]
            page.keyboard.press("Escape")
    finally:
        offline.close()
    assert {"Binder", "Colab", "JupyterHub"} <= set(menus["launch"]), menus["launch"]
    assert {".ipynb", ".pdf"} <= set(menus["download"]), menus["download"]
    assert not offline.blocked, f"opening the menus reached other hosts: {offline.blocked}"
