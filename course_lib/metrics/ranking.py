"""Metrics for scores: ROC and precision-recall curves, AUC, average precision, one threshold.

Signatures follow ``sklearn.metrics._ranking``; a sample is predicted
positive when its score is ``>= threshold``, and tied scores move together
along a curve.

See the book: 02_metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.validation import binary_targets, check_scores, to_numpy

__all__ = [
    *("auc", "average_precision_score", "precision_recall_curve", "roc_auc_score", "roc_curve"),
    "threshold_metrics",
]


def _binary_clf_curve(y_true, y_score, pos_label):
    """FP and TP counts at each distinct score, taken as a threshold (descending)."""
    y_true, y_score = check_scores(y_true, y_score, "y_score")
    positive = binary_targets(y_true, pos_label)
    order = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, positive = y_score[order], positive[order]
    # the last index of each run of tied scores: ties move together
    last_of_run = np.r_[np.flatnonzero(np.diff(y_score)), y_score.size - 1]
    tps = np.cumsum(positive)[last_of_run]
    fps = 1 + last_of_run - tps
    return fps, tps, y_score[last_of_run]


def roc_curve(y_true: Any, y_score: Any, *, pos_label: Any = None, drop_intermediate: bool = True):
    """Receiver operating characteristic: (FPR, TPR) at every threshold.

    TPR = TP / (TP + FN) and FPR = FP / (FP + TN), where a sample counts as
    predicted positive when ``y_score >= threshold``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels ({0, 1}, {-1, 1}, or any two labels with ``pos_label``).
    y_score : array-like of shape (n_samples,)
        Any score that is larger for the positive class (a probability, a
        logit, a margin).
    drop_intermediate : bool
        Drop thresholds whose point lies on a straight segment of the curve.

    Returns
    -------
    fpr, tpr : ndarray of shape (n_thresholds,)
        Non-decreasing, from (0, 0) to (1, 1).
    thresholds : ndarray of shape (n_thresholds,)
        Decreasing; the first is ``inf`` (nothing predicted positive).

    >>> fpr, tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])

    See the book: 02_metrics.
    """
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label)
    if drop_intermediate and fps.size > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def precision_recall_curve(
    y_true: Any, y_score: Any, *, pos_label: Any = None, drop_intermediate: bool = False
):
    """Precision and recall at every threshold, ordered by increasing threshold.

    Returns
    -------
    precision, recall : ndarray of shape (n_thresholds + 1,)
        The last point is (recall 0, precision 1) by convention, so that the
        curve reaches the axis.
    thresholds : ndarray of shape (n_thresholds,)
        Increasing distinct scores.

    >>> p, r, t = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> p.round(3).tolist(), r.tolist()
    ([0.5, 0.667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0])
    """
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label)
    if drop_intermediate and fps.size > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    precision = tps / (tps + fps)  # tps + fps >= 1 at every threshold
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def auc(x: Any, y: Any) -> float:
    """Area under a curve through the points (x, y), by the trapezoidal rule.

    ``x`` must be monotonic (increasing or decreasing).

    >>> auc([0, 0.5, 1], [0, 1, 1])
    0.75
    """
    x = to_numpy(x, "x").astype(np.float64)
    y = to_numpy(y, "y").astype(np.float64)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D of the same length, got {x.shape} and {y.shape}")
    if x.size < 2:
        raise ValueError(f"at least 2 points are needed to compute an area, got {x.size}")
    dx = np.diff(x)
    if np.all(dx >= 0):
        direction = 1.0
    elif np.all(dx <= 0):
        direction = -1.0
    else:
        raise ValueError("x must be monotonic (increasing or decreasing)")
    return float(direction * np.sum(dx * (y[1:] + y[:-1]) / 2))


def roc_auc_score(y_true: Any, y_score: Any, *, pos_label: Any = None) -> float:
    """Area under the ROC curve: the probability that a random positive outscores
    a random negative (ties count one half).

    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=pos_label, drop_intermediate=False)
    return auc(fpr, tpr)


def average_precision_score(y_true: Any, y_score: Any, *, pos_label: Any = None) -> float:
    """Average precision AP = sum_n (R_n - R_{n-1}) P_n over thresholds n.

    Each step of recall is weighted by the precision reached there: a
    rectangle rule, with no interpolation between operating points.

    >>> round(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333

    See the book: 02_metrics.
    """
    precision, recall, _ = precision_recall_curve(y_true, y_score, pos_label=pos_label)
    # recall decreases along the arrays, hence the minus sign
    return float(-np.sum(np.diff(recall) * precision[:-1]))


def threshold_metrics(
    y_true: Any, y_score: Any, threshold: float, *, pos_label: Any = None
) -> dict[str, Any]:
    """Everything about one operating point: predict positive when score >= threshold.

    Returns
    -------
    dict
        ``threshold``, ``confusion_matrix`` ([[TN, FP], [FN, TP]]), ``tp``,
        ``fp``, ``fn``, ``tn``, ``tpr`` (recall), ``fpr``, ``precision``
        (1.0 when nothing is predicted positive, the PR curve's convention),
        ``specificity``, ``f1`` and ``accuracy``.
    """
    y_true, y_score = check_scores(y_true, y_score, "y_score")
    positive = binary_targets(y_true, pos_label).astype(bool)
    if not np.isfinite(threshold) and threshold != np.inf:
        raise ValueError(f"threshold must be a number or inf, got {threshold!r}")
    predicted = y_score >= threshold
    tp = int(np.sum(predicted & positive))
    fp = int(np.sum(predicted & ~positive))
    fn = int(np.sum(~predicted & positive))
    tn = int(np.sum(~predicted & ~positive))
    return {
        "threshold": float(threshold),
        "confusion_matrix": np.array([[tn, fp], [fn, tp]]),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "tpr": tp / (tp + fn),
        "fpr": fp / (fp + tn),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "specificity": tn / (tn + fp),
        "f1": 2 * tp / (2 * tp + fp + fn),
        "accuracy": (tp + tn) / y_true.size,
    }
