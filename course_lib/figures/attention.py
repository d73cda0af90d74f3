"""Figures for chapter 10: date lengths, learning curves, accuracies, attention matrices, cost.

The attention matrix of a translated date puts the characters the decoder wrote on the
rows and the source characters on the columns: row t is the distribution a_t over the
source that produced output character t. ``AttentionExplorer`` picks a test example and
redraws its matrix; the book also shows :func:`plot_attention_grid`, the static version.

See the book: 10_attention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.plotting import axes_or_new
from course_lib.widgets import Explorer

__all__ = [
    "AttentionExplorer",
    "Translation",
    "plot_accuracy_by_bucket",
    "plot_attention_cost",
    "plot_attention_grid",
    "plot_attention_matrix",
    "plot_exact_match_curves",
    "plot_masks",
    "plot_position_accuracy",
    "plot_score_distributions",
    "plot_softmax_saturation",
    "plot_source_lengths",
]


class Translation(NamedTuple):
    """One translated example: the source, the true and the predicted output, the weights.

    ``weights`` has one row per predicted character and the final <eos> (len(predicted) + 1)
    and one column per source character.
    """

    source: str
    target: str
    predicted: str
    weights: np.ndarray


def _visible(text: str) -> list[str]:
    return ["␣" if c == " " else c for c in text]


def plot_source_lengths(lengths: Mapping[str, Sequence[int]], *, ax: Axes | None = None) -> Axes:
    """A stacked histogram of the source lengths in characters, one colour per format."""
    ax = axes_or_new(ax, (7.5, 3.6))
    values = [np.asarray(v) for v in lengths.values()]
    low, top = min(int(v.min()) for v in values), max(int(v.max()) for v in values)
    ax.hist(values, bins=np.arange(low - 0.5, top + 1.5), stacked=True, label=list(lengths))
    ax.set(xlabel="source length (characters)", ylabel="examples",
           title="How long the written dates are, by format")  # fmt: skip
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    return ax


def plot_exact_match_curves(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                            ax: Axes | None = None,
                            title: str = "Greedy translations exactly right, during training"
                            ) -> Axes:  # fmt: skip
    """Validation exact match (%) against the training step, one line per model."""
    ax = axes_or_new(ax, (7, 3.8))
    for label, (steps, values) in curves.items():
        ax.plot(steps, 100 * np.asarray(values, dtype=float), "o-", ms=3, label=label)
    ax.set(xlabel="training step (batches of 128)", ylabel="validation exact match (%)",
           ylim=(-3, 103), title=title)  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def _grouped_bars(ax: Axes, groups: Sequence[str], values: Mapping[str, Sequence[float]]):
    width = 0.8 / len(values)
    for j, (label, vals) in enumerate(values.items()):
        x = np.arange(len(groups)) + (j - (len(values) - 1) / 2) * width
        ax.bar(x, 100 * np.asarray(vals, dtype=float), width, label=label)
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)


def plot_accuracy_by_bucket(buckets: Sequence[str], accuracies: Mapping[str, Sequence[float]], *,
                            ax: Axes | None = None,
                            title: str = "Exact match by source length") -> Axes:  # fmt: skip
    """Grouped bars: the test exact match (%) of each model in each source-length bucket."""
    ax = axes_or_new(ax, (7, 3.8))
    _grouped_bars(ax, buckets, accuracies)
    ax.set(xlabel="source length (characters)", ylabel="test exact match (%)", title=title)
    return ax


def plot_position_accuracy(accuracies: Mapping[str, Sequence[float]], *,
                           labels: str = "YYYY-MM-DD", ax: Axes | None = None,
                           title: str = "Which output characters are right") -> Axes:  # fmt: skip
    """Grouped bars: the accuracy (%) of each output character of the ISO date, per model."""
    ax = axes_or_new(ax, (7.5, 3.8))
    _grouped_bars(ax, list(labels), accuracies)
    ax.axhline(10, color="k", ls=":", lw=1, label="guessing a digit (10 %)")
    ax.legend(fontsize=8)
    ax.set(xlabel="output character (ISO 8601)", ylabel="test accuracy (%)", title=title)
    return ax


def plot_attention_matrix(weights: np.ndarray, source: str, output: str, *,
                          ax: Axes | None = None, title: str | None = None) -> Axes:  # fmt: skip
    """Rows: the output characters (and <eos>); columns: the source characters; a_{t,i}."""
    weights = np.asarray(weights, dtype=float)
    rows = [*output, "<eos>"][: weights.shape[0]]
    if weights.shape[1] != len(source):
        raise ValueError(f"weights must have one column per source character ({len(source)}), "
                         f"got shape {weights.shape}")  # fmt: skip
    ax = axes_or_new(ax, (max(4.0, 0.28 * len(source) + 1.5), 4.2))
    image = ax.imshow(weights, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(np.arange(len(source)), _visible(source), fontsize=8)
    ax.set_yticks(np.arange(len(rows)), rows, fontsize=8)
    ax.set(xlabel="source character i", ylabel="output character t",
           title=title or f"{source} → {output}")  # fmt: skip
    ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="weight a_{t,i}")
    return ax


def plot_attention_grid(translations: Sequence[Translation], *, ncols: int = 2) -> Figure:
    """The attention matrices of several translated dates, one panel each."""
    n = len(translations)
    nrows = -(-n // ncols)
    widest = max(len(t.source) for t in translations)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * (0.27 * widest + 2.2), 3.9 * nrows),
                             squeeze=False)  # fmt: skip
    for ax, tr in zip(axes.flat, translations, strict=False):
        mark = "✓" if tr.predicted == tr.target else f"✗ (true {tr.target})"
        plot_attention_matrix(tr.weights, tr.source, tr.predicted, ax=ax,
                              title=f"{tr.source!r} → {tr.predicted} {mark}")  # fmt: skip
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


class AttentionExplorer(Explorer):
    """Pick a translated test date and see its attention matrix, character by character."""

    def __init__(self, translations: Sequence[Translation]):
        if not translations:
            raise ValueError("translations must not be empty")
        self.translations = list(translations)
        options = [(f"{i}: {t.source}", i) for i, t in enumerate(self.translations)]
        self.slider = widgets.Dropdown(options=options, value=0, description="date")
        widest = max(len(t.source) for t in self.translations)
        self._start(0, figsize=(max(4.5, 0.28 * widest + 2), 4.4))

    def _update(self, value: int) -> None:
        tr = self.translations[value]
        verdict = "right" if tr.predicted == tr.target else f"wrong (true: {tr.target})"
        self.summary.value = f"<b>{tr.source}</b> → <b>{tr.predicted}</b>, {verdict}"
        self._fig.clear()
        plot_attention_matrix(tr.weights, tr.source, tr.predicted, ax=self._fig.add_subplot())
        self._fig.tight_layout()
        self._show()


def plot_score_distributions(
    keys: Sequence[str], panels: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> Figure:
    """One panel per score function: its scores e_i (bars) and the distribution a_i (dots)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    x = np.arange(len(keys))
    for ax, (name, (scores, weights)) in zip(axes[0], panels.items(), strict=True):
        ax.bar(x, np.asarray(scores, dtype=float), color="0.75", label="score e_i")
        twin = ax.twinx()
        twin.plot(x, np.asarray(weights, dtype=float), "o-", color="C3", label="weight a_i")
        twin.set(ylim=(0, 1.05), ylabel="attention weight a_i")
        ax.set_xticks(x, list(keys))
        ax.set(title=name, xlabel="key (source position)", ylabel="score e_i")
        ax.axhline(0, color="k", lw=0.6)
    fig.tight_layout()
    return fig


def plot_softmax_saturation(dims: Sequence[int], curves: Mapping[str, Sequence[float]], *,
                            ylabel: str, title: str, ax: Axes | None = None) -> Axes:  # fmt: skip
    """A measured quantity (e.g. the largest softmax weight) against the dimension d (log x)."""
    ax = axes_or_new(ax, (6, 3.8))
    for label, values in curves.items():
        ax.plot(dims, values, "o-", label=label)
    ax.set(xscale="log", xlabel="dimension d of queries and keys (log scale)", ylabel=ylabel,
           title=title)  # fmt: skip
    ax.set_xticks(list(dims), [str(d) for d in dims])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_masks(panels: Mapping[str, np.ndarray], *, xlabel: str = "key position j",
               ylabel: str = "query position i") -> Figure:  # fmt: skip
    """Matrices side by side (masks as 0/1, or attention weights), one titled panel each."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels), 3.4), squeeze=False)
    for ax, (title, matrix) in zip(axes[0], panels.items(), strict=True):
        image = ax.imshow(np.asarray(matrix, dtype=float), cmap="Blues", vmin=0, vmax=1)
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    fig.colorbar(image, ax=axes[0].tolist(), fraction=0.025, pad=0.02, label="value")
    return fig


def plot_attention_cost(lengths: Sequence[int], seconds: Mapping[str, Sequence[float]],
                        memory: Mapping[str, Sequence[float]]) -> Figure:  # fmt: skip
    """Time and saved memory against the sequence length T, log–log, with a T² guide."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    T = np.asarray(lengths, dtype=float)
    for ax, data, ylabel in ((axes[0], seconds, "forward + backward time (ms)"),
                             (axes[1], memory, "memory kept for backward (MiB)")):  # fmt: skip
        scale = 1e3 if data is seconds else 1 / 2**20
        for label, values in data.items():
            ax.plot(T, scale * np.asarray(values, dtype=float), "o-", label=label)
        ref = scale * np.asarray(next(iter(data.values())), dtype=float)
        ax.plot(T, ref[-1] * (T / T[-1]) ** 2, "k:", lw=1, label="∝ T² (guide)")
        ax.set(xscale="log", yscale="log", xlabel="sequence length T (log scale)",
               ylabel=ylabel + " (log scale)")  # fmt: skip
        ax.set_xticks(T, [str(int(t)) for t in T])
        ax.xaxis.set_minor_locator(plt.NullLocator())
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    axes[0].set_title("Time of self-attention against T")
    axes[1].set_title("Memory of self-attention against T")
    fig.tight_layout()
    return fig
