"""Is the Spanish edition complete, and does it say what the English says?

The English pages are the only source; `locales/es/LC_MESSAGES/<page>.po` holds the Spanish
of each of their messages (scripts/i18n.py, CONTRIBUTING.md). Questions answered here:
- Does every page of the table of contents have a catalog, and does it hold every message
  the English page has now? (English prose changed without `make po` would show in English
  on the Spanish page.)
- Is no page more than 5 % untranslated or fuzzy? (A page of PENDING is exempt while it is
  being translated, and must really be incomplete: the list only shrinks.)
- Does every translation keep its English's references, glued values, code, links and math?
- Does each page use the glossary's Spanish form (locales/es/terms.tsv) for every glossary
  term its English uses, and does the Spanish glossary give each term that form?
- Does the checker refuse a translation that breaks a reference, a glued value or the math?
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from pathlib import Path

import pytest
from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("i18n", ROOT / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n)

LANGUAGE = "es"
MAX_UNDONE = 0.05
# Pages still being translated (issue 24), by page: each must be over MAX_UNDONE undone.
PENDING: set[str] = set()


def catalogs() -> dict[str, Path]:
    return i18n.catalogs(LANGUAGE)


def test_every_page_has_a_catalog():
    missing = [page for page in toc_files() if page not in catalogs()]
    assert not missing, f"no catalog for {missing}: run `make po`"


@pytest.mark.slow
def test_the_catalogs_hold_every_english_message_of_today(tmp_path, monkeypatch):
    """A fresh extraction of the English finds no message that a catalog lacks."""
    monkeypatch.setattr(i18n, "GETTEXT", tmp_path / "gettext")
    templates = i18n.build_templates()
    stale = []
    for pot in sorted(templates.rglob("*.pot")):
        page = pot.relative_to(templates).with_suffix("").as_posix()
        english = {m.id for m in i18n.messages(i18n.read_catalog(pot))}
        kept = {m.id for m in i18n.messages(i18n.read_catalog(catalogs()[page]))}
        stale += [f"{page}: {msgid[:70]!r}" for msgid in sorted(english - kept)]
    assert not stale, (
        f"{len(stale)} English messages are not in the catalogs; run `make po`:\n"
        + "\n".join(stale[:20])
    )


@pytest.mark.parametrize("page", sorted(set(toc_files())))
def test_no_page_is_more_than_five_percent_untranslated(page):
    total, untranslated, fuzzy = i18n.page_stats(catalogs()[page])
    undone = (untranslated + fuzzy) / max(total, 1)
    if page in PENDING:
        assert undone > MAX_UNDONE, f"{page} is translated now: remove it from PENDING"
        return
    assert undone <= MAX_UNDONE, (
        f"{page}: {untranslated} untranslated and {fuzzy} fuzzy of {total} messages "
        f"({undone:.0%}); `python scripts/i18n.py todo {catalogs()[page].relative_to(ROOT)}`"
    )


def test_every_translation_keeps_the_markup_of_its_english():
    problems = []
    for page, path in catalogs().items():
        for n, message in enumerate(i18n.messages(i18n.read_catalog(path)), 1):
            if message.string and not message.fuzzy:
                problems += [
                    f"{page} @@ {n}: {p}" for p in i18n.markup_problems(message.id, message.string)
                ]
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("See {numref}`fig-roc`.", "Véase la {numref}`fig-x`."),
        ("It is {glue:text}`acc:.1%` here.", "Es {glue:text}`acc:.2%` aquí."),
        ("It is {glue:text}`acc:.1%` here.", "Es 93.4 % aquí."),
        ("Call `fit` first.", "Llama primero a `ajustar`."),
        ("The [page](02_roc.ipynb).", "La [página](02_roc_es.ipynb)."),
        ("With $\\alpha = 0.1$.", "Con $\\alpha = 0.2$."),
        ("**Bold** word.", "Palabra en negrita."),
        ("\\text{if } s \\ge t", "\\text{si } s > t"),
    ],
)
def test_the_checker_refuses_a_broken_translation(english, spanish):
    assert i18n.markup_problems(english, spanish)


def test_the_checker_accepts_translated_words_around_the_markup():
    english = (
        "The **recall** is {glue:text}`recall:.2f` ({numref}`Figure %s <fig-roc>`), see "
        "`course_lib.metrics` and [the page](01_confusion_matrix.ipynb); $\\text{TPR} = x$."
    )
    spanish = (
        "La **exhaustividad** es {glue:text}`recall:.2f` ({numref}`Figura %s <fig-roc>`), "
        "véase `course_lib.metrics` y [la página](01_confusion_matrix.ipynb); "
        "$\\text{TPR} = x$."
    )
    assert i18n.markup_problems(english, spanish) == []
    assert i18n.markup_problems("\\text{otherwise.}", "\\text{en otro caso.}") == []


# --- terminology -------------------------------------------------------------------------


def terms(everyday: bool = True) -> list[tuple[str, str]]:
    """(English term, Spanish form); without the words that also have an everyday sense
    ("width", "score") when ``everyday`` is False."""
    rows = (ROOT / "locales" / LANGUAGE / "terms.tsv").read_text(encoding="utf-8").splitlines()
    cells = [row.split("\t") for row in rows if row and not row.startswith("#")]
    return [(c[0], c[1]) for c in cells if everyday or c[2:] != ["everyday"]]


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("*", "").replace("`", " ")).lower()
    return re.sub(r"\s+", " ", text)


def _prose(text: str) -> str:
    """The words of a message: no roles, inline code, math or emphasis markers."""
    text = i18n.ROLE.sub(" ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    return i18n.MATH.sub(" ", text).replace("*", "")


def _english_pattern(term: str) -> re.Pattern:
    """The term in English text; an acronym or a name (MADE, ReLU) only with its capitals."""
    exact = term != term.lower()
    words = [re.escape(w) for w in (term if exact else _plain(term)).split()]
    flags = 0 if exact else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + r"\s+".join(words) + r"(?:s|es)?(?![\w-])", flags)


def _uses(spanish_text: str, form: str) -> bool:
    """Does the text use ``form`` (or one of its ``|``-separated alternatives), allowing
    plural and gender (each word of 4+ letters matched by its beginning: "funciones de
    activación" uses "función de activación")?"""
    found = re.findall(r"[\wγ]+", spanish_text)
    for alternative in form.split("|"):
        words = [w for w in re.findall(r"[\wγ]+", _plain(alternative)) if len(w) >= 4]
        stems = [w[: max(4, min(len(w) - 3, 6))] for w in words or [_plain(alternative)]]
        if all(any(f.startswith(stem) for f in found) for stem in stems):
            return True
    return False


def test_the_terms_file_covers_the_glossary():
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    rows = [line for line in glossary.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(terms()) == len(rows) - 1, "terms.tsv and the glossary's table differ in length"


def test_every_page_uses_the_glossary_spanish_for_the_terms_its_english_uses():
    """Page by page: for each glossary term in the English (the longest terms first, so that
    "weight decay" is not also counted as "weight"), the Spanish uses terms.tsv's form."""
    listed = sorted(terms(everyday=False), key=lambda t: -len(t[0]))
    patterns = [(english, spanish, _english_pattern(english)) for english, spanish in listed]
    problems = []
    for page, path in catalogs().items():
        if page in PENDING or page == "book/glossary":
            continue
        done = [m for m in i18n.messages(i18n.read_catalog(path)) if m.string and not m.fuzzy]
        english = " \n ".join(_prose(m.id) for m in done)
        spanish = " \n ".join(_plain(_prose(m.string)) for m in done)
        for term, form, pattern in patterns:
            if pattern.search(english):
                english = pattern.sub(" ", english)
                if not _uses(spanish, form):
                    problems.append(f"{page}: {term!r} is not written {form!r}")
    assert not problems, f"{len(problems)} terms not as terms.tsv says:\n" + "\n".join(
        problems[:40]
    )


def test_the_spanish_glossary_gives_each_term_the_form_the_pages_use():
    """Each row's Spanish-term cell, translated, starts with terms.tsv's form for that term."""
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in glossary.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]
    catalog = i18n.read_catalog(catalogs()["book/glossary"])
    translated = {m.id: m.string for m in i18n.messages(catalog)}
    problems = []
    for (english, spanish), row in zip(terms(), rows, strict=True):
        cell = translated.get(row[1], "")
        forms = [_plain(form) for form in spanish.split("|")]
        if not any(_plain(cell).startswith(form) for form in forms):
            problems.append(f"{english}: {cell!r} does not start with {' or '.join(forms)!r}")
    assert not problems, "\n".join(problems[:30])
