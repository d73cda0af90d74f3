"""Figures the book draws again and again: decision boundaries, softmax, metric curves.

Each function draws on a Matplotlib ``Axes`` (a new one if none is given),
labels the axes, and returns the ``Axes`` so that a notebook can add to it.
:func:`animate_decision_boundary` returns an animation that the book embeds
with ``anim.to_jshtml()``, so it plays in the HTML page without a kernel.

See the book: 01_foundations, 02_metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from course_lib import metrics
from course_lib.foundations import softmax
from course_lib.validation import to_numpy

__all__ = [
    "animate_decision_boundary",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_pr_curve",
    "plot_roc_curve",
    "plot_softmax_temperatures",
    "plot_threshold_panel",
]


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=(4.5, 4))[1]


def plot_confusion_matrix(
    cm: Any,
    *,
    labels: Sequence | None = None,
    normalize: str | None = None,
    ax: Axes | None = None,
    title: str = "Confusion matrix",
    cmap: str = "Blues",
) -> Axes:
    """Draw a confusion matrix (true class in rows, predicted in columns) with counts.

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Counts, as returned by :func:`course_lib.metrics.confusion_matrix`.
    normalize : {"true", "pred", "all"}, optional
        Colour and annotate by the row, column or overall share; the counts
        are still printed beside the share.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square matrix, got shape {cm.shape}")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f'normalize must be None, "true", "pred" or "all", got {normalize!r}')
    n = cm.shape[0]
    labels = list(range(n)) if labels is None else list(labels)
    if len(labels) != n:
        raise ValueError(f"labels must name {n} classes, got {len(labels)}")
    shown = cm.astype(np.float64)
    if normalize is not None:
        shown = metrics.normalize_confusion_matrix(cm, normalize)
    ax = _axes(ax)
    image = ax.imshow(shown, cmap=cmap, vmin=0, vmax=shown.max() if shown.max() > 0 else 1)
    threshold = (shown.max() + shown.min()) / 2
    for i in range(n):
        for j in range(n):
            text = f"{cm[i, j]:d}" if np.issubdtype(cm.dtype, np.integer) else f"{cm[i, j]:.3g}"
            if normalize is not None:
                text = f"{shown[i, j]:.0%}\n({text})" if n <= 6 else f"{shown[i, j]:.0%}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=9 if n <= 6 else 7,
                color="white" if shown[i, j] > threshold else "black",
            )
    ax.set_xticks(range(n), [str(label) for label in labels])
    ax.set_yticks(range(n), [str(label) for label in labels])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_roc_curve(
    fpr: Any,
    tpr: Any,
    *,
    roc_auc: float | None = None,
    label: str | None = None,
    operating_point: tuple[float, float] | None = None,
    ax: Axes | None = None,
    title: str = "ROC curve",
    chance: bool = True,
) -> Axes:
    """Draw a ROC curve (FPR on x, TPR on y) with the chance diagonal.

    ``operating_point`` = (fpr, tpr) marks one threshold on the curve.
    """
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    if fpr.shape != tpr.shape or fpr.ndim != 1:
        raise ValueError(f"fpr and tpr must be 1-D of one length, got {fpr.shape}, {tpr.shape}")
    ax = _axes(ax)
    name = label or "classifier"
    if roc_auc is not None:
        name += f" (AUC = {roc_auc:.3f})"
    ax.plot(fpr, tpr, lw=2, label=name)
    if chance:
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance (AUC = 0.5)")
    if operating_point is not None:
        ax.plot(*operating_point, "o", color="crimson", ms=9, label="operating point")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate FPR = FP / (FP + TN)")
    ax.set_ylabel("true positive rate TPR = TP / (TP + FN)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_pr_curve(
    precision: Any,
    recall: Any,
    *,
    average_precision: float | None = None,
    prevalence: float | None = None,
    label: str | None = None,
    operating_point: tuple[float, float] | None = None,
    ax: Axes | None = None,
    title: str = "Precision-recall curve",
) -> Axes:
    """Draw a precision-recall curve as the steps that average precision sums.

    ``prevalence`` (the share of positives) draws the no-skill baseline: a
    classifier that guesses has precision equal to it at every recall.
    ``operating_point`` = (recall, precision) marks one threshold.
    """
    precision, recall = np.asarray(precision), np.asarray(recall)
    if precision.shape != recall.shape or precision.ndim != 1:
        raise ValueError(
            f"precision and recall must be 1-D of one length, got {precision.shape}, {recall.shape}"
        )
    ax = _axes(ax)
    name = label or "classifier"
    if average_precision is not None:
        name += f" (AP = {average_precision:.3f})"
    ax.step(recall, precision, where="pre", lw=2, label=name)
    if prevalence is not None:
        ax.axhline(
            prevalence,
            ls="--",
            color="grey",
            lw=1,
            label=f"no skill (precision = {prevalence:.2f})",
        )
    if operating_point is not None:
        ax.plot(*operating_point, "o", color="crimson", ms=9, label="operating point")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.05)
    ax.set_xlabel("recall = TP / (TP + FN)")
    ax.set_ylabel("precision = TP / (TP + FP)")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_threshold_panel(
    y_true: Any,
    y_score: Any,
    threshold: float,
    *,
    fig: Figure | None = None,
    class_names: Sequence[str] = ("negative", "positive"),
) -> Figure:
    """ROC curve, PR curve and confusion matrix at one threshold, side by side.

    The static twin of :class:`course_lib.widgets.ThresholdExplorer`: the book
    shows it for a few thresholds so that the page is complete without a kernel.
    """
    fpr, tpr, _ = metrics.roc_curve(y_true, y_score)
    precision, recall, _ = metrics.precision_recall_curve(y_true, y_score)
    point = metrics.threshold_metrics(y_true, y_score, threshold)
    cm = point["confusion_matrix"]
    positive = cm[1].sum() / cm.sum()  # prevalence: the no-skill precision
    if fig is None:
        fig = plt.figure(figsize=(13, 4))
    fig.clear()
    ax_roc, ax_pr, ax_cm = fig.subplots(1, 3)
    plot_roc_curve(
        fpr,
        tpr,
        roc_auc=metrics.auc(fpr, tpr),
        ax=ax_roc,
        operating_point=(point["fpr"], point["tpr"]),
    )
    plot_pr_curve(
        precision,
        recall,
        average_precision=metrics.average_precision_score(y_true, y_score),
        prevalence=positive,
        ax=ax_pr,
        operating_point=(point["tpr"], point["precision"]),
    )
    plot_confusion_matrix(
        point["confusion_matrix"],
        labels=list(class_names),
        ax=ax_cm,
        title=f"Confusion matrix at threshold {threshold:.2f}",
    )
    fig.suptitle(
        f"threshold = {threshold:.2f}: TPR = {point['tpr']:.2f}, FPR = {point['fpr']:.2f}, "
        f"precision = {point['precision']:.2f}, F1 = {point['f1']:.2f}"
    )
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
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    if not 0 <= margin < np.inf:
        raise ValueError(f"margin must be >= 0 (a fraction of the data's span), got {margin!r}")
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

    >>> from course_lib.foundations import Perceptron
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
    ax = _axes(ax)
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


def plot_softmax_temperatures(
    logits: Any,
    temperatures: Sequence[float],
    *,
    class_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str = "Softmax with temperature",
) -> Axes:
    """Bars of softmax(logits / T), one group per class and one colour per temperature.

    The static twin of :class:`course_lib.widgets.SoftmaxTemperatureExplorer`.

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
    ax = _axes(ax)
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
