"""Figures and an explorer for chapter 07: the squares experiment and corrupted images.

:class:`CorruptionExplorer` is the interactive twin of :func:`plot_corruption_curves`:
choose a corruption and slide its strength; the corrupted digits and the accuracy
measured at that strength are redrawn.

See the book: 07_generalization.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_lib.generalization import corrupt
from course_lib.plotting import axes_or_new
from course_lib.validation import to_numpy
from course_lib.widgets import Explorer

__all__ = ["CorruptionExplorer", "plot_corruption_curves", "plot_squares", "plot_squares_regions"]

CLASS_COLOURS = ("tab:red", "tab:blue")  # class 0 red, class 1 blue, as in seed 004
IN_BOX, OUT_BOX = (-1.0, 1.0), (1.0, 2.5)


def _boxes(ax: Axes) -> None:
    """Outline the training support [−1, 1]² (solid) and the OOD square (1, 2.5]² (dashed)."""
    for (low, high), style, text in ((IN_BOX, "-", "D (train, test)"), (OUT_BOX, "--", "D' (OOD)")):
        ax.add_patch(Rectangle((low, low), high - low, high - low, fill=False, lw=1.5, ls=style,
                               ec="k"))  # fmt: skip
        ax.text(low + 0.03, high + 0.05, text, fontsize=8)


def _finish(ax: Axes, title: str, extent: tuple[float, float]) -> None:
    ax.set_xlim(*extent)
    ax.set_ylim(*extent)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title, fontsize=10)


def plot_squares(X: Any, y: Any, *, ax: Axes | None = None, title: str = "Squares data",
                 extent: tuple[float, float] = (-1.25, 2.75), size: float = 6) -> Axes:  # fmt: skip
    """Scatter 2-D points coloured by class, with the in- and out-of-distribution squares."""
    X, y = to_numpy(X, "X", dtype=np.float64), to_numpy(y, "y")
    ax = axes_or_new(ax)
    for label, colour in enumerate(CLASS_COLOURS):
        points = X[y == label]
        ax.scatter(points[:, 0], points[:, 1], s=size, c=colour, label=f"class {label}")
    _boxes(ax)
    _finish(ax, title, extent)
    return ax


def plot_squares_regions(
    model: torch.nn.Module,
    *,
    X: Any = None,
    y: Any = None,
    ax: Axes | None = None,
    title: str = "Decision regions",
    extent: tuple[float, float] = (-1.25, 2.75),
    resolution: int = 120,
) -> Axes:
    """Colour the plane by the model's P(class 1 | x) = σ(z), the boundary σ = 1/2 in black.

    ``model`` maps (n, 2) float32 points to logits (n, 1); ``X``, ``y`` are drawn on top.
    """
    grid_1d = np.linspace(*extent, resolution)
    g1, g2 = np.meshgrid(grid_1d, grid_1d)
    device = next(model.parameters()).device
    grid = torch.tensor(np.c_[g1.ravel(), g2.ravel()], dtype=torch.float32, device=device)
    with torch.no_grad():
        p = torch.sigmoid(model(grid)).reshape(resolution, resolution).cpu().numpy()
    ax = axes_or_new(ax)
    ax.imshow(p, origin="lower", extent=(*extent, *extent), cmap="RdBu", vmin=0, vmax=1,
              alpha=0.75, interpolation="nearest")  # fmt: skip
    ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1)
    if X is not None:
        X, y = to_numpy(X, "X", dtype=np.float64), to_numpy(y, "y")
        ax.scatter(X[:, 0], X[:, 1], s=3, c=[CLASS_COLOURS[int(k)] for k in y], edgecolors="none")
    _boxes(ax)
    _finish(ax, title, extent)
    return ax


def plot_corruption_curves(
    strengths: Mapping[str, Sequence[float]],
    accuracies: Mapping[str, Sequence[float]],
    *,
    units: Mapping[str, str],
    chance: float | None = None,
    marker: Mapping[str, float] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """One panel per corruption: test accuracy against its strength (with its unit)."""
    kinds = list(strengths)
    fig = fig if fig is not None else plt.figure(figsize=(3.2 * len(kinds), 3))
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    for ax, kind in zip(axes, kinds, strict=True):
        ax.plot(strengths[kind], accuracies[kind], "o-", color="tab:blue")
        if chance is not None:
            ax.axhline(chance, color="0.5", ls=":", lw=1, label="chance")
        if marker is not None and kind in marker:
            ax.axvline(marker[kind], color="tab:red", lw=1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(f"{kind} strength ({units[kind]})")
        ax.set_title(kind)
    axes[0].set_ylabel("test accuracy")
    fig.suptitle("Accuracy of a CNN on corrupted test digits")
    fig.tight_layout()
    return fig


class CorruptionExplorer(Explorer):
    """A corruption, a strength slider, the corrupted digits and the measured accuracy.

    ``accuracies[kind][i]`` is the accuracy measured at ``strengths[kind][i]``; the slider
    moves over those indices, so every position shows a measured number.

    >>> explorer = CorruptionExplorer(torch.rand(3, 1, 28, 28), {"blur": [0.0, 1.0]},
    ...                               {"blur": [0.9, 0.5]}, units={"blur": "σ, pixels"})
    >>> explorer.slider.value = 1
    >>> explorer.summary.value
    'blur, strength 1 (σ, pixels): accuracy 50.0%'
    """

    def __init__(
        self,
        images: torch.Tensor,
        strengths: Mapping[str, Sequence[float]],
        accuracies: Mapping[str, Sequence[float]],
        *,
        units: Mapping[str, str],
    ):
        self.images, self.units = images, dict(units)
        self.strengths, self.accuracies = dict(strengths), dict(accuracies)
        self.kind = widgets.Dropdown(options=list(strengths), description="corruption")
        last = len(strengths[self.kind.value]) - 1
        self.slider = widgets.IntSlider(value=0, min=0, max=last, description="strength #",
                                        continuous_update=False)  # fmt: skip
        self._start(0, figsize=(9, 2.6))

    def _controls(self) -> list[widgets.ValueWidget]:
        return [self.kind, self.slider]

    def _update(self, _value: Any = None) -> None:
        kind = self.kind.value
        self.slider.max = len(self.strengths[kind]) - 1
        index = min(self.slider.value, self.slider.max)
        strength, accuracy = self.strengths[kind][index], self.accuracies[kind][index]
        self.summary.value = (f"{kind}, strength {strength:g} ({self.units[kind]}): "
                              f"accuracy {accuracy:.1%}")  # fmt: skip
        shown = corrupt(self.images, kind, strength, generator=torch.Generator().manual_seed(0))
        self._fig.clear()
        n = len(shown)
        axes = self._fig.subplots(1, n + 1, gridspec_kw={"width_ratios": [1] * n + [2]})
        for ax, image in zip(axes[:n], shown, strict=True):
            ax.imshow(image[0].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[-1].plot(self.strengths[kind], self.accuracies[kind], "o-")
        axes[-1].plot([strength], [accuracy], "o", color="tab:red", ms=9)
        axes[-1].set_ylim(0, 1.02)
        axes[-1].set_xlabel(f"strength ({self.units[kind]})")
        axes[-1].set_ylabel("test accuracy")
        self._fig.suptitle(f"{kind} = {strength:g}: accuracy {accuracy:.1%}")
        self._show()
