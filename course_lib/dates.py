"""Chapter 10 translation task: dates as people write them, to ISO 8601.

The sources are real locale data: babel's CLDR date formats ("full", "long", "medium",
"short" and a few skeletons) in Spanish and seven other locales, e.g.

    es  full    domingo, 22 de noviembre de 2026   ->  2026-11-22
    es  short   22/11/26                           ->  2026-11-22
    de  long    22. November 2026                  ->  2026-11-22

Every locale used writes the day before the month (English short dates, M/d/yy in the
United States, would be ambiguous and are left out), and the years run from 1950 to 2049,
so a two-digit year is unambiguous: yy ≥ 50 is 19yy, yy < 50 is 20yy. The splits take
disjoint sets of days, and one format (``HELD_OUT_FORMATS``) never appears in training.

See the book: 10_attention.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import torch
from babel import Locale
from babel.dates import format_date, format_skeleton
from torch import Tensor

from course_lib.validation import check_int

__all__ = [
    "FIRST_YEAR",
    "FORMATS",
    "HELD_OUT_FORMATS",
    "LAST_YEAR",
    "LOCALES",
    "CharTokenizer",
    "DateExample",
    "date_splits",
    "encode_dates",
    "format_date_as",
    "make_dates",
    "resolve_two_digit_year",
    "source_tokenizer",
    "target_tokenizer",
]

# locale -> sampling weight: mostly Spanish (es, es_MX: 5 in 11), then six other locales
LOCALES: dict[str, int] = {"es": 4, "es_MX": 1, "ca": 1, "fr": 1, "it": 1, "pt": 1, "de": 1,
                           "en_GB": 1}  # fmt: skip
# CLDR's four standard lengths, and two skeletons (numeric with a 4-digit year; with weekday)
FORMATS: tuple[str, ...] = ("full", "long", "medium", "short", "yMd", "yMMMEd")
# a format the model never sees in training: abbreviated weekday + numeric date
HELD_OUT_FORMATS: tuple[str, ...] = ("yMEd",)
FIRST_YEAR, LAST_YEAR = 1950, 2049
STANDARD = ("full", "long", "medium", "short")


class DateExample(NamedTuple):
    """One pair of the data set: the written date, its ISO form, and where it came from."""

    source: str
    target: str
    locale: str
    format: str
    date: datetime.date


def format_date_as(date: datetime.date, locale: str, fmt: str) -> str:
    """``date`` written in ``locale`` with a CLDR length ("full", ...) or skeleton ("yMd", ...).

    Non-breaking spaces, which some locales put in their patterns, become plain spaces.

    >>> format_date_as(datetime.date(2026, 11, 22), "es", "full")
    'domingo, 22 de noviembre de 2026'
    >>> format_date_as(datetime.date(2026, 11, 22), "es", "short")
    '22/11/26'

    See the book: 10_attention.
    """
    if not isinstance(date, datetime.date):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__}")
    if fmt in STANDARD:
        text = format_date(date, fmt, locale=locale)
    else:
        if fmt not in Locale.parse(locale).datetime_skeletons:
            raise ValueError(f"fmt must be one of {STANDARD} or a CLDR skeleton of {locale!r}, "
                             f"got {fmt!r}")  # fmt: skip
        text = format_skeleton(fmt, date, locale=locale)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def resolve_two_digit_year(yy: int) -> int:
    """The year in [1950, 2049] that ends in ``yy``: 19yy for yy ≥ 50, 20yy otherwise.

    >>> resolve_two_digit_year(26), resolve_two_digit_year(51)
    (2026, 1951)
    """
    check_int(yy, "yy", 0)
    if yy > 99:
        raise ValueError(f"yy must be an integer in [0, 99], got {yy}")
    return 1900 + yy if yy >= 50 else 2000 + yy


def _all_days() -> list[datetime.date]:
    start = datetime.date(FIRST_YEAR, 1, 1)
    n = (datetime.date(LAST_YEAR, 12, 31) - start).days + 1
    return [start + datetime.timedelta(days=i) for i in range(n)]


def make_dates(
    n: int,
    days: Sequence[datetime.date],
    *,
    formats: Sequence[str] = FORMATS,
    locales: Mapping[str, float] = LOCALES,
    seed: int = 0,
) -> list[DateExample]:
    """``n`` examples: a day drawn from ``days``, a locale by weight, a format uniformly.

    >>> ex = make_dates(1, [datetime.date(2026, 11, 22)], formats=["long"], locales={"de": 1})
    >>> ex[0].source, ex[0].target
    ('22. November 2026', '2026-11-22')

    See the book: 10_attention.
    """
    check_int(n, "n", 0)
    if not days or not formats or not locales:
        raise ValueError("days, formats and locales must not be empty")
    rng = random.Random(seed)
    names, weights = list(locales), list(locales.values())
    examples = []
    for _ in range(n):
        day, locale, fmt = rng.choice(days), rng.choices(names, weights)[0], rng.choice(formats)
        examples.append(DateExample(format_date_as(day, locale, fmt), day.isoformat(), locale,
                                    fmt, day))  # fmt: skip
    return examples


def date_splits(
    n_train: int = 20_000,
    n_val: int = 1_000,
    n_test: int = 2_000,
    n_held_out: int = 1_000,
    *,
    seed: int = 0,
) -> dict[str, list[DateExample]]:
    """Train, validation and test sets on disjoint days, and a test set of held-out formats.

    The days of 1950–2049 are shuffled and cut 80/10/10 %: no test day is ever seen in
    training, in any format. ``"held_out"`` writes test days in ``HELD_OUT_FORMATS`` only.

    Returns
    -------
    dict with keys "train", "val", "test", "held_out", each a list of DateExample

    See the book: 10_attention.
    """
    days = _all_days()
    random.Random(seed).shuffle(days)
    a, b = int(0.8 * len(days)), int(0.9 * len(days))
    pools = {"train": days[:a], "val": days[a:b], "test": days[b:]}
    return {
        "train": make_dates(n_train, pools["train"], seed=seed + 1),
        "val": make_dates(n_val, pools["val"], seed=seed + 2),
        "test": make_dates(n_test, pools["test"], seed=seed + 3),
        "held_out": make_dates(
            n_held_out, pools["test"], formats=HELD_OUT_FORMATS, seed=seed + 4
        ),
    }


class CharTokenizer:
    """Characters to ids and back, with ``<pad>`` = 0, ``<sos>`` = 1, ``<eos>`` = 2, ``<unk>`` = 3.

    >>> tok = CharTokenizer("0123456789-")
    >>> tok.itos[4:7], tok.encode("2026", sos=True, eos=True)
    (['-', '0', '1'], [1, 7, 5, 7, 11, 2])
    >>> tok.decode([7, 5, 7, 11, 2, 5])   # stops at <eos>
    '2026'

    See the book: 10_attention.
    """

    SPECIALS = ("<pad>", "<sos>", "<eos>", "<unk>")
    pad_id, sos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, chars: Iterable[str]):
        chars = sorted(set(chars))
        if not chars or any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise ValueError("chars must be a non-empty collection of single characters")
        self.itos = [*self.SPECIALS, *chars]
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str, *, sos: bool = False, eos: bool = False) -> list[int]:
        """The ids of ``text``'s characters (unknown ones → ``<unk>``), framed on request."""
        ids = [self.stoi.get(c, self.unk_id) for c in text]
        return [self.sos_id] * sos + ids + [self.eos_id] * eos

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids`` up to the first ``<eos>``; ``<pad>`` and ``<sos>`` are skipped."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i >= len(self.SPECIALS):
                out.append(self.itos[i])
            elif i == self.unk_id:
                out.append("?")
        return "".join(out)


def source_tokenizer(
    locales: Iterable[str] = LOCALES, formats: Iterable[str] = FORMATS + HELD_OUT_FORMATS
) -> CharTokenizer:
    """The fixed source vocabulary: every character the locales' formats can write.

    Found by writing the first seven days of every month of 2024 (all month and weekday
    names) in every locale and format, plus the ten digits. See the book: 10_attention.
    """
    formats = list(formats)
    chars = set("0123456789")
    for locale in locales:
        for month in range(1, 13):
            for day in range(1, 8):
                for fmt in formats:
                    chars |= set(format_date_as(datetime.date(2024, month, day), locale, fmt))
    return CharTokenizer(chars)


def target_tokenizer() -> CharTokenizer:
    """The target vocabulary of ISO dates: the ten digits and '-'. See the book: 10_attention."""
    return CharTokenizer("0123456789-")


def encode_dates(
    examples: Sequence[DateExample], source: CharTokenizer, target: CharTokenizer
) -> tuple[Tensor, Tensor, Tensor]:
    """Padded source ids and the decoder's input and output (teacher forcing).

    ``tgt_in`` = <sos> y_1 … y_10 and ``tgt_out`` = y_1 … y_10 <eos>: at step t the decoder
    reads the true previous character and is trained to predict the next one.

    Shape: src (N, S) padded with 0 to the longest source, tgt_in and tgt_out (N, 11).

    >>> ex = make_dates(2, [datetime.date(2026, 11, 22)], formats=["short"], locales={"es": 1})
    >>> src, tgt_in, tgt_out = encode_dates(ex, source_tokenizer(["es"]), target_tokenizer())
    >>> tuple(src.shape), target_tokenizer().decode(tgt_out[0])
    ((2, 8), '2026-11-22')

    See the book: 10_attention.
    """
    if not examples:
        raise ValueError("examples must not be empty")
    width = max(len(ex.source) for ex in examples)
    src = torch.zeros(len(examples), width, dtype=torch.int64)
    for i, ex in enumerate(examples):
        src[i, : len(ex.source)] = torch.tensor(source.encode(ex.source))
    framed = torch.tensor([target.encode(ex.target, sos=True, eos=True) for ex in examples])
    return src, framed[:, :-1].contiguous(), framed[:, 1:].contiguous()
