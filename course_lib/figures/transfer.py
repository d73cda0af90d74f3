"""Figures for chapter 08: accuracy vs labels, features of two domains, soft targets.

See the book: 08_transfer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.plotting import axes_or_new
from course_lib.transfer import soft_targets
from course_lib.widgets import Explorer

__all__ = [
    "TemperatureExplorer",
    "plot_accuracy_vs_labels",
    "plot_domain_features",
    "plot_soft_targets",
]


def plot_accuracy_vs_labels(
    labels: Sequence[int], accuracies: Mapping[str, np.ndarray], *, ax: Axes | None = None,
    title: str = "Target accuracy against the number of labels",
) -> Axes:  # fmt: skip
    """One line per strategy: the mean over seeds (rows of each array) and its min–max band."""
    ax = axes_or_new(ax, (6, 4))
    x = np.asarray(labels)
    for name, acc in accuracies.items():
        acc = np.atleast_2d(np.asarray(acc, dtype=float))  # (seeds, len(labels))
        mean = acc.mean(axis=0)
        (line,) = ax.plot(x, 100 * mean, "o-", label=name)
        ax.fill_between(x, 100 * acc.min(axis=0), 100 * acc.max(axis=0), color=line.get_color(),
                        alpha=0.2)  # fmt: skip
    ax.set(xscale="log", xlabel="labelled target examples per class (log scale)",
           ylabel="target test accuracy (%)", title=title)  # fmt: skip
    ax.set_xticks(x, [str(v) for v in x])
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def _pca_2d(*blocks: np.ndarray) -> list[np.ndarray]:
    """Project every block on the first two principal axes of all of them together."""
    stacked = np.concatenate(blocks)
    mean = stacked.mean(axis=0)
    _, _, vt = np.linalg.svd(stacked - mean, full_matrices=False)
    return [(b - mean) @ vt[:2].T for b in blocks]


def plot_domain_features(
    panels: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> Figure:
    """Each panel: (source features, source labels, target features, target labels) in 2-D (PCA).

    Source points are filled circles, target points crosses; the colour is the class.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False)
    for ax, (title, (fs, ys, ft, yt)) in zip(axes[0], panels.items(), strict=True):
        ps, pt = _pca_2d(np.asarray(fs), np.asarray(ft))
        for c, color in zip((0, 1), ("C0", "C3"), strict=True):
            ax.scatter(*ps[np.asarray(ys) == c].T, s=8, color=color, alpha=0.5,
                       label=f"source, class {c}")  # fmt: skip
            ax.scatter(*pt[np.asarray(yt) == c].T, s=12, color=color, marker="x", alpha=0.5,
                       label=f"target, class {c}")  # fmt: skip
        ax.set(title=title, xlabel="feature PC 1 (a.u.)", ylabel="feature PC 2 (a.u.)")
    axes[0][0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_soft_targets(
    logits: torch.Tensor, temperatures: Sequence[float], *,
    class_names: Sequence[str] | None = None, ax: Axes | None = None,
) -> Axes:  # fmt: skip
    """Bars of q_i = softmax(z / T)_i for one vector of logits, one group per temperature."""
    ax = axes_or_new(ax, (7, 3.8))
    z = torch.as_tensor(logits, dtype=torch.float64).flatten()
    k = len(z)
    width = 0.8 / len(temperatures)
    for j, t in enumerate(temperatures):
        q = soft_targets(z, t).numpy()
        ax.bar(
            np.arange(k) + (j - (len(temperatures) - 1) / 2) * width, q, width, label=f"T = {t:g}"
        )
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(np.arange(k), names)
    ax.set(yscale="log", ylim=(1e-6, 1.5), xlabel="class", ylabel="soft target q_i (log scale)",
           title="The teacher's outputs softened by the temperature T")  # fmt: skip
    ax.legend(fontsize=8, ncol=len(temperatures))
    return ax


class TemperatureExplorer(Explorer):
    """A slider on T: the soft targets of one vector of logits, and their entropy."""

    def __init__(self, logits: torch.Tensor, *, class_names: Sequence[str] | None = None):
        self.logits = torch.as_tensor(logits, dtype=torch.float64).flatten()
        self.class_names = class_names
        self.slider = widgets.FloatLogSlider(value=1.0, base=10, min=-0.5, max=1.5, step=0.05,
                                             description="T")  # fmt: skip
        self._start(1.0, figsize=(7, 3.8))

    def _update(self, value: float) -> None:
        q = soft_targets(self.logits, value)
        entropy = float(-(q * q.clamp_min(1e-300).log()).sum())
        uniform = np.log(len(q))
        self.summary.value = (
            f"T = {value:.2f}: largest q = {float(q.max()):.3f}, "
            f"entropy = {entropy:.2f} nats (uniform: {uniform:.2f})"
        )
        self._fig.clear()
        ax = self._fig.add_subplot()
        plot_soft_targets(self.logits, [value], class_names=self.class_names, ax=ax)
        self._show()
