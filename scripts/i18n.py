"""The book's translations: extract the English messages, keep the .po files, check them.

The English notebooks and pages are the only source. Sphinx's own internationalization
turns every paragraph, heading, list item, table cell and caption of them into a message
(``sphinx-build -b gettext`` with ``gettext_compact = False``: one catalog per page); a
translator writes each message's Spanish in ``locales/<lang>/LC_MESSAGES/<page>.po``; the
Spanish build (``scripts/build_book.py --language es``) replaces each message by its
translation and reuses the English build's executed notebooks, so code, outputs and
figures are the English ones.

Usage (``make po`` runs ``extract``):
  python scripts/i18n.py extract [--language es]
      re-read the English, refresh every .po: a new message is added untranslated, a
      changed one keeps its old translation marked fuzzy with the previous English beside
      it (``#| msgid``), a removed one is kept at the end as obsolete (``#~``). Never lost.
  python scripts/i18n.py todo PAGE.po [--all]
      print the untranslated and fuzzy messages as numbered blocks (``@@ 12`` then the
      English), for a translator to answer in the same format.
  python scripts/i18n.py fill PAGE.po ANSWERS.txt
      read ``@@ N`` blocks of translations, check each keeps the markup of its English
      (below), and write them (no longer fuzzy). A block that fails the check is refused.
  python scripts/i18n.py stats [--language es]
      the untranslated and fuzzy share of every page.
  python scripts/i18n.py check [--language es]
      every translated message keeps its English's markup; exits 1 otherwise.

What a translation must keep (``markup_problems``): the references and glued values
(``{numref}``, ``{eq}``, ``{cite:p}``, ``{glue:text}``, ... with the same targets), the
inline code, the link targets, and the math (the words inside ``\\text{...}`` may be
translated). The words around them are the translator's.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
GETTEXT = ROOT / "_build" / "gettext"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_book import LANGUAGES as EDITIONS  # noqa: E402 (the one list of editions)

LANGUAGES = {code: name for code, name in EDITIONS.items() if code != "en"}  # translations

ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
CODE = re.compile(r"(?<![`{}a-z:])`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
TEXT_IN_MATH = re.compile(r"\\(?:text|textrm|mathrm|operatorname)\{[^{}]*\}")
# roles whose content names something: a label, a key, a file; `Figure %s <label>` keeps
# only its target
REFERENCE_ROLES = {
    "numref",
    "ref",
    "eq",
    "doc",
    "download",
    "glue:text",
    "glue",
    "cite:p",
    "cite:t",
    "cite",
    "term",
    "math",
}


def role_targets(text: str) -> Counter:
    found = Counter()
    for name, content in ROLE.findall(text):
        if name == "math":
            found[(name, TEXT_IN_MATH.sub("", content))] += 1
        elif name in REFERENCE_ROLES and name != "term":
            target = re.search(r"<([^<>]+)>\s*$", content)
            found[(name, target.group(1) if target else content)] += 1
        else:
            found[(name, "")] += 1
    return found


def _without_roles(text: str) -> str:
    return ROLE.sub(" ", text)


def is_math_block(msgid: str) -> bool:
    """A display-math message: LaTeX only, nothing to translate but its ``\\text{}``."""
    stripped = TEXT_IN_MATH.sub("", msgid)
    return (
        "\\" in msgid
        and "$" not in msgid
        and not re.search(
            r"(?<!\\)\b[a-z]{4,}\b \b[a-z]{3,}\b", re.sub(r"\\[a-zA-Z]+", "", stripped)
        )
    )


def markup_problems(msgid: str, msgstr: str) -> list[str]:
    """How ``msgstr`` changed what must stay: references, code, links and math."""
    problems = []
    if role_targets(msgid) != role_targets(msgstr):
        missing = role_targets(msgid) - role_targets(msgstr)
        extra = role_targets(msgstr) - role_targets(msgid)
        problems.append(f"roles differ: missing {sorted(missing)}, unexpected {sorted(extra)}")
    source, target = _without_roles(msgid), _without_roles(msgstr)
    if Counter(CODE.findall(MATH.sub(" ", source))) != Counter(CODE.findall(MATH.sub(" ", target))):
        problems.append("the inline code (`...`) differs")
    if Counter(LINK.findall(source)) != Counter(LINK.findall(target)):
        problems.append("the link targets differ")

    def maths(text):
        return Counter(re.sub(r"\s+", "", TEXT_IN_MATH.sub("", m)) for m in MATH.findall(text))

    if maths(source) != maths(target):
        problems.append("the math ($...$) differs outside \\text{}")
    if is_math_block(msgid) and re.sub(r"\s+", "", TEXT_IN_MATH.sub("", msgid)) != re.sub(
        r"\s+", "", TEXT_IN_MATH.sub("", msgstr)
    ):
        problems.append("the display math differs outside \\text{}")
    for marker in ("**", "\n"):
        if msgid.count(marker) != msgstr.count(marker):
            problems.append(f"the number of {marker!r} differs")
    return problems


# --- reading and writing catalogs --------------------------------------------------------


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def write_catalog(path: Path, catalog: Catalog) -> None:
    for message in messages(catalog):  # Babel guesses these from braces and percents
        message.flags -= {"python-brace-format", "python-format"}
    buffer = io.BytesIO()
    # no wrapping and no line numbers: a diff shows a changed message, not moved lines
    write_po(buffer, catalog, width=0, include_lineno=False, include_previous=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def messages(catalog: Catalog) -> list:
    return [m for m in catalog if m.id]


def catalogs(language: str) -> dict[str, Path]:
    folder = LOCALES / language / "LC_MESSAGES"
    return {str(p.relative_to(folder).with_suffix("")): p for p in sorted(folder.rglob("*.po"))}


# --- commands ----------------------------------------------------------------------------


def build_templates() -> Path:
    """``sphinx-build -b gettext`` through Jupyter Book's configuration: _build/gettext."""
    from render_book import sphinx

    settings = {
        "nb_execution_mode": "off",  # the messages are the Markdown; nothing runs
        "gettext_compact": False,
        "gettext_additional_targets": [],
    }
    result = sphinx(
        GETTEXT,
        "gettext",
        settings,
        ROOT / "_build" / ".doctrees-gettext",
        freshenv=True,
        quiet=True,
    )
    if result:
        raise SystemExit(f"the gettext build failed: {result}")
    return GETTEXT


def extract(language: str) -> None:
    templates = build_templates()
    folder = LOCALES / language / "LC_MESSAGES"
    seen = set()
    for pot in sorted(templates.rglob("*.pot")):
        name = pot.relative_to(templates).with_suffix(".po")
        seen.add(name)
        with pot.open("rb") as handle:
            template = read_po(handle)
        path = folder / name
        if path.exists():
            catalog = read_catalog(path)
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=language, project="Deep Learning, Hands On")
            catalog.update(template)
        for message in messages(catalog):
            message.locations = [(loc, None) for loc, _ in message.locations]
        write_catalog(path, catalog)
    for path in folder.rglob("*.po"):
        if path.relative_to(folder) not in seen:
            print(f"{path.relative_to(ROOT)}: its page is gone (kept; delete it by hand)")
    print(stats_table(language))


def _pending(catalog: Catalog, everything: bool) -> list[tuple[int, object]]:
    return [
        (n, m) for n, m in enumerate(messages(catalog), 1) if everything or not m.string or m.fuzzy
    ]


def todo(path: Path, everything: bool) -> str:
    catalog = read_catalog(path)
    blocks = []
    for n, message in _pending(catalog, everything):
        note = ""
        if message.fuzzy and message.string:
            note = f"  (fuzzy; old translation: {message.string!r})"
        blocks.append(f"@@ {n}{note}\n{message.id}")
    return "\n".join(blocks) + ("\n" if blocks else "")


def parse_answers(text: str) -> dict[int, str]:
    answers, number, lines = {}, None, []
    for line in text.splitlines():
        head = re.match(r"^@@ (\d+)\b", line)
        if head:
            if number is not None:
                answers[number] = "\n".join(lines).strip("\n")
            number, lines = int(head.group(1)), []
        elif number is not None:
            lines.append(line)
    if number is not None:
        answers[number] = "\n".join(lines).strip("\n")
    return answers


def fill(path: Path, answers_path: Path) -> int:
    catalog = read_catalog(path)
    numbered = dict(enumerate(messages(catalog), 1))
    refused = 0
    for number, text in parse_answers(answers_path.read_text(encoding="utf-8")).items():
        message = numbered.get(number)
        if message is None:
            print(f"@@ {number}: no such message in {path.name}")
            refused += 1
            continue
        # the answer file cannot show a message's leading or trailing line breaks (display
        # math has them): take them from the English
        lead = message.id[: len(message.id) - len(message.id.lstrip("\n"))]
        trail = message.id[len(message.id.rstrip("\n")) :]
        text = lead + text.strip("\n") + trail if text.strip() else text
        problems = markup_problems(message.id, text)
        if not text.strip() or problems:
            print(
                f"@@ {number}: refused: {'; '.join(problems) or 'empty'}\n"
                f"  EN: {message.id}\n  ES: {text}"
            )
            refused += 1
            continue
        message.string = text
        message.flags.discard("fuzzy")
        message.previous_id = []
    write_catalog(path, catalog)
    left = len(_pending(catalog, False))
    print(f"{path}: {refused} refused, {left} still untranslated or fuzzy")
    return 1 if refused else 0


def page_stats(path: Path) -> tuple[int, int, int]:
    """(messages, untranslated, fuzzy)."""
    catalog = read_catalog(path)
    found = messages(catalog)
    untranslated = sum(1 for m in found if not m.string)
    fuzzy = sum(1 for m in found if m.string and m.fuzzy)
    return len(found), untranslated, fuzzy


def stats_table(language: str) -> str:
    lines = ["| page | messages | untranslated | fuzzy |", "|---|---:|---:|---:|"]
    total = Counter()
    for name, path in catalogs(language).items():
        n, untranslated, fuzzy = page_stats(path)
        total.update(n=n, u=untranslated, f=fuzzy)
        lines.append(f"| {name} | {n} | {untranslated} | {fuzzy} |")
    lines.append(f"| all | {total['n']} | {total['u']} | {total['f']} |")
    return "\n".join(lines)


def check(language: str) -> int:
    bad = 0
    for name, path in catalogs(language).items():
        for n, message in enumerate(messages(read_catalog(path)), 1):
            if message.string and not message.fuzzy:
                for problem in markup_problems(message.id, message.string):
                    print(f"{name} @@ {n}: {problem}")
                    bad += 1
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("extract", "stats", "check"):
        command = sub.add_parser(name)
        command.add_argument("--language", default="es", choices=sorted(LANGUAGES))
    command = sub.add_parser("todo")
    command.add_argument("po", type=Path)
    command.add_argument("--all", action="store_true")
    command = sub.add_parser("fill")
    command.add_argument("po", type=Path)
    command.add_argument("answers", type=Path)
    args = parser.parse_args(argv)
    if args.command == "extract":
        extract(args.language)
    elif args.command == "stats":
        print(stats_table(args.language))
    elif args.command == "check":
        return check(args.language)
    elif args.command == "todo":
        sys.stdout.write(todo(args.po, args.all))
    elif args.command == "fill":
        return fill(args.po, args.answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
