"""Interactive explorers (ipywidgets 8). Each has a static twin in ``plotting``.

The widgets need a running kernel to react; the book also shows the static
figure so that the HTML page is complete without one.

See the book: 01_foundations, 02_metrics, 04_optimization.
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
from course_lib.schedules import SCHEDULE_NAMES, linear_scaling_rule, plot_schedules, schedule_curve
from course_lib.validation import check_scores

__all__ = ["ScheduleExplorer", "SoftmaxTemperatureExplorer", "ThresholdExplorer"]


class _Explorer:
    """What every explorer shares: a slider, a one-line summary and a redrawn figure.

    A subclass builds ``self.slider`` and calls ``_start(value, figsize)``; its
    ``_update(value)`` recomputes the state, sets ``self.summary.value`` and
    draws into ``self._fig``.
    """

    slider: widgets.ValueWidget

    def _controls(self) -> list[widgets.ValueWidget]:
        """The widgets whose value redraws the figure (one slider unless overridden)."""
        return [self.slider]

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
        return widgets.VBox([*self._controls(), self.summary, self.output])

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


class ScheduleExplorer(_Explorer):
    """A learning-rate schedule picker with sliders for its parameters.

    The dropdown picks one of ``course_lib.schedules.SCHEDULE_NAMES``; the sliders
    set the base learning rate through the batch size (linear scaling rule,
    alpha_0 = 0.1 b / 256), the decay parameters and the warm-up length. Sliders
    the chosen schedule does not use are greyed out. The chosen curve is drawn bold
    over the others (grey), all with the same parameters.

    Examples
    --------
    >>> explorer = ScheduleExplorer(epochs=10)
    >>> explorer.schedule.value = "step"
    >>> explorer.sliders["step_size"].value = 3
    >>> explorer.lrs.round(4).tolist()[:4]
    [0.1, 0.1, 0.1, 0.05]

    See the book: 04_optimization.
    """

    def __init__(self, *, epochs: int = 60, schedule: str = "warm-up + cosine"):
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 10 <= epochs <= 500:
            raise ValueError(f"epochs must be an integer in [10, 500], got {epochs!r}")
        if schedule not in SCHEDULE_NAMES:
            raise ValueError(f"schedule must be one of {list(SCHEDULE_NAMES)}, got {schedule!r}")
        self.epochs = epochs
        layout = widgets.Layout(width="45%")
        style = {"description_width": "110px"}
        self.schedule = widgets.Dropdown(options=list(SCHEDULE_NAMES), value=schedule,
                                         description="schedule", style=style)
        self.slider = self.schedule  # the base class's main control
        self.sliders = {
            "batch_size": widgets.SelectionSlider(
                options=[2**k for k in range(4, 13)], value=256, description="batch size b",
                style=style, layout=layout),
            "step_size": widgets.IntSlider(value=max(epochs // 3, 1), min=1, max=epochs,
                                           description="step size s", style=style,
                                           layout=layout),
            "gamma": widgets.FloatSlider(value=0.5, min=0.05, max=1.0, step=0.01,
                                         description="decay γ", style=style, layout=layout),
            "k": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=1, step=0.05,
                                        description="1/t rate k", style=style, layout=layout),
            "eta_min_ratio": widgets.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.01,
                                                 description="η_min / η_0", style=style,
                                                 layout=layout),
            "warmup_epochs": widgets.IntSlider(value=max(epochs // 10, 1), min=1,
                                               max=epochs // 2, description="warm-up W",
                                               style=style, layout=layout),
            "start_factor": widgets.FloatSlider(value=0.1, min=0.01, max=1.0, step=0.01,
                                                description="warm-up start", style=style,
                                                layout=layout),
        }
        self.lrs = np.empty(0)
        self._start(schedule, figsize=(8, 4))

    def _controls(self) -> list[widgets.ValueWidget]:
        return [self.schedule, *self.sliders.values()]

    def _on_change(self, change: dict) -> None:
        self._update(self.schedule.value)

    def _update(self, name: str) -> None:
        params = {key: slider.value for key, slider in self.sliders.items()}
        base_lr = linear_scaling_rule(params.pop("batch_size"))
        for key, slider in self.sliders.items():
            slider.disabled = key != "batch_size" and key not in SCHEDULE_NAMES[name]
        curves = {other: schedule_curve(other, self.epochs, base_lr, **params)
                  for other in SCHEDULE_NAMES}
        self.lrs = curves[name]
        self.summary.value = (
            f"<b>{name}</b>: α_0 = 0.1 · {self.sliders['batch_size'].value} / 256 = "
            f"{base_lr:.4g}; α at the middle epoch {self.lrs[self.epochs // 2]:.4g}, "
            f"at the last epoch {self.lrs[-1]:.4g}"
        )
        self._fig.clear()
        plot_schedules(curves, ax=self._fig.subplots(), highlight=name,
                       title=f"{name} schedule over {self.epochs} epochs")
        self._show()
