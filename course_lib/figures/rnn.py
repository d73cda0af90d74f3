"""Figures for chapter 09: gradient norms through time, forecasts, learning curves.

See the book: 09_rnn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_forecasts", "plot_gradient_norms", "plot_learning_curves"]


def plot_gradient_norms(curves: Mapping[str, Sequence[float]], *, title: str | None = None
                        ) -> Figure:  # fmt: skip
    """‖∂L/∂h_t‖ against the time step t, one line per model, on a log scale.

    ``curves`` maps a label to the T norms for t = 1..T (the loss reads h_T).
    """
    fig, ax = plt.subplots(figsize=(8, 4.2))
    styles = ["-", "--", ":", "-."]
    for j, (label, norms) in enumerate(curves.items()):
        norms = np.asarray(norms, dtype=float)
        t = np.arange(1, len(norms) + 1)
        ax.plot(t, np.maximum(norms, 1e-300), styles[j % 4], lw=1.8, label=label)
    ax.set(yscale="log", xlabel="time step t (the loss reads the last state h_T)",
           ylabel="gradient norm ‖∂L/∂h_t‖ (log scale)",
           title=title or "How far back the gradient reaches: ‖∂L/∂h_t‖ against t")  # fmt: skip
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8, loc="lower right", ncol=2)
    fig.tight_layout()
    return fig


def plot_forecasts(
    years: Sequence[int],
    series: Sequence[float],
    predictions: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    *,
    split_year: int | None = None,
    ylabel: str = "sunspot number",
) -> Figure:
    """The series and the one-step-ahead forecasts of several models, over the test years."""
    fig, ax = plt.subplots(figsize=(9, 3.8))
    ax.plot(years, series, color="0.3", lw=1.5, label="observed")
    for label, (pred_years, values) in predictions.items():
        ax.plot(pred_years, values, lw=1.2, label=label)
    if split_year is not None:
        ax.axvline(split_year, color="k", ls=":", lw=1)
        ax.text(split_year, ax.get_ylim()[1] * 0.95, " test years", va="top", fontsize=8)
    ax.set(xlabel="year", ylabel=ylabel, title="One-year-ahead forecasts of the sunspot number")
    ax.legend(fontsize=8, ncol=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_learning_curves(curves: Mapping[str, Sequence[float]], *, baseline: float | None = None,
                         xlabel: str = "training step", ylabel: str = "validation MSE",
                         title: str = "Learning curves") -> Figure:  # fmt: skip
    """Validation loss against the step, one line per model, with a horizontal baseline."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for label, values in curves.items():
        steps, losses = np.asarray(values, dtype=float).T
        ax.plot(steps, losses, marker="o", ms=3, label=label)
    if baseline is not None:
        ax.axhline(baseline, color="k", ls="--", lw=1, label=f"predict the mean ({baseline:.3f})")
    ax.set(yscale="log", xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
