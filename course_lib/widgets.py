"""Interactive explorers (ipywidgets 8). Each has a static twin in ``plotting``.

The widgets need a running kernel to react; the book also shows the static
figure so that the HTML page is complete without one.

See the book: 01_foundations, 02_metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython import get_ipython
from IPython.display import display

from course_lib import metrics
from course_lib.foundations import softmax
from course_lib.plotting import (
    _check_logits,
    _class_names,
    plot_softmax_temperatures,
    plot_threshold_panel,
)
from course_lib.validation import check_scores

__all__ = ["SoftmaxTemperatureExplorer", "ThresholdExplorer"]


class _Explorer:
    """What every explorer shares: a slider, a one-line summary and a redrawn figure.

    A subclass builds ``self.slider`` and calls ``_start(value, figsize)``; its
    ``_update(value)`` recomputes the state, sets ``self.summary.value`` and
    draws into ``self._fig``.
    """

    slider: widgets.ValueWidget

    def _start(self, value: float, figsize: tuple[float, float]) -> None:
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self._fig = plt.figure(figsize=figsize)
        plt.close(self._fig)  # drawn into the Output widget only, not as a stray figure
        self.slider.observe(self._on_change, names="value")
        self._update(value)

    @property
    def widget(self) -> widgets.VBox:
        """The assembled widget: slider, one-line summary, figure."""
        return widgets.VBox([self.slider, self.summary, self.output])

    def _on_change(self, change: dict) -> None:
        self._update(change["new"])

    def _update(self, value: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _show(self) -> None:
        """Put the redrawn figure in the Output widget (only under IPython)."""
        if get_ipython() is None:  # plain Python (a script, a doctest): nothing to show
            return
        self.output.clear_output(wait=True)
        with self.output:
            display(self._fig)

    def _ipython_display_(self) -> None:
        display(self.widget)


class ThresholdExplorer(_Explorer):
    """A threshold slider that moves the operating point on the ROC and PR curves.

    Moving the slider recomputes the confusion matrix at the new threshold
    (predict positive when ``y_score >= threshold``) and redraws the three
    panels of :func:`course_lib.plotting.plot_threshold_panel`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_score : array-like of shape (n_samples,)
        Scores in [0, 1] (probabilities of the positive class).
    threshold : float
        Where the slider starts.

    Examples
    --------
    >>> from course_lib.data import make_scores
    >>> y, s = make_scores(200, random_state=0)
    >>> explorer = ThresholdExplorer(y, s, threshold=0.5)
    >>> explorer.slider.value = 0.8
    >>> explorer.point["threshold"]
    0.8
    """

    def __init__(
        self,
        y_true: Any,
        y_score: Any,
        *,
        threshold: float = 0.5,
        class_names: Sequence[str] = ("negative", "positive"),
        step: float = 0.01,
    ):
        self.y_true = np.asarray(y_true)
        self.y_score = np.asarray(y_score, dtype=np.float64)
        # validates the inputs once, with readable errors, and requires [0, 1] scores
        check_scores(self.y_true, self.y_score, "y_score", probabilities=True)
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
        self.class_names = tuple(class_names)
        self.slider = widgets.FloatSlider(
            value=threshold,
            min=0.0,
            max=1.0,
            step=step,
            description="threshold",
            continuous_update=False,
            readout_format=".2f",
            layout=widgets.Layout(width="60%"),
        )
        self.point: dict[str, Any] = {}
        self._start(threshold, figsize=(13, 4))

    def _update(self, threshold: float) -> None:
        self.point = metrics.threshold_metrics(self.y_true, self.y_score, threshold)
        p = self.point
        self.summary.value = (
            f"<b>threshold {threshold:.2f}</b>: TP = {p['tp']}, FP = {p['fp']}, "
            f"FN = {p['fn']}, TN = {p['tn']} &nbsp;|&nbsp; recall {p['tpr']:.3f}, "
            f"FPR {p['fpr']:.3f}, precision {p['precision']:.3f}, F1 {p['f1']:.3f}"
        )
        plot_threshold_panel(
            self.y_true, self.y_score, threshold, fig=self._fig, class_names=self.class_names
        )
        self._show()


class SoftmaxTemperatureExplorer(_Explorer):
    """A temperature slider over the bars of softmax(logits / T).

    The slider is logarithmic, from T = 0.05 (almost one-hot on the largest
    logit) to T = 20 (almost uniform); T = 1 is the plain softmax.

    Parameters
    ----------
    logits : array-like of shape (n_classes,)
        The scores h^L of one sample.
    T : float in [0.05, 20]
        Where the slider starts.
    class_names : sequence of str, optional
        Labels of the bars (default 0, 1, ...).

    Examples
    --------
    >>> explorer = SoftmaxTemperatureExplorer([2.0, 1.0, 0.1])
    >>> explorer.slider.value = 0.1
    >>> explorer.probabilities.round(3)
    array([1., 0., 0.])

    See the book: 01_foundations.
    """

    T_MIN, T_MAX = 0.05, 20.0

    def __init__(self, logits: Any, *, T: float = 1.0, class_names: Sequence[str] | None = None):
        self.logits = _check_logits(logits)
        self.class_names = _class_names(class_names, self.logits.size)
        if (
            isinstance(T, bool)
            or not isinstance(T, int | float)
            or not self.T_MIN <= T <= self.T_MAX
        ):
            raise ValueError(f"T must be a number in [{self.T_MIN}, {self.T_MAX}], got {T!r}")
        self.slider = widgets.FloatLogSlider(
            value=T,
            base=10,
            min=np.log10(self.T_MIN),
            max=np.log10(self.T_MAX),
            step=0.01,
            description="T",
            continuous_update=True,
            readout_format=".2f",
            layout=widgets.Layout(width="60%"),
        )
        self.probabilities = np.empty(0)
        self._start(T, figsize=(6, 3.5))

    def _update(self, T: float) -> None:
        self.probabilities = softmax(self.logits, T=T)
        p = self.probabilities
        entropy = float(-np.sum(p[p > 0] * np.log(p[p > 0])))
        self.summary.value = (
            f"<b>T = {T:.2f}</b>: largest probability {p.max():.3f} "
            f"({self.class_names[int(np.argmax(p))]}), entropy {entropy:.3f} nats "
            f"(uniform: {np.log(p.size):.3f})"
        )
        self._fig.clear()
        plot_softmax_temperatures(
            self.logits,
            [T],
            class_names=self.class_names,
            ax=self._fig.subplots(),
            title=f"softmax(h / T) at T = {T:.2f}",
        )
        self._show()
