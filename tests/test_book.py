"""Does the book build without a Sphinx warning, with every page, every notebook executed once?

The build checked here is the one `make test` makes before the tests start
(scripts/build_book.py --strict: every page read again, --warningiserror), or, when pytest
runs by hand, the one the session's `book_build` fixture makes (tests/conftest.py). Its
notebooks are executed once, into the execution cache, and only when their code changed:
these tests read what that execution recorded instead of executing the book a second time.
The same build is checked in a browser by test_browser.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from book_toc import LANGUAGES, toc_files

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.book, pytest.mark.slow]


@pytest.fixture(scope="module")
def built(book_build) -> tuple[Path, subprocess.CompletedProcess]:
    """The session's clean build (tests/conftest.py), shared with the browser tests."""
    return book_build.html, book_build.result


@pytest.mark.parametrize("language", LANGUAGES)
def test_book_builds_without_warnings(built, language):
    """Did every edition build strictly: every page read again (a warning of an unchanged
    page counts), Sphinx's warnings fatal (render_book.py passes --warningiserror)?"""
    html, result = built
    record = json.loads((ROOT / "_build" / "book-build.json").read_text())
    assert language in record.get("languages", {}), f"no {language} build in {record}"
    build = record["languages"][language]
    log = (ROOT / "_build" / build["log"]).read_text(errors="replace")
    assert build["returncode"] == 0, f"the {language} build failed:\n{log[-6000:]}"
    assert "--all" in build["command"], build["command"]
    # Sphinx's own warnings ("path:line: WARNING: ..."), not a kernel's log lines
    warnings = [line for line in log.splitlines() if re.search(r"(^|: )(WARNING|ERROR):", line)]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings[:30])
    assert (html.parent / language / "index.html").exists()
    assert result.returncode == 0


def test_every_book_notebook_was_executed_once_without_error(built):
    """Is every book notebook's current code in the execution cache, executed without an
    error, with its execution time in the report; and did Sphinx execute none again?"""
    from jupyter_cache import get_cache

    _, result = built
    cache = get_cache(str(ROOT / "_build" / ".jupyter_cache"))
    report = json.loads((ROOT / "_build" / "notebook-times.json").read_text())["notebooks"]
    pages = _notebook_pages()
    assert pages and set(report) == {f"{page}.ipynb" for page in pages}, sorted(report)
    for page in pages:
        path = ROOT / f"{page}.ipynb"
        record = cache.get_project_record(str(path))
        assert not record.traceback, f"{page} failed in the build:\n{record.traceback[-3000:]}"
        cached = cache.get_cached_project_nb(str(path))
        assert cached is not None, f"{page}: its current code was not executed by the build"
        seconds = report[f"{page}.ipynb"]["seconds"]
        assert seconds == pytest.approx(cached.data["execution_seconds"], abs=0.01), page
    log = result.stdout + result.stderr
    executed_by_sphinx = re.findall(r"Executing notebook using", log)
    assert not executed_by_sphinx, "Sphinx executed notebooks that the cache should have held"
    assert (ROOT / "_build" / "notebook-times.md").is_file()


def test_every_toc_page_is_built(built):
    html, _ = built
    missing = [f for f in toc_files() if not (html / f"{f}.html").exists()]
    assert not missing, f"pages in _toc.yml missing from _build/html: {missing}"


def test_no_solution_reaches_the_site(built):
    html, _ = built
    assert not (html / "solutions").exists(), "solutions/ was built into the site"
    for page in html.rglob("*"):
        if page.is_file() and page.suffix in {".html", ".ipynb", ".md", ".txt", ".js"}:
            text = page.read_text(errors="ignore")
            for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
                assert marker not in text, f"{page.relative_to(html)} contains {marker!r}"


def test_exercise_pages_are_unexecuted_and_downloadable(built):
    html, _ = built
    exercises = [f for f in toc_files() if f.startswith("exercises/")]
    assert exercises, "no exercise notebook in _toc.yml"
    downloads = {p.name for p in (html / "_downloads").rglob("*.ipynb")}
    for page in exercises:
        text = (html / f"{page}.html").read_text()
        assert "NotImplementedError" in text, f"{page}: the stub is not shown"
        assert "Traceback" not in text, f"{page} was executed"
        assert Path(page).name + ".ipynb" in downloads, f"{page}: no download link target"


def test_explanatory_pages_show_their_outputs(built):
    """Executed at build time: a notebook page without a figure lost its outputs."""
    html, _ = built
    for page in toc_files():
        if page.startswith("book/") and (ROOT / f"{page}.ipynb").exists():
            text = (html / f"{page}.html").read_text()
            assert "<img" in text, f"{page}.html shows no figure: was it executed?"


class _Text(HTMLParser):
    """The text of a page, line by line, outside scripts and styles."""

    def __init__(self):
        super().__init__()
        self.skip, self.chunks = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data):
        if not self.skip:
            self.chunks.append(data)


# a Markdown table's rule line, `|---|--:|`; the site's smart quotes turn "---" into "—"
_RULE_CELL = r"\s*:?(?:-{3,}|[—–]+):?\s*"
MARKDOWN_TABLE_RULE = re.compile(rf"^\s*\|?{_RULE_CELL}(?:\|{_RULE_CELL})+\|?\s*$", re.M)


def test_no_page_shows_a_raw_markdown_table(built):
    """Is every table a table? A `|---|---|` line in a page's text is Markdown left unrendered
    (a cell output shown as text/markdown or plain text instead of HTML)."""
    html, _ = built
    raw = []
    for page in toc_files():
        path = html / f"{page}.html"
        if path.exists():
            parser = _Text()
            parser.feed(path.read_text(errors="replace"))
            if MARKDOWN_TABLE_RULE.search("".join(parser.chunks)):
                raw.append(page)
    assert not raw, f"pages showing a raw Markdown table: {raw}"


def test_every_saved_progress_bar_is_finished(built):
    """Does every tqdm bar saved in a page end full? (A bar saved mid-run, "72% 18/25", reads
    as a page that stalled; the widget state the build saves is what the reader sees.)"""
    html, _ = built
    unfinished = {}
    for path in sorted((html / "book").rglob("*.html")):
        text = path.read_text(errors="replace")
        for block in re.findall(
            r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S
        ):
            for model in json.loads(block).get("state", {}).values():
                state = model.get("state", {})
                if model.get("model_name") == "FloatProgressModel" and state.get("value", 0) < (
                    state.get("max") or 0
                ):
                    unfinished.setdefault(path.relative_to(html).as_posix(), []).append(
                        f"{state.get('value')}/{state.get('max')}"
                    )
    assert not unfinished, f"progress bars saved before the end: {unfinished}"


def test_the_table_rule_finds_raw_markdown():
    assert MARKDOWN_TABLE_RULE.search("text\n| a | b |\n|---|---:|\n| 1 | 2 |\n")
    assert MARKDOWN_TABLE_RULE.search("| a | b |\n|—|—:|\n| 1 | 2 |")  # after smart quotes
    assert not MARKDOWN_TABLE_RULE.search("a --- b, and x | y")


# (tag, attribute) pairs that point at another file
URL_ATTRIBUTES = frozenset(
    {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("source", "src")}
    | {("iframe", "src"), ("video", "src"), ("audio", "src")}
)


class _Links(HTMLParser):
    """The ids a page defines and the URLs it points at, with their tag."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            if (tag, name) in URL_ATTRIBUTES:
                self.urls.append((tag, value))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(errors="replace"))
    return parser


def _parse_site(html: Path) -> dict[str, _Links]:
    """Every HTML page of the site by its path, without the vendored and theme files."""
    return {
        path.relative_to(html).as_posix(): _parse(path)
        for path in sorted(html.rglob("*.html"))
        if "_static" not in path.relative_to(html).parts
    }


def test_internal_links_and_anchors_resolve(book_build):
    """Does every link between pages (of one edition, or to the same page of the other)
    reach an existing file, and every #anchor an element?"""
    html = book_build.site
    pages = _parse_site(html)
    assert len(pages) >= len(toc_files()), "fewer HTML pages than _toc.yml entries"
    broken = []
    for page, parsed in pages.items():
        for tag, url in parsed.urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue  # external links and data: URIs; assets are checked below
            target = urlsplit(urljoin(f"http://book.invalid/{page}", url))
            path = unquote(target.path).lstrip("/") or "index.html"
            if path.endswith("/"):
                path += "index.html"
            if not (html / path).is_file():
                broken.append(f"{page}: <{tag}> {url} -> missing file {path}")
                continue
            fragment = unquote(target.fragment)
            if fragment and path.endswith(".html") and tag == "a":
                ids = pages[path].ids if path in pages else _parse(html / path).ids
                if fragment not in ids:
                    broken.append(f"{page}: <a> {url} -> no id {fragment!r} in {path}")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:40])


def test_pages_load_no_script_style_or_image_from_another_host(built):
    """Are all scripts, style sheets and images of every page served by the book itself?"""
    html, _ = built
    remote = [
        f"{page}: <{tag}> {url}"
        for page, parsed in _parse_site(html).items()
        for tag, url in parsed.urls
        if tag != "a" and (urlsplit(url).scheme in {"http", "https"} or url.startswith("//"))
    ]
    assert not remote, "pages load files from other hosts:\n" + "\n".join(remote[:40])
    for page in _parse_site(html):
        text = (html / page).read_text(errors="replace")
        for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com"):
            assert cdn not in text, f"{page} names the CDN {cdn}"
    vendored = html / "_static" / "vendor"
    for asset in (
        "mathjax/tex-mml-chtml.js",
        "jupyter-widgets/embed-amd.js",
        "requirejs/require.js",
    ):
        assert (vendored / asset).is_file(), f"_static/vendor/{asset} is missing from the build"


def _notebook_pages() -> list[str]:
    return [f for f in toc_files() if f.startswith("book/") and (ROOT / f"{f}.ipynb").exists()]


def test_notebook_pages_have_launch_download_and_repository_buttons(built):
    """Does every notebook page offer its .ipynb, a PDF, the repository and each launcher?"""
    html, _ = built
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = config["repository"]["url"].rstrip("/")
    launchers = {
        key: config["launch_buttons"][key].rstrip("/")
        for key in ("binderhub_url", "colab_url", "jupyterhub_url")
        if config["launch_buttons"].get(key)
    }
    assert set(launchers) == {"binderhub_url", "colab_url", "jupyterhub_url"}, launchers
    pages = _notebook_pages()
    assert pages, "no notebook page in _toc.yml"
    for page in pages:
        text = (html / f"{page}.html").read_text()
        assert f'href="{repository}"' in text, f"{page}: no repository button"
        assert "btn-download-source-button" in text and f"_sources/{page}.ipynb" in text, (
            f"{page}: no download button for the notebook"
        )
        assert (html / "_sources" / f"{page}.ipynb").is_file(), f"{page}: .ipynb not published"
        assert "btn-download-pdf-button" in text, f"{page}: no PDF download button"
        for key, url in launchers.items():
            assert f'href="{url}/' in text, f"{page}: no launch button for {key} ({url})"


def test_equations_figures_and_citations_are_numbered_and_linked(built):
    """Are there numbered equations and figures that the text refers to, and citations that
    link to a bibliography listing every work of book/references.bib?"""
    html, _ = built
    text = {page: (html / f"{page}.html").read_text() for page in toc_files()}
    chapters = "\n".join(t for page, t in text.items() if page.startswith("book/0"))
    equation_refs = re.findall(r'<a class="reference internal" href="[^"]*#equation-eq-', chapters)
    figure_refs = re.findall(
        r'href="[^"]*#fig-[^"]*"><span class="std std-numref">Fig\. \d', chapters
    )
    captions = re.findall(r'<span class="caption-number">Fig\. \d+ </span>', chapters)
    citations = re.findall(r'href="[^"]*bibliography\.html#[^"]+"', chapters)
    assert len(equation_refs) >= 10, f"only {len(equation_refs)} references to equations"
    assert len(captions) >= 5 and len(figure_refs) >= 5, (len(captions), len(figure_refs))
    assert len(citations) >= 10, f"only {len(citations)} citations link to the bibliography"
    bib = (ROOT / "book" / "references.bib").read_text()
    keys = re.findall(r"^@\w+\{([^,\s]+),", bib, re.M)
    assert len(keys) == len(set(keys)), "duplicate keys in book/references.bib"
    entries = text["book/bibliography"].count('role="doc-biblioentry"')
    assert entries == len(keys), f"the bibliography lists {entries} of {len(keys)} works"


PASTED = re.compile(r'<span class="pasted-text">([^<]*)</span>')


def test_every_edition_shows_the_glued_numbers_of_the_english(book_build):
    """Does each translated page show every number the English page glues (a translated
    paragraph is parsed again, without the notebook: scripts/course_i18n.py), with its
    thousands grouped in the edition's style, and equations, figures and citations still
    numbered and linked?"""
    english = book_build.html
    problems, glued = [], 0
    for language in list(LANGUAGES)[1:]:
        edition = book_build.site / language
        for page in toc_files():
            en_text = (english / f"{page}.html").read_text(encoding="utf-8")
            text = (edition / f"{page}.html").read_text(encoding="utf-8")
            en_values, values = PASTED.findall(en_text), PASTED.findall(text)
            glued += len(values)
            if len(values) != len(en_values):
                problems.append(f"{language}/{page}: {len(values)} of {len(en_values)} glued")
            problems += [
                f"{language}/{page}: {value!r} is grouped the English way"
                for value in values
                if re.search(r"\d,\d{3}", value)
            ]
            for pattern in ("#equation-eq-", "bibliography.html#", 'class="caption-number"'):
                if en_text.count(pattern) != text.count(pattern):
                    problems.append(f"{language}/{page}: {pattern} differs from the English")
    assert not problems, "\n".join(problems[:40])
    assert glued > 300, f"only {glued} glued values in the translations"
