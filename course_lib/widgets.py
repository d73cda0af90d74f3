"""The base class of the book's interactive explorers (ipywidgets 8).

Every chapter's explorer (``ThresholdExplorer``, ``ConvArithmeticCalculator``,
...) subclasses :class:`Explorer` and lives beside its concept in
:mod:`course_lib.figures`, next to the static figure it redraws. The widgets
need a running kernel to react; the book also shows the static figure so that
the HTML page is complete without one. This module imports no concept of the
course.

See the book: 01_foundations, 02_metrics, 04_optimization, 05_cnn.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import display

__all__ = ["Explorer"]


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
        for control in self._controls():
            control.observe(self._on_change, names="value")
        self._update(value)

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
        if getattr(get_ipython(), "kernel", None) is None:
            return
        self.output.clear_output(wait=True)
        with self.output:
            display(self._fig)

    def _ipython_display_(self) -> None:
        display(self.widget)
