"""Metrics for predicted labels: confusion matrices, precision, recall, F1, specificity, log-loss.

Signatures follow ``sklearn.metrics._classification`` so that a test can
swap the two: ``(y_true, y_pred, *, keyword_only=...)``. The confusion
matrix has the true class in rows and the predicted class in columns,
``C[i, j]`` = number of samples of class ``i`` predicted as ``j``.

See the book: 02_metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course_lib.metrics._base import _check_zero_division, _divide
from course_lib.validation import check_label_pair, check_labels, to_numpy

__all__ = [
    *("accuracy_score", "confusion_matrix", "f1_score", "log_loss"),
    *("multilabel_confusion_matrix", "normalize_confusion_matrix"),
    *("precision_recall_fscore_support", "precision_score", "recall_score", "specificity_score"),
]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """Fraction of correct predictions, (TP + TN) / (TP + TN + FP + FN).

    >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    y_true, y_pred = check_label_pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _resolve_labels(y_true, y_pred, labels, *, require_in_true: bool = True) -> np.ndarray:
    """The labels to report, in order: the given ones (checked) or all that occur.

    A confusion matrix needs at least one listed label in ``y_true``; a per-class
    score does not (the precision of a class that is only ever predicted is 0).
    """
    present = np.union1d(y_true, y_pred)
    if labels is None:
        return present
    labels = to_numpy(labels, "labels")
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D list, got shape {labels.shape}")
    if np.unique(labels).size != labels.size:
        raise ValueError(f"labels must not repeat a label, got {labels.tolist()}")
    if require_in_true and not np.any(np.isin(y_true, labels)):
        raise ValueError(f"none of labels={labels.tolist()} occurs in y_true")
    return labels


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Counts for validated inputs; samples whose labels are not listed are ignored."""
    index = {label: k for k, label in enumerate(np.asarray(labels).tolist())}
    rows = np.array([index.get(v, -1) for v in y_true.tolist()], dtype=np.int64)
    cols = np.array([index.get(v, -1) for v in y_pred.tolist()], dtype=np.int64)
    keep = (rows >= 0) & (cols >= 0)
    cm = np.zeros((len(index), len(index)), dtype=np.int64)
    np.add.at(cm, (rows[keep], cols[keep]), 1)
    return cm


def _one_vs_rest(cm: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-class (tp, fp, fn, tn) read off a confusion matrix."""
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    return tp, fp, fn, cm.sum() - tp - fp - fn


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence | None = None,
    normalize: str | None = None,
) -> np.ndarray:
    """Confusion matrix C with C[i, j] = #samples of true class i predicted as j.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted class labels.
    labels : array-like of shape (n_classes,), optional
        The classes, in the order of the rows and columns. Default: the sorted
        union of the labels in ``y_true`` and ``y_pred``. Samples whose labels
        are not listed are ignored.
    normalize : {"true", "pred", "all"}, optional
        Divide by the row sums (each row is then a recall), the column sums
        (each column a precision) or the total. Empty rows/columns give 0.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        Integer counts, or float64 when normalized.

    >>> confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1])
    array([[1, 1],
           [0, 2]])

    See the book: 02_metrics.
    """
    y_true, y_pred = check_label_pair(y_true, y_pred)
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f'normalize must be None, "true", "pred" or "all", got {normalize!r}')
    cm = _confusion(y_true, y_pred, _resolve_labels(y_true, y_pred, labels))
    return cm if normalize is None else normalize_confusion_matrix(cm, normalize)


def normalize_confusion_matrix(cm: Any, normalize: str) -> np.ndarray:
    """Divide counts by the row sums ("true"), column sums ("pred") or total ("all").

    A row or column with no samples gives 0, not NaN.

    >>> normalize_confusion_matrix([[1, 1], [0, 2]], "true")
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    if normalize not in ("true", "pred", "all"):
        raise ValueError(f'normalize must be "true", "pred" or "all", got {normalize!r}')
    cm = np.asarray(cm)
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    total = cm.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(cm / total)


def multilabel_confusion_matrix(
    y_true: Any, y_pred: Any, *, labels: Sequence | None = None
) -> np.ndarray:
    """One-vs-rest 2x2 matrices [[TN, FP], [FN, TP]], one per class.

    Returns
    -------
    ndarray of shape (n_classes, 2, 2)

    >>> multilabel_confusion_matrix([0, 1, 2], [0, 2, 2])[2]
    array([[1, 1],
           [0, 1]])
    """
    y_true, y_pred = check_label_pair(y_true, y_pred)
    labels = _resolve_labels(y_true, y_pred, labels)
    tp, fp, fn, tn = _per_class_counts(y_true, y_pred, labels)
    return np.stack([tn, fp, fn, tp], axis=1).reshape(-1, 2, 2)


def _counts(y_true, y_pred, labels, pos_label, average):
    """Per-class (tp, fp, fn, tn) for the labels that the average uses."""
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    y_true, y_pred = check_label_pair(y_true, y_pred)
    if average == "binary":
        present = np.union1d(y_true, y_pred)
        if present.size > 2:
            raise ValueError(
                f"average='binary' needs two classes but the labels are {present.tolist()}; "
                "choose average='micro', 'macro', 'weighted' or None"
            )
        if pos_label not in present.tolist() and present.size == 2:
            raise ValueError(
                f"pos_label={pos_label!r} is not a valid label: the labels are {present.tolist()}"
            )
        labels = [pos_label]
    else:
        labels = _resolve_labels(y_true, y_pred, labels, require_in_true=False)
    return _per_class_counts(y_true, y_pred, labels)


def _per_class_counts(y_true, y_pred, labels):
    """One-vs-rest (tp, fp, fn, tn) for ``labels``, counted over every sample."""
    # count over every label seen, so that one-vs-rest TN includes all others
    universe = np.union1d(np.union1d(y_true, y_pred), labels)
    tp, fp, fn, tn = _one_vs_rest(_confusion(y_true, y_pred, universe))
    pick = np.searchsorted(universe, labels)
    return tp[pick], fp[pick], fn[pick], tn[pick]


def _average(values: np.ndarray, support: np.ndarray, average: str | None):
    """Combine per-class values; NaN (zero_division=np.nan) classes are left out."""
    if average is None:
        return values
    kept = ~np.isnan(values)
    if not kept.any():
        return float("nan")
    if average == "weighted":
        weights = support[kept]
        if weights.sum() > 0:
            return float(np.average(values[kept], weights=weights))
        # no kept class occurs in y_true: every weight is 0, so fall back to the plain mean
    return float(values[kept].mean())


def precision_recall_fscore_support(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence | None = None,
    pos_label: Any = 1,
    average: str | None = None,
    zero_division: Any = "warn",
):
    """Precision TP/(TP+FP), recall TP/(TP+FN), F1 = 2TP/(2TP+FP+FN) and support.

    Parameters
    ----------
    average : {"binary", "micro", "macro", "weighted"} or None
        ``None`` returns one value per class. ``"micro"`` sums TP, FP and FN
        over the classes first; ``"macro"`` is the plain mean of the per-class
        values; ``"weighted"`` weights each class by its support (its count in
        ``y_true``); ``"binary"`` reports ``pos_label`` only.
    zero_division : {"warn", 0, 1, np.nan}
        Value of a ratio whose denominator is 0 (a class never predicted has no
        precision, a class never present has no recall). ``"warn"`` uses 0 and
        warns. With ``np.nan`` those classes are left out of the averages.

    Returns
    -------
    precision, recall, f1 : float, or ndarray of shape (n_labels,) if average is None
    support : ndarray of shape (n_labels,) or None
        Number of true samples per class; None when averaged.
    """
    return _prfs(
        y_true,
        y_pred,
        labels,
        pos_label,
        average,
        zero_division,
        warn_for=("precision", "recall", "f1"),
    )


def _prfs(y_true, y_pred, labels, pos_label, average, zero_division, *, warn_for):
    """The work of precision_recall_fscore_support; warns only for ``warn_for``."""
    _check_zero_division(zero_division)
    tp, fp, fn, _ = _counts(y_true, y_pred, labels, pos_label, average)
    support = tp + fn
    if average == "micro":
        tp, fp, fn = tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True)
    precision = _divide(tp, tp + fp, zero_division, "Precision", warn="precision" in warn_for)
    recall = _divide(tp, tp + fn, zero_division, "Recall", warn="recall" in warn_for)
    f1 = _divide(2 * tp, 2 * tp + fp + fn, zero_division, "F1", warn="f1" in warn_for)
    if average is None:
        return precision, recall, f1, support
    return (
        _average(precision, support, average),
        _average(recall, support, average),
        _average(f1, support, average),
        None,
    )


def precision_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"
):
    """Precision TP / (TP + FP): of the samples predicted positive, how many are.

    >>> precision_score([0, 1, 1, 0], [1, 1, 1, 0])
    0.6666666666666666
    """
    return _prfs(
        y_true, y_pred, labels, pos_label, average, zero_division, warn_for=("precision",)
    )[0]


def recall_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"
):
    """Recall (sensitivity, TPR) TP / (TP + FN): of the positives, how many are found.

    >>> recall_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _prfs(y_true, y_pred, labels, pos_label, average, zero_division, warn_for=("recall",))[1]


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """F1, the harmonic mean of precision and recall: 2TP / (2TP + FP + FN).

    >>> f1_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    >>> round(f1_score([0, 0, 0, 1, 2], [0, 0, 1, 1, 2], average="macro"), 4)
    0.8222
    """
    return _prfs(y_true, y_pred, labels, pos_label, average, zero_division, warn_for=("f1",))[2]


def specificity_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"
):
    """Specificity (true negative rate) TN / (TN + FP) = 1 - FPR.

    Averages work as in :func:`precision_recall_fscore_support`; a class's
    weight for ``"weighted"`` is its support in ``y_true``.

    >>> specificity_score([0, 0, 1, 1], [0, 1, 1, 1])
    0.5
    """
    _check_zero_division(zero_division)
    tp, fp, fn, tn = _counts(y_true, y_pred, labels, pos_label, average)
    support = tp + fn
    if average == "micro":
        tn, fp = tn.sum(keepdims=True), fp.sum(keepdims=True)
    spec = _divide(tn, tn + fp, zero_division, "Specificity")
    return spec if average is None else _average(spec, support, average)


def log_loss(y_true: Any, y_prob: Any, *, labels: Sequence | None = None) -> float:
    """Mean cross-entropy -1/N sum_i log p_i(y_i) of predicted probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        For two classes, the probability of the larger label; otherwise one
        column per class in sorted label order, each row summing to 1.
        Probabilities are clipped to [eps, 1 - eps] so a confident mistake
        costs a large but finite amount.

    >>> round(log_loss([0, 1], [0.1, 0.8]), 4)
    0.1643
    """
    y_true = check_labels(y_true, "y_true")
    prob = to_numpy(y_prob, "y_prob").astype(np.float64)
    if not np.all(np.isfinite(prob)) or prob.min() < 0 or prob.max() > 1:
        raise ValueError(
            f"y_prob must be probabilities in [0, 1], got values in "
            f"[{np.nanmin(prob):.4g}, {np.nanmax(prob):.4g}]; apply a sigmoid or softmax first"
        )
    if prob.ndim == 1:
        prob = np.stack([1 - prob, prob], axis=1)
    classes = np.unique(y_true if labels is None else to_numpy(labels, "labels"))
    if classes.size < 2:
        raise ValueError(
            f"y_true holds the single label {classes.tolist()}: pass labels= to name "
            "all the classes that y_prob's columns stand for"
        )
    if prob.ndim != 2 or prob.shape != (y_true.size, classes.size):
        raise ValueError(
            f"y_prob must have shape ({y_true.size}, {classes.size}) (one column per class "
            f"{classes.tolist()}), got {np.shape(y_prob)}"
        )
    if not np.all(np.isin(y_true, classes)):
        raise ValueError(f"y_true has labels outside labels={classes.tolist()}")
    if not np.allclose(prob.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("each row of y_prob must sum to 1 (a probability distribution)")
    eps = np.finfo(np.float64).eps
    p = np.clip(prob[np.arange(y_true.size), np.searchsorted(classes, y_true)], eps, 1 - eps)
    return float(-np.mean(np.log(p)))
