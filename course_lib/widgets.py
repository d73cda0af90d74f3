"""Interactive explorers (ipywidgets 8). Each has a static twin in ``plotting``.

The widgets need a running kernel to react; the book also shows the static
figure so that the HTML page is complete without one.

See the book: 02_metrics.
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
from course_lib.plotting import plot_threshold_panel
from course_lib.validation import check_scores

__all__ = ["ThresholdExplorer"]


class ThresholdExplorer:
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
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.point: dict[str, Any] = {}
        self._fig = plt.figure(figsize=(13, 4))
        plt.close(self._fig)  # drawn into the Output widget only, not as a stray figure
        self.slider.observe(self._on_change, names="value")
        self._update(threshold)

    @property
    def widget(self) -> widgets.VBox:
        """The assembled widget: slider, one-line summary, figure."""
        return widgets.VBox([self.slider, self.summary, self.output])

    def _on_change(self, change: dict) -> None:
        self._update(change["new"])

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
        if get_ipython() is None:  # plain Python (a script, a doctest): nothing to show
            return
        self.output.clear_output(wait=True)
        with self.output:
            display(self._fig)

    def _ipython_display_(self) -> None:
        display(self.widget)
