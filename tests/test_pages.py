"""Tests for course_lib.pages: glue writes what MyST-NB reads; tables are real tables.

Questions answered here:
- Is ``pages.glue``'s cell output identical to ``myst_nb.glue``'s, for display on and off?
- Does ``show_table`` produce a header and one row per entry, formatted and escaped?
- Are bad names, ragged rows and unknown format columns refused by name?
"""

from __future__ import annotations

import pytest

from course_lib import pages


def captured(monkeypatch, module, attribute):
    calls = []
    monkeypatch.setattr(module, attribute, lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


@pytest.mark.parametrize("display", [False, True])
@pytest.mark.parametrize("value", [0.9712, 1347, "text", [1, 2]])
def test_glue_writes_the_same_output_as_myst_nb(monkeypatch, value, display):
    myst_glue = pytest.importorskip("myst_nb.ext.glue")
    ours = captured(monkeypatch, pages, "ipython_display")
    theirs = captured(monkeypatch, myst_glue, "ipy_display")
    pages.glue("test_accuracy", value, display=display)
    myst_glue.glue("test_accuracy", value, display=display)
    assert ours == theirs and len(ours) == 1
    (bundle,), kwargs = ours[0]
    prefix = "" if display else pages.GLUE_PREFIX
    assert f"{prefix}text/plain" in bundle
    assert kwargs["metadata"]["scrapbook"] == {"name": "test_accuracy", "mime_prefix": prefix}


def test_glue_refuses_a_name_the_role_cannot_use():
    with pytest.raises(ValueError, match="name must be an identifier"):
        pages.glue("test accuracy", 1.0)


def test_show_table_renders_a_formatted_escaped_table(monkeypatch):
    shown = captured(monkeypatch, pages, "ipython_display")
    table = pages.show_table(
        [["<b>SGD</b>", 0.91, 1347], ["Adam", 0.9712, 43]],
        columns=["optimizer", "accuracy", "updates"],
        formats={"accuracy": "{:.1%}", "updates": "{:,}"},
        caption="Two runs",
    )
    assert len(shown) == 1 and shown[0][0][0] is table
    html = table.data
    assert html.count("<tr>") == 3 and html.count("<th>") == 3
    assert "<td>97.1%</td>" in html and "<td>1,347</td>" in html
    assert "&lt;b&gt;SGD&lt;/b&gt;" in html and "<b>" not in html
    assert "<caption>Two runs</caption>" in html


def test_show_table_refuses_ragged_rows_and_unknown_formats():
    with pytest.raises(ValueError, match="row 1 has 1 values, expected 2"):
        pages.show_table([[1, 2], [3]], columns=["a", "b"], display=False)
    with pytest.raises(ValueError, match="formats names columns that are not in columns"):
        pages.show_table([[1]], columns=["a"], formats={"b": "{}"}, display=False)


@pytest.mark.parametrize("make", [lambda v: v, "numpy", "tensor"])
def test_glue_stores_numpy_and_torch_scalars_as_plain_numbers(monkeypatch, make):
    """Can `{glue:text}`x:.1%`` format the stored text? np.float64(0.25) and tensor(0.25)
    would be stored as their reprs, which no format reads."""
    import numpy as np
    import torch

    convert = {"numpy": np.float64, "tensor": lambda v: torch.tensor(v, dtype=torch.float64)}
    value = convert.get(make, make)(0.25) if isinstance(make, str) else make(0.25)
    shown = captured(monkeypatch, pages, "ipython_display")
    pages.glue("share", value)
    (bundle,), _ = shown[0]
    assert bundle[pages.GLUE_PREFIX + "text/plain"] == "0.25"
    assert format(float(bundle[pages.GLUE_PREFIX + "text/plain"]), ".1%") == "25.0%"
