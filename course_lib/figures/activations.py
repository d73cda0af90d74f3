"""Figures and an explorer for chapter 01's softmax with temperature.

See the book: 01_foundations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes

from course_lib.activations import softmax
from course_lib.plotting import axes_or_new
from course_lib.validation import check_real, to_numpy
from course_lib.widgets import Explorer

__all__ = ["SoftmaxTemperatureExplorer", "plot_softmax_temperatures"]


def plot_softmax_temperatures(
    logits: Any,
    temperatures: Sequence[float],
    *,
    class_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str = "Softmax with temperature",
) -> Axes:
    """Bars of softmax(logits / T), one group per class and one colour per temperature.

    The static twin of :class:`SoftmaxTemperatureExplorer`.

    >>> ax = plot_softmax_temperatures([2.0, 1.0, 0.1], [0.5, 1.0, 5.0])
    >>> len(ax.patches)  # 3 classes x 3 temperatures
    9

    See the book: 01_foundations.
    """
    logits = _check_logits(logits)
    temperatures = list(temperatures)
    if len(temperatures) == 0:
        raise ValueError("temperatures must list at least one temperature T > 0")
    names = _class_names(class_names, logits.size)
    ax = axes_or_new(ax)
    width = 0.8 / len(temperatures)
    positions = np.arange(logits.size)
    for j, T in enumerate(temperatures):
        offset = (j - (len(temperatures) - 1) / 2) * width
        ax.bar(positions + offset, softmax(logits, T=T), width, label=f"T = {T:g}")
    ax.set_xticks(positions, names)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("class")
    ax.set_ylabel("probability softmax(h / T)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def _check_logits(logits: Any) -> np.ndarray:
    logits = to_numpy(logits, "logits")
    if logits.ndim != 1 or logits.size < 2:
        raise ValueError(f"logits must be 1-D with at least 2 classes, got shape {logits.shape}")
    if not np.issubdtype(logits.dtype, np.number) or not np.all(np.isfinite(logits)):
        raise ValueError("logits must hold finite numbers (no NaN or infinity)")
    return logits.astype(np.float64)


def _class_names(class_names: Sequence[str] | None, n: int) -> list[str]:
    names = [str(k) for k in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(f"class_names must name {n} classes, got {len(names)}")
    return names


class SoftmaxTemperatureExplorer(Explorer):
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
        check_real(T, "T", low=self.T_MIN, high=self.T_MAX)
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
