"""Sphinx extension: one English source, the book in every language of ``course_languages``.

Sphinx's internationalization does the translating: each paragraph, heading, list item,
table cell and caption is replaced by its translation from ``locales/<lang>/LC_MESSAGES``
(``scripts/i18n.py`` keeps those catalogs). What it does not do for this book, this
extension adds:

- **Glued numbers in translated paragraphs.** A translated message is parsed again on its
  own, without the notebook whose ``glue`` outputs the ``{glue:text}`` roles read: MyST-NB
  finds no value and the number vanishes. A glue lookup that fails falls back to the
  page's glue data, which MyST-NB has written to its output folder by then.
- **Part captions of the table of contents.** sphinx-external-toc inserts the toctrees
  (with their captions from ``_toc.yml``) after Sphinx has translated the page, so the
  captions would stay English; they are looked up in the root page's catalog here.
- **Numbers in the edition's style.** A glued number grouped with commas (``:,``), and a
  number of the math grouped with ``{,}``, are grouped with a narrow space in Spanish,
  where a comma marks decimals.
- **The language switcher.** Every page gets a header menu with a link to the same page in
  each language (``../<lang>/<page>.html``): plain links, no script, so it works offline
  and from ``file://``.

The site is ``_build/html/<lang>/``, one Sphinx build per language (scripts/build_book.py),
each executed notebook taken from the same jupyter-cache: nothing runs twice.
"""

from __future__ import annotations

import gettext
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.i18n import docname_to_domain

DEFAULT_LANGUAGES = {"en": "English", "es": "Español"}


def _page_glue(document, key: str):
    """The value the page's notebook glued under ``key``, from the file MyST-NB writes while
    reading the page (``<output folder>/<docname>.glue.json``), or None."""
    env = getattr(document.settings, "env", None)
    if env is None or not hasattr(env, "mystnb_config"):
        return None
    *folders, name = env.docname.split("/")
    path = Path(env.mystnb_config.output_folder, *folders, f"{name}.glue.json")
    try:
        return json.loads(path.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError):
        return None


def _patch_glue_lookup() -> None:
    from myst_nb.core.variables import RetrievalError, VariableOutput
    from myst_nb.ext.glue import directives, roles, utils

    original = utils.retrieve_glue_data
    if getattr(original, "course_i18n", False):
        return

    def retrieve_glue_data(document, key):
        try:
            return original(document, key)
        except RetrievalError:
            glued = _page_glue(document, key)  # a translated message: the page's glue
            if glued is None:
                raise
            return VariableOutput(
                data=glued["data"],
                metadata=glued.get("metadata", {}),
                nb_renderer=None,  # enough for {glue:text}, the role the pages use
                vtype="glue",
            )

    retrieve_glue_data.course_i18n = True
    for module in (utils, roles, directives):
        if hasattr(module, "retrieve_glue_data"):
            module.retrieve_glue_data = retrieve_glue_data


def _catalog(app: Sphinx, docname: str) -> gettext.NullTranslations:
    domain = docname_to_domain(docname, app.config.gettext_compact)
    for folder in app.config.locale_dirs:
        path = Path(app.srcdir, folder)
        try:
            return gettext.translation(domain, str(path), [app.config.language])
        except OSError:
            continue
    return gettext.NullTranslations()


def translate_toc_captions(app: Sphinx, doctree: nodes.document) -> None:
    """Translate the captions that sphinx-external-toc added after Sphinx's own pass."""
    if not app.config.language or app.config.language == "en":
        return
    docname = app.env.docname
    catalog = None
    for toctree in doctree.findall(addnodes.toctree):
        caption = toctree.get("caption")
        if caption:
            catalog = catalog or _catalog(app, docname)
            toctree["caption"] = catalog.gettext(caption)


GROUPED = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])")
# how each edition groups thousands: in Spanish a comma marks decimals, so 4,096 would be
# misread; the Spanish style is a (narrow, no-break) space, 4 096
THOUSANDS = {"es": "\u202f"}


def group_thousands(app: Sphinx, doctree: nodes.document) -> None:
    """Thousands in the edition's style: glued numbers formatted with ``:,``, and the
    ``{,}`` of the math (``4{,}704``), which becomes a thin space (``4\\,704``)."""
    separator = THOUSANDS.get(app.config.language or "en")
    if separator is None:
        return
    for node in list(doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))):
        latex = node.astext()
        if "{,}" in latex:
            node.children = [nodes.Text(latex.replace("{,}", "\\,"))]
    for node in list(doctree.findall(nodes.inline)):
        if "pasted-text" in node.get("classes", []):
            text = node.astext()
            grouped = GROUPED.sub(lambda m: m.group(0).replace(",", separator), text)
            if grouped != text:
                node.children = [nodes.Text(grouped)]


def add_language_switcher(app: Sphinx, pagename, templatename, context, doctree) -> None:
    languages = app.config.course_languages
    current = app.config.language or "en"
    if len(languages) < 2 or "header_buttons" not in context:
        return
    up = "../" * (pagename.count("/") + 1)
    buttons = [
        {
            "type": "link",
            "url": f"{up}{code}/{pagename}.html",
            "text": name,
            "tooltip": name,
            "label": f"language-{code}",
        }
        for code, name in languages.items()
        if code != current
    ]
    context["header_buttons"].append(
        {
            "type": "group",
            "tooltip": {"es": "Idioma"}.get(current, "Language"),
            "icon": "fas fa-language",
            "buttons": buttons,
            "label": "language-buttons",
        }
    )


def setup(app: Sphinx) -> dict:
    app.add_config_value("course_languages", DEFAULT_LANGUAGES, "html")
    _patch_glue_lookup()
    app.connect("doctree-read", translate_toc_captions)
    app.connect("doctree-read", group_thousands)
    # after sphinx-book-theme's own header buttons (priority 501)
    app.connect("html-page-context", add_language_switcher, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
