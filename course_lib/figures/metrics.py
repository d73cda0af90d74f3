"""Figures and an explorer for chapter 02's metrics: confusion matrix, ROC and PR curves.

:func:`plot_threshold_panel` draws the three side by side at one threshold;
:class:`ThresholdExplorer` is its interactive twin, a slider that moves the
operating point.

See the book: 02_metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib import metrics
from course_lib.plotting import axes_or_new
from course_lib.validation import check_real, check_scores
from course_lib.widgets import Explorer

__all__ = [
    *("ThresholdExplorer", "plot_confusion_matrix", "plot_pr_curve", "plot_roc_curve"),
    "plot_threshold_panel",
]


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
    ax = axes_or_new(ax)
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
    ax = axes_or_new(ax)
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
    ax = axes_or_new(ax)
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

    The static twin of :class:`ThresholdExplorer`: the book
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


class ThresholdExplorer(Explorer):
    """A threshold slider that moves the operating point on the ROC and PR curves.

    Moving the slider recomputes the confusion matrix at the new threshold
    (predict positive when ``y_score >= threshold``) and redraws the three
    panels of :func:`plot_threshold_panel`.

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
        check_real(threshold, "threshold", low=0, high=1)
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
