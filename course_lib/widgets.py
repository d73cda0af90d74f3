"""The base class of the book's interactive explorers (ipywidgets 8).

Every chapter's explorer (``ThresholdExplorer``, ``ConvArithmeticCalculator``,
...) subclasses :class:`Explorer` and lives beside its concept in
:mod:`course_lib.figures`, next to the static figure it redraws. The widgets
need a running kernel to react. So that the HTML book works without one, an
explorer is displayed with two representations: the live widget, which JupyterLab
shows, and a self-contained HTML player of precomputed frames (the figure and the
summary rendered for a grid of control values, swapped by a few lines of inline
JavaScript), which the book shows (``nb_mime_priority_overrides`` in
``_config.yml``). This module imports no concept of the course.

See the book: 01_foundations, 02_metrics, 04_optimization, 05_cnn.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import itertools
import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython import get_ipython
from IPython.display import display

__all__ = ["MAX_FRAMES", "Explorer", "control_choices", "one_at_a_time"]

MAX_FRAMES = 96  # frames of one explorer in the book; past that, one control at a time
FRAME_DPI = 56
_SELECTIONS = (
    widgets.Dropdown,
    widgets.SelectionSlider,
    widgets.ToggleButtons,
    widgets.RadioButtons,
)


def control_choices(control: widgets.ValueWidget, *, count: int = 11) -> list:
    """The values a control takes in the book's precomputed frames, its current one included.

    Every option of a selection (dropdown, selection slider; ``count`` evenly spaced ones
    of a longer list), both states of a checkbox, every integer of a short integer slider
    (else ``count`` evenly spaced ones), and ``count`` evenly spaced values of a float
    slider (on a log scale for a log slider).

    >>> control_choices(widgets.IntSlider(value=2, min=0, max=4))
    [0, 1, 2, 3, 4]
    >>> control_choices(widgets.FloatSlider(value=0.25, min=0, max=1, step=0.05), count=3)
    [0.0, 0.25, 0.5, 1.0]
    """
    value = control.value
    if isinstance(control, _SELECTIONS):
        options = list(control._options_values)
        if len(options) > count:
            keep = {round(i) for i in np.linspace(0, len(options) - 1, count).tolist()}
            options = [o for i, o in enumerate(options) if i in keep or o == value]
        return options
    if isinstance(control, widgets.Checkbox):
        return [False, True]
    if isinstance(control, widgets.IntSlider):
        low, high, step = control.min, control.max, control.step
        values = list(range(low, high + 1, step))
        if len(values) > count:
            values = sorted({round(v) for v in np.linspace(low, high, count).tolist()})
    elif isinstance(control, widgets.FloatLogSlider):
        exponents = np.linspace(control.min, control.max, count)
        values = [float(round(control.base**e, 12)) for e in exponents]
    elif isinstance(control, widgets.FloatSlider):
        step = control.step or (control.max - control.min) / (count - 1)
        values = [
            float(round(round(v / step) * step, 12))
            for v in np.linspace(control.min, control.max, count)
        ]
    else:
        return [value]
    return sorted(set(values) | {value})


class Explorer:
    """What every explorer shares: controls, a one-line summary and a figure redrawn on change.

    A subclass builds its controls (by default one, ``self.slider``), then calls
    ``self._start(value, figsize)``. Its ``_update(value)`` recomputes the state
    from the controls, sets ``self.summary.value``, draws into ``self._fig`` and
    calls ``self._show()``; it runs once at the start and again whenever a control
    changes, with the control's new value. A subclass with several controls
    overrides ``_controls`` (the widgets to observe) and, to arrange them, ``_rows``.

    Examples
    --------
    >>> class Square(Explorer):
    ...     def __init__(self):
    ...         self.slider = widgets.IntSlider(value=2, min=0, max=9)
    ...         self._start(2, figsize=(3, 3))
    ...     def _update(self, value):
    ...         self.summary.value = f"{value}² = {value**2}"
    ...         self._show()
    >>> explorer = Square()
    >>> explorer.slider.value = 3
    >>> explorer.summary.value
    '3² = 9'
    """

    slider: widgets.ValueWidget

    def _controls(self) -> list[widgets.ValueWidget]:
        """The widgets whose value redraws the figure (one slider unless overridden)."""
        return [self.slider]

    def _rows(self) -> list[widgets.Widget]:
        """The widgets above the summary line (the controls, one per row, unless overridden)."""
        return self._controls()

    def _start(self, value: Any, figsize: tuple[float, float]) -> None:
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self._fig = plt.figure(figsize=figsize)
        plt.close(self._fig)  # drawn into the Output widget only, not as a stray figure
        self._quiet = False
        for control in self._controls():
            control.observe(self._observe, names="value")
        self._update(value)

    def _observe(self, change: dict) -> None:
        if not self._quiet:  # not while the frames for the book are rendered
            self._on_change(change)

    @property
    def widget(self) -> widgets.VBox:
        """The assembled widget: the controls, a one-line summary, the figure."""
        return widgets.VBox([*self._rows(), self.summary, self.output])

    def _on_change(self, change: dict) -> None:
        self._update(change["new"])

    def _update(self, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _show(self) -> None:
        """Put the redrawn figure in the Output widget (only in a Jupyter kernel)."""
        # plain Python, a doctest, or an IPython shell that some test started (no kernel,
        # no front end to draw in): nothing to show, and nothing printed instead
        if self._quiet or getattr(get_ipython(), "kernel", None) is None:
            return
        self.output.clear_output(wait=True)
        with self.output:
            display(self._fig)

    # ------------------------------------------------------------------ the book's frames

    def _frame_settings(self) -> list[tuple]:
        """The control settings rendered for the book, one value per control each.

        Default: every combination of :func:`control_choices` when there are at most
        :data:`MAX_FRAMES`; otherwise each control's choices with the others at their
        current values. A subclass overrides this to choose its own grid.
        """
        controls = self._controls()
        current = tuple(c.value for c in controls)
        choices = [control_choices(c) for c in controls]
        if np.prod([len(c) for c in choices]) <= MAX_FRAMES:
            return list(itertools.product(*choices))
        return one_at_a_time(current, dict(enumerate(choices)))

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def _set(self, setting: Sequence) -> None:
        with self._quietly():
            for control, value in zip(self._controls(), setting, strict=True):
                control.value = value
            self._update(self._controls()[0].value)

    def frames(self) -> dict[str, Any]:
        """Render every setting of :meth:`_frame_settings`: the data of the HTML player.

        Returns a dict with ``controls`` (each control's description and its choices as
        labels), ``frames`` (one entry per setting: the index of each control's choice, of
        the image and of the summary), ``images`` (PNG data URLs, each distinct image once)
        ``summaries``, and ``start``, the frame of the controls' values before (if it is
        one of the settings). The controls are left as they were.
        """
        controls = self._controls()
        original = tuple(c.value for c in controls)
        settings = self._frame_settings()
        choices = [
            _in_order(c, [setting[i] for setting in settings]) for i, c in enumerate(controls)
        ]
        images: dict[str, int] = {}
        summaries: dict[str, int] = {}
        frames = []
        try:
            for setting in settings:
                self._set(setting)
                buffer = io.BytesIO()
                self._fig.savefig(buffer, format="png", dpi=FRAME_DPI)
                url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
                image = images.setdefault(url, len(images))
                summary = summaries.setdefault(self.summary.value, len(summaries))
                frames.append(
                    [*(choices[i].index(v) for i, v in enumerate(setting)), image, summary]
                )
        finally:
            self._set(original)
        labels = []
        for control, values in zip(controls, choices, strict=True):
            names = dict(
                zip(
                    getattr(control, "_options_values", ()),
                    getattr(control, "_options_labels", ()),
                    strict=False,
                )
            )
            labels.append(
                {
                    "description": control.description or "",
                    "choices": [_label(names.get(v, v)) for v in values],
                }
            )
        start = settings.index(original) if original in settings else 0
        return {
            "controls": labels,
            "frames": frames,
            "images": list(images),
            "summaries": list(summaries),
            "start": start,
        }

    def frames_html(self) -> str:
        """The explorer as a self-contained HTML player: no kernel, no network."""
        data = self.frames()
        uid = "course-frames-" + uuid.uuid4().hex[:10]
        start = data["frames"][data["start"]]
        rows = []
        for i, control in enumerate(data["controls"]):
            label = html.escape(control["description"])
            if len(control["choices"]) < 2:  # fixed in every frame: shown, not movable
                choice = html.escape(control["choices"][0])
                rows.append(
                    f'<div class="course-frames-control" style="{_ROW}">'
                    f'<span style="{_LABEL}">{label}</span> {choice}</div>'
                )
                continue
            rows.append(
                f'<label class="course-frames-control" style="{_ROW}">'
                f'<span style="{_LABEL}">{label}</span>'
                f'<input type="range" min="0" max="{len(control["choices"]) - 1}" step="1" '
                f'value="{start[i]}" data-control="{i}" style="width: 16em"> '
                f"<output>{html.escape(control['choices'][start[i]])}</output></label>"
            )
        n = len(data["controls"])
        payload = json.dumps(data).replace("</", "<\\/")
        return (
            f'<div class="course-frames" id="{uid}">'
            + "".join(rows)
            + f'<div class="course-frames-summary" style="margin: 0.4em 0">'
            f"{data['summaries'][start[n + 1]]}</div>"
            f'<img class="course-frames-image" alt="explorer figure" style="width: 100%; '
            f'max-width: {round(self._fig.get_figwidth() * 90)}px" '
            f'src="{data["images"][start[n]]}">'
            '<p class="course-frames-note"><small>Precomputed for the book: the controls move '
            "between the settings drawn here (the others follow to the nearest one). Run the "
            "notebook to explore any value.</small></p></div>"
            f"<script>(function() {{ var data = {payload};"
            f' var root = document.getElementById("{uid}");' + _PLAYER_JS + "})();</script>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """The live widget (JupyterLab) and the precomputed player (the HTML book)."""
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/html"] = self.frames_html()
        return bundle

    def _ipython_display_(self) -> None:
        display(self._repr_mimebundle_(), raw=True)


def one_at_a_time(base: tuple, choices: dict[int, Sequence]) -> list[tuple]:
    """``base``, then each control ``i`` of ``choices`` moved alone through its values.

    >>> one_at_a_time((1, "a"), {0: [1, 2, 3], 1: ["a", "b"]})
    [(1, 'a'), (2, 'a'), (3, 'a'), (1, 'b')]
    """
    settings = [base]
    for i, values in choices.items():
        settings += [(*base[:i], v, *base[i + 1 :]) for v in values if v != base[i]]
    return settings


def _label(value: Any) -> str:
    """A choice as the player shows it: floats with three significant digits."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _in_order(control: widgets.ValueWidget, values: list) -> list:
    """The distinct values, in the control's order (its options, or increasing)."""
    distinct = list(dict.fromkeys(values))
    options = list(getattr(control, "_options_values", ()))
    if options:
        return sorted(distinct, key=lambda v: options.index(v) if v in options else len(options))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


_ROW = "display: flex; align-items: center; gap: 0.6em; margin: 0.15em 0"
_LABEL = "min-width: 9em"
_PLAYER_JS = """
  var n = data.controls.length;
  var current = data.frames[data.start];
  var inputs = root.querySelectorAll("input[data-control]");
  function show(frame) {
    current = frame;
    inputs.forEach(function (input) {
      var i = Number(input.dataset.control);
      input.value = frame[i];
      input.nextElementSibling.textContent = data.controls[i].choices[frame[i]];
    });
    root.querySelector(".course-frames-image").src = data.images[frame[n]];
    root.querySelector(".course-frames-summary").innerHTML = data.summaries[frame[n + 1]];
  }
  inputs.forEach(function (input) {
    var i = Number(input.dataset.control);
    input.addEventListener("input", function () {
      var want = current.slice(0, n);
      want[i] = Number(input.value);
      var best = null, bestCost = Infinity;
      data.frames.forEach(function (frame) {
        if (frame[i] !== want[i]) { return; }
        var cost = 0;
        for (var j = 0; j < n; j++) { if (frame[j] !== want[j]) { cost += 1; } }
        if (cost < bestCost) { best = frame; bestCost = cost; }
      });
      if (best) { show(best); }
    });
  });
"""
