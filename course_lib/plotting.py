"""Figures that any chapter draws: image grids, training histories, decision boundaries.

Each function draws with Matplotlib, gives every panel a title (and the
curves their axis labels and units) and returns the ``Figure`` or ``Axes``
so that a notebook can add to it. :func:`animate_decision_boundary` returns an
animation that the book embeds with ``anim.to_jshtml()``, so it plays in the
HTML page without a kernel. This module imports no concept of the course:
the figures of one concept (ROC curves, filters, schedules, ...) live beside
it in :mod:`course_lib.figures`.

See the book: 01_foundations, 05_cnn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from course_lib.validation import check_int, check_real, to_numpy

__all__ = [
    *("HISTORY_LABELS", "animate_decision_boundary", "axes_or_new", "panel_grid"),
    *("plot_decision_boundary", "plot_histories", "show_images"),
]

# The keys of a training history (course_lib.training.fit):
# key -> (what it is, the unit on the y axis)
HISTORY_LABELS = {
    "train_loss": ("training loss", "cross-entropy (nats)"),
    "train_accuracy": ("training accuracy", "accuracy"),
    "val_loss": ("validation loss", "cross-entropy (nats)"),
    "val_accuracy": ("validation accuracy", "accuracy"),
    "test_loss": ("test loss", "cross-entropy (nats)"),
    "test_accuracy": ("test accuracy", "accuracy"),
    "full_loss": ("loss on the whole training set", "cross-entropy (nats)"),
    "lr": ("learning rate", "learning rate α"),
    "seconds": ("training time", "wall time (s)"),
    "updates": ("cumulative optimizer updates", "optimizer steps"),
}


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (4.5, 4)) -> Axes:
    """``ax`` itself, or the ``Axes`` of a new figure of ``figsize`` inches."""
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def panel_grid(n: int, *, ncols: int | None = None, size: float = 2.5) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` square panels of ``size`` inches, ``ncols`` (default 8) per row.

    Returns the figure and its first ``n`` axes; the unused ones of the last row are hidden.
    """
    ncols = min(n, ncols or 8)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows + 0.6), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes.flat[:n]


def show_images(
    images: Sequence[Any],
    *,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    ncols: int | None = None,
    cmap: str = "gray",
    size: float = 2.5,
    symmetric: bool | Sequence[bool] = False,
    same_scale: bool = False,
) -> Figure:
    """Show images side by side, each with its title and no axis ticks.

    Parameters
    ----------
    images : sequence of (H, W) or (H, W, 3) arrays or tensors
        A (1, H, W) or (3, H, W) tensor is also accepted (channels first).
    symmetric : bool or sequence of bool
        Colour around zero with a diverging map (for filter responses that
        are negative and positive), the same range on both sides; one flag
        for all images or one per image.
    same_scale : bool
        Colour every grey image on one common range (the smallest and
        largest value over all of them), so that brightness compares across
        panels.
    """
    if len(images) == 0:
        raise ValueError("images is empty: nothing to show")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image: {len(titles)} for {len(images)}")
    flags = [symmetric] * len(images) if isinstance(symmetric, bool) else list(symmetric)
    if len(flags) != len(images):
        raise ValueError(f"symmetric must be a bool or one per image: {len(flags)} flags")
    arrays = [to_numpy(image, "images", dtype=np.float64) for image in images]
    common = (min(a.min() for a in arrays), max(a.max() for a in arrays)) if same_scale else None
    fig, axes = panel_grid(len(images), ncols=ncols, size=size)
    for k, (ax, image) in enumerate(zip(axes, arrays, strict=True)):
        img = image
        if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
            img = np.moveaxis(img, 0, -1)
        img = img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img
        if flags[k]:
            bound = float(np.abs(img).max()) or 1.0
            shown = ax.imshow(img, cmap="RdBu_r", vmin=-bound, vmax=bound)
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
        else:
            low, high = common if common is not None and img.ndim == 2 else (None, None)
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=low, vmax=high)
        ax.set_title(titles[k] if titles is not None else f"image {k}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_histories(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    keys: Sequence[str] = ("train_loss", "val_accuracy"),
    log_keys: Sequence[str] = (),
    suptitle: str | None = None,
) -> Figure:
    """Curves of several training runs side by side, one panel per history key.

    ``histories`` maps a run's name to the dict returned by
    :func:`course_lib.training.fit`; every run is drawn in every panel. The panels of
    ``log_keys`` use a logarithmic y axis. A run that diverged (an infinite or NaN
    value) is drawn up to the epoch where it diverged.
    """
    unknown = set(log_keys) - set(keys)
    if unknown:
        raise ValueError(f"log_keys must be among keys {tuple(keys)}, got {sorted(unknown)}")
    if not histories:
        raise ValueError("histories is empty: nothing to plot")
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 3.8), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for name, history in histories.items():
            if key not in history:
                raise KeyError(f"history {name!r} has no {key!r}; it has {sorted(history)}")
            epochs = history.get("epoch", range(1, len(history[key]) + 1))
            values = np.asarray(history[key], dtype=np.float64)
            values[~np.isfinite(values)] = np.nan  # a diverged run stops where it diverged
            ax.plot(list(epochs), values, marker="o", ms=3, label=name)
        if key in log_keys:
            ax.set_yscale("log")
        title, unit = HISTORY_LABELS.get(key, (key, key))
        ax.set_title(title[0].upper() + title[1:] + " per epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.legend()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- #
# Decision boundaries (chapter 01)
# --------------------------------------------------------------------------- #
def _check_points(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = to_numpy(X, "X"), to_numpy(y, "y")
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n_samples, 2) (points in the plane), got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), one label per point, got {y.shape}")
    return X.astype(np.float64), y


def _grid(X: np.ndarray, resolution: int, margin: float) -> tuple[np.ndarray, tuple]:
    """Pixel centres of a resolution x resolution grid over the data plus a margin.

    The margin is a fraction of each axis' span. Returns the points, shape
    (resolution**2, 2), row by row from the bottom, and the image extent.
    """
    check_int(resolution, "resolution", 2)
    check_real(margin, "margin (a fraction of the data's span)", low=0)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad, hi + pad
    cells = (np.arange(resolution) + 0.5) / resolution  # (resolution,)
    xs, ys = lo[0] + cells * (hi[0] - lo[0]), lo[1] + cells * (hi[1] - lo[1])
    xx, yy = np.meshgrid(xs, ys)  # (resolution, resolution), y along the rows
    return np.c_[xx.ravel(), yy.ravel()], (lo[0], hi[0], lo[1], hi[1])


def _grid_values(predict_proba: Callable, grid: np.ndarray, resolution: int):
    """P(class 1) on the grid (n_classes = 2) or the argmax class (n_classes > 2)."""
    P = to_numpy(predict_proba(grid), "predict_proba(X)").astype(np.float64)
    if P.ndim == 2 and P.shape[1] == 1:
        P = P[:, 0]
    if P.shape[0] != grid.shape[0] or P.ndim not in (1, 2):
        raise ValueError(
            f"predict_proba must map (n, 2) points to shape (n,) or (n, n_classes), "
            f"got {P.shape} for n = {grid.shape[0]}"
        )
    if P.ndim == 1 or P.shape[1] == 2:
        Z, n_classes = (P if P.ndim == 1 else P[:, 1]), 2
    else:
        Z, n_classes = np.argmax(P, axis=1).astype(np.float64), P.shape[1]
    return Z.reshape(resolution, resolution), n_classes


def _draw_boundary(ax: Axes, Z: np.ndarray, n_classes: int, extent: tuple, X, y, title: str):
    """The image of Z, the 0.5 contour (two classes) and the points; returns the first two."""
    if n_classes == 2:
        cmap, vmin, vmax, label = plt.get_cmap("RdBu_r"), 0.0, 1.0, "P(class 1 | x)"
    else:
        cmap = ListedColormap(plt.get_cmap("tab10").colors[:n_classes])
        vmin, vmax, label = -0.5, n_classes - 0.5, "predicted class"
    style = {"origin": "lower", "extent": extent, "aspect": "auto", "interpolation": "nearest"}
    image = ax.imshow(Z, cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.75, **style)
    contour = _draw_contour(ax, Z, n_classes, extent)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=vmin, vmax=vmax, s=18, edgecolors="k")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("$x_1$ (feature 1)")
    ax.set_ylabel("$x_2$ (feature 2)")
    ax.set_title(title)
    ticks = None if n_classes == 2 else range(n_classes)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label, ticks=ticks)
    return image, contour


def _draw_contour(ax: Axes, Z: np.ndarray, n_classes: int, extent: tuple):
    """The decision boundary P = 0.5 as a black line, when the map crosses it (else None)."""
    if n_classes != 2 or not Z.min() < 0.5 < Z.max():
        return None
    xs = np.linspace(extent[0], extent[1], 2 * Z.shape[1] + 1)[1::2]  # pixel centres
    ys = np.linspace(extent[2], extent[3], 2 * Z.shape[0] + 1)[1::2]
    return ax.contour(xs, ys, Z, levels=[0.5], colors="k", linewidths=1.5)


def plot_decision_boundary(
    predict_proba: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    *,
    ax: Axes | None = None,
    resolution: int = 200,
    margin: float = 0.1,
    title: str = "Decision boundary",
) -> Axes:
    """Colour the plane by what a classifier predicts, with the data on top.

    For two classes the colour is P(class 1 | x) and a black line marks the
    boundary P = 0.5; for more classes it is the predicted (argmax) class.

    Parameters
    ----------
    predict_proba : callable
        Maps an (n, 2) array of points to probabilities of shape (n,) (class
        1), (n, 2) or (n, n_classes), such as ``MLP.predict_proba``; a
        function returning labels in {0, 1}, such as ``Perceptron.predict``,
        works too.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
        Class labels, for the colour of the points.
    resolution : int
        Grid points per axis.
    margin : float
        Space around the data, as a fraction of its span on each axis.

    >>> from course_lib.mlp import Perceptron
    >>> X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]
    >>> p = Perceptron()
    >>> _ = p.fit(X, y, num_epochs=10)
    >>> plot_decision_boundary(p.predict, X, y, resolution=50).get_title()
    'Decision boundary'

    See the book: 01_foundations.
    """
    X, y = _check_points(X, y)
    grid, extent = _grid(X, resolution, margin)
    Z, n_classes = _grid_values(predict_proba, grid, resolution)
    ax = axes_or_new(ax)
    _draw_boundary(ax, Z, n_classes, extent, X, y, title)
    return ax


def animate_decision_boundary(
    snapshots: Sequence[tuple[Any, Callable[[np.ndarray], Any]]],
    X: Any,
    y: Any,
    *,
    interval: int = 200,
    resolution: int = 100,
    margin: float = 0.1,
    title: str = "Decision boundary",
) -> FuncAnimation:
    """An animation of the decision boundary during training, one frame per snapshot.

    Each snapshot is a pair ``(epoch, predict_proba)``, where ``predict_proba``
    is as in :func:`plot_decision_boundary` and must not change afterwards:
    record a copy of the network, for example with
    ``fit(..., callback=lambda epoch, net: snapshots.append((epoch,
    copy.deepcopy(net).predict_proba)))``. Every grid is computed here, once.

    Returns
    -------
    FuncAnimation
        Its figure is closed, so that a notebook shows nothing by itself;
        embed it with ``IPython.display.HTML(anim.to_jshtml())``.

    See the book: 01_foundations.
    """
    if len(snapshots) == 0:
        raise ValueError("snapshots must hold at least one (epoch, predict_proba) pair")
    X, y = _check_points(X, y)
    grid, extent = _grid(X, resolution, margin)
    frames = [(epoch, *_grid_values(f, grid, resolution)) for epoch, f in snapshots]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    epoch, Z, n_classes = frames[0]
    image, contour = _draw_boundary(ax, Z, n_classes, extent, X, y, f"{title}, epoch {epoch}")
    drawn = {"contour": contour}  # the boundary line of the frame on screen

    def update(i: int):
        epoch, Z, _ = frames[i]
        image.set_data(Z)
        if drawn["contour"] is not None:
            drawn["contour"].remove()
        drawn["contour"] = _draw_contour(ax, Z, n_classes, extent)
        ax.set_title(f"{title}, epoch {epoch}")
        return [image]

    anim = FuncAnimation(fig, update, frames=len(frames), interval=interval, blit=False)
    plt.close(fig)
    return anim
