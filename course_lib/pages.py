"""What a book page needs besides figures: numbers glued into the prose, and real tables.

The rule of the book: a number the prose quotes from a computation is inserted from it
with MyST-NB's ``{glue:text}`` role, never typed, and a table is rendered as a table.
:func:`glue` stores a value in the cell's output exactly as ``myst_nb.glue`` does, but
needs only IPython, so the page also runs in a student's JupyterLab without the book's
build tools. :func:`show_table` renders rows as an HTML table (no pandas needed).

>>> html = show_table([["SGD", 0.91], ["Adam", 0.9712]], columns=["optimizer", "accuracy"],
...                   formats={"accuracy": "{:.1%}"}, display=False)
>>> "<td>97.1%</td>" in html.data
True

In the page's Markdown: ``the test accuracy is {glue:text}`test_accuracy:.1%```.

See the book: CONTRIBUTING.md (writing a page).
"""

from __future__ import annotations

import html as html_escape
from collections.abc import Mapping, Sequence
from typing import Any

from IPython.core.formatters import format_display_data
from IPython.display import HTML
from IPython.display import display as ipython_display

__all__ = ["GLUE_PREFIX", "glue", "show_table"]

# the MIME prefix MyST-NB gives a glued value that is not displayed in the cell's output
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, *, display: bool = False) -> None:
    """Store ``value`` under ``name`` for ``{glue:text}`name``` and ``{glue}`name``` in the page.

    The same cell output as ``myst_nb.glue(name, value, display)``: the value's display
    formats with the metadata ``{"scrapbook": {"name": ..., "mime_prefix": ...}}`` that
    MyST-NB reads when it builds the page. ``display=True`` also shows it in the cell.
    A NumPy or PyTorch scalar is stored as the Python number it holds, so that a format
    such as ``:.1%`` applies to it.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier such as 'test_accuracy', got {name!r}")
    bundle, metadata = format_display_data(_plain(value))
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipython_display({prefix + key: data for key, data in bundle.items()}, raw=True,
                    metadata=metadata)  # fmt: skip


def _plain(value: Any) -> Any:
    """A NumPy or PyTorch scalar as the Python number it holds.

    ``{glue:text}`name:.1%``` formats the stored text; NumPy 2 shows ``np.float64(0.5)``
    and a tensor ``tensor(0.5)``, which no format can read.
    """
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        return value.item()
    return value


def _cell(value: Any, fmt: str | None) -> str:
    text = fmt.format(value) if fmt is not None else str(value)
    return html_escape.escape(text)


def show_table(
    rows: Sequence[Sequence[Any]],
    *,
    columns: Sequence[str],
    formats: Mapping[str, str] | None = None,
    caption: str | None = None,
    display: bool = True,
) -> HTML:
    """Render ``rows`` as an HTML table with a header row; show it and return it.

    Parameters
    ----------
    rows : sequence of rows, each with one value per column
    columns : the header, one name per column
    formats : column name -> a ``str.format`` pattern such as ``"{:.1%}"`` or ``"{:,}"``
    caption : a line above the table
    display : show it in the cell's output (the HTML object is returned either way)
    """
    columns = list(columns)
    formats = dict(formats or {})
    unknown = set(formats) - set(columns)
    if unknown:
        raise ValueError(f"formats names columns that are not in columns: {sorted(unknown)}")
    for i, row in enumerate(rows):
        if len(row) != len(columns):
            raise ValueError(f"row {i} has {len(row)} values, expected {len(columns)} (columns)")
    head = "".join(f"<th>{html_escape.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v, formats.get(c))}</td>" for c, v in zip(columns, row,
                                                                               strict=True))
        + "</tr>"
        for row in rows
    )  # fmt: skip
    title = f"<caption>{html_escape.escape(caption)}</caption>" if caption else ""
    table = HTML(f'<table class="course-table">{title}<thead><tr>{head}</tr></thead>'
                 f"<tbody>{body}</tbody></table>")  # fmt: skip
    if display:
        ipython_display(table)
    return table
