"""Tests for course_lib.dates: the date-translation data set and its tokenizers.

- Is every target the correct ISO date of its source, in every locale and format: does the
  source written back from the target's ``datetime.date`` give the source again, and do
  babel's own parser and our two-digit-year rule read the numeric ones as the target?
- Is the task well posed: does any source string stand for two different dates across the
  locales and formats used (day before month everywhere, years 1950–2049)?
- Are the splits on disjoint days, is the held-out format absent from training, and is
  every character of every split in the fixed vocabulary?
"""

from __future__ import annotations

import datetime
import re

import pytest
import torch
from babel import Locale
from babel.dates import parse_date

from course_lib.dates import (
    FORMATS,
    HELD_OUT_FORMATS,
    LOCALES,
    CharTokenizer,
    DateExample,
    date_splits,
    encode_dates,
    format_date_as,
    make_dates,
    resolve_two_digit_year,
    source_tokenizer,
    target_tokenizer,
)

pytestmark = pytest.mark.ch10

ALL_FORMATS = FORMATS + HELD_OUT_FORMATS
NUMERIC = re.compile(r"^\d{1,2}[./]\d{1,2}[./](\d{2}|\d{4})$")


@pytest.fixture(scope="module")
def splits():
    return date_splits(n_train=3000, n_val=300, n_test=300, n_held_out=300, seed=0)


def sample_days(step: int) -> list[datetime.date]:
    start, end = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
    return [start + datetime.timedelta(days=i) for i in range(0, (end - start).days + 1, step)]


def test_every_locale_and_format_round_trips_through_the_datetime():
    days = [*sample_days(97), datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)]
    for locale in LOCALES:
        for fmt in ALL_FORMATS:
            for ex in make_dates(40, days, formats=[fmt], locales={locale: 1}, seed=len(fmt)):
                day = datetime.date.fromisoformat(ex.target)
                assert ex.date == day and (ex.locale, ex.format) == (locale, fmt)
                assert format_date_as(day, locale, fmt) == ex.source
                assert str(day.year) in ex.source or f"{day.year % 100:02d}" in ex.source


def test_numeric_sources_parse_back_with_babel_and_the_two_digit_rule(splits):
    checked = 0
    for ex in splits["train"] + splits["test"]:
        match = NUMERIC.match(ex.source)
        if not match:
            continue
        year = match.group(1)
        if len(year) == 4:  # babel reads a two-digit year relative to today (ICU's rule)
            pattern = "medium" if ex.format == "medium" else "short"  # day, month, year order
            assert parse_date(ex.source, locale=ex.locale, format=pattern) == ex.date, ex
        else:
            day, month = (int(x) for x in re.split(r"[./]", ex.source)[:2])
            resolved = datetime.date(resolve_two_digit_year(int(year)), month, day)
            assert resolved == ex.date, ex
        checked += 1
    assert checked > 500


def test_two_digit_years_stay_in_the_fixed_window():
    """Fixed, unlike ICU's window around today (80 years back, 20 ahead), which babel uses."""
    assert [resolve_two_digit_year(yy) for yy in range(100)] == [*range(2000, 2050),
                                                                 *range(1950, 2000)]
    with pytest.raises(ValueError, match="yy"):
        resolve_two_digit_year(100)


def test_every_numeric_pattern_writes_the_day_before_the_month():
    """No M/d/y locale (English short dates in the US) sneaks in."""
    for locale in LOCALES:
        loc = Locale.parse(locale)
        patterns = [loc.date_formats[f].pattern for f in ("short", "medium")]
        patterns += [loc.datetime_skeletons[s].pattern for s in ("yMd", "yMEd")]
        for pattern in patterns:
            assert pattern.index("d") < pattern.index("M"), (locale, pattern)


def check_unambiguous(days):
    meaning: dict[str, datetime.date] = {}
    for day in days:
        for locale in LOCALES:
            for fmt in ALL_FORMATS:
                text = format_date_as(day, locale, fmt)
                assert meaning.setdefault(text, day) == day, (text, meaning[text], day)
    return meaning


def test_no_source_stands_for_two_dates_on_a_sample():
    days = sample_days(13) + [datetime.date(y, m, d) for y in (1950, 2049) for m in range(1, 13)
                              for d in range(1, 13)]  # fmt: skip
    assert len(check_unambiguous(days)) > 20_000


@pytest.mark.slow
def test_no_source_stands_for_two_dates_over_the_whole_range():
    check_unambiguous(sample_days(1))


def test_splits_use_disjoint_days_and_hold_a_format_out(splits):
    days = {name: {ex.date for ex in examples} for name, examples in splits.items()}
    assert not days["train"] & days["val"] and not days["train"] & days["test"]
    assert not days["val"] & days["test"] and days["held_out"] <= set(sample_days(1))
    assert not days["held_out"] & days["train"]
    assert {ex.format for ex in splits["train"]} == set(FORMATS)
    assert {ex.format for ex in splits["held_out"]} == set(HELD_OUT_FORMATS)
    assert [len(splits[k]) for k in ("train", "val", "test", "held_out")] == [3000, 300, 300, 300]
    spanish = sum(ex.locale.startswith("es") for ex in splits["train"]) / 3000
    assert 0.38 < spanish < 0.53  # 5 of the 11 weight units
    assert date_splits(50, 5, 5, 5, seed=3) == date_splits(50, 5, 5, 5, seed=3)


def test_vocabulary_covers_every_split_and_ids_round_trip(splits):
    source, target = source_tokenizer(), target_tokenizer()
    assert source.itos[:4] == ["<pad>", "<sos>", "<eos>", "<unk>"] and len(target) == 15
    for examples in splits.values():
        for ex in examples:
            ids = source.encode(ex.source)
            assert source.unk_id not in ids and source.decode(ids) == ex.source
            assert target.decode(target.encode(ex.target, sos=True, eos=True)) == ex.target
    assert source.decode(source.encode("22 ♥")) == "22 ?"  # an unknown character


def test_encode_dates_frames_the_targets_for_teacher_forcing(splits):
    source, target = source_tokenizer(), target_tokenizer()
    examples = splits["test"][:7]
    src, tgt_in, tgt_out = encode_dates(examples, source, target)
    width = max(len(ex.source) for ex in examples)
    assert src.shape == (7, width) and tgt_in.shape == tgt_out.shape == (7, 11)
    assert (tgt_in[:, 0] == target.sos_id).all() and (tgt_out[:, -1] == target.eos_id).all()
    assert torch.equal(tgt_in[:, 1:], tgt_out[:, :-1])  # shifted by one step
    for i, ex in enumerate(examples):
        assert source.decode(src[i]) == ex.source and target.decode(tgt_out[i]) == ex.target
        assert (src[i, len(ex.source):] == source.pad_id).all()


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="fmt"):
        format_date_as(datetime.date(2026, 1, 1), "es", "yMMMMMMd")
    with pytest.raises(TypeError, match="date"):
        format_date_as("2026-01-01", "es", "full")
    with pytest.raises(ValueError, match="days"):
        make_dates(3, [])
    with pytest.raises(ValueError, match="chars"):
        CharTokenizer(["ab"])
    with pytest.raises(ValueError, match="examples"):
        encode_dates([], source_tokenizer(["es"]), target_tokenizer())
    assert isinstance(make_dates(1, [datetime.date(2000, 1, 1)])[0], DateExample)
