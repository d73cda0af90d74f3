"""Render the book in one language: Sphinx through Jupyter Book's configuration.

``python scripts/render_book.py LANG [--all]`` writes ``_build/html/LANG/``. It is what
``jupyter-book build . --warningiserror --keep-going`` does (the same ``_config.yml`` and
``_toc.yml``, Jupyter Book's ``build_sphinx``), with the output folder, the doctrees and
the language chosen here, and the executed notebooks always taken from the one cache,
``_build/.jupyter_cache``, that ``scripts/build_book.py`` fills: the Spanish pages show
the outputs of the English run, so nothing is executed twice.

For a language other than English, Sphinx replaces each message by its translation from
``locales/LANG/LC_MESSAGES`` (``scripts/i18n.py``), and ``course_i18n`` (a local extension,
see ``_config.yml``) keeps glued values and part captions. The theme's own labels come from
its translations; the few strings set in ``_config.yml`` are translated in ``THEME_TEXT``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
SITE = BUILD / "html"
LANGUAGES = {"en": "English", "es": "Español"}
# what `jupyter-book build .` sets on its command line
COMMAND_LINE = {"external_toc_path": str(ROOT / "_toc.yml"), "latex_individualpages": False}
# what _config.yml says in English, per language
THEME_TEXT = {
    "es": {
        "html_title": "Deep Learning, Hands On (edición en español)",
        "search_bar_text": "Buscar en el libro...",
    }
}


def sphinx(outdir: Path, builder: str, settings: dict, doctrees: Path, **options):
    """Jupyter Book's ``build_sphinx`` on this book, as ``jupyter-book build .`` calls it
    (its own command-line settings, then ``settings``); the rendering here and the message
    extraction of scripts/i18n.py both build through it. Returns Sphinx's exit status, or
    the exception that stopped it."""
    sys.path.insert(0, str(ROOT / "scripts"))  # the local extensions of _config.yml
    from jupyter_book.sphinx import build_sphinx

    return build_sphinx(
        ROOT,
        outdir,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides={**COMMAND_LINE, **settings},
        doctreedir=doctrees,
        builder=builder,
        **options,
    )


def overrides(language: str) -> dict:
    """The language's settings: the shared execution cache, the catalogs, the theme's text."""
    from jupyter_book.config import get_final_config

    settings = {
        "nb_execution_cache_path": str(BUILD / ".jupyter_cache"),
        "language": language,
        "locale_dirs": ["locales"],
        "gettext_compact": False,
        "course_languages": LANGUAGES,
    }
    text = THEME_TEXT.get(language)
    if text:
        config, _ = get_final_config(
            user_yaml=ROOT / "_config.yml", cli_config={**COMMAND_LINE, **settings}, sourcedir=ROOT
        )
        theme = dict(config["html_theme_options"], search_bar_text=text["search_bar_text"])
        settings.update(html_title=text["html_title"], html_theme_options=theme)
    return settings


def render(language: str, fresh: bool) -> int:
    result = sphinx(
        SITE / language,
        "html",
        overrides(language),
        BUILD / f".doctrees-{language}",
        warningiserror=True,
        keep_going=True,
        freshenv=fresh,
    )
    if isinstance(result, Exception):
        print(f"{type(result).__name__}: {result}", file=sys.stderr)
        return 2
    write_site_index()
    return result


def write_site_index() -> None:
    """_build/html/index.html: the English book, and a link to every edition. What else
    lies at the top of _build/html is a leftover of a build from before the editions."""
    keep = {*LANGUAGES, "index.html", "jupyter_execute"}
    for path in SITE.iterdir():
        if path.name not in keep:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    links = "".join(
        f'<li><a href="{code}/index.html" hreflang="{code}">{name}</a></li>'
        for code, name in LANGUAGES.items()
    )
    (SITE / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="0; url=en/index.html">'
        "<title>Deep Learning, Hands On</title></head>"
        f"<body><ul>{links}</ul></body></html>\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("language", choices=sorted(LANGUAGES))
    parser.add_argument("--all", action="store_true", help="re-read every page (Sphinx -E)")
    args = parser.parse_args()
    return render(args.language, args.all)


if __name__ == "__main__":
    sys.exit(main())
