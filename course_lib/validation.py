"""Input validation shared by every module: clear errors at the boundary.

Each function names the argument, what was expected and what it received, so
that a student's mistake (scores passed as labels, two arrays of different
lengths, logits where probabilities belong) reads as a sentence, not a
traceback from deep inside NumPy.

>>> check_label_pair([0, 1, 1], [0, 1])
Traceback (most recent call last):
...
ValueError: y_true and y_pred must have the same length, got 3 and 2
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "REDUCTIONS",
    "apply_reduction",
    "binary_targets",
    "check_class_target",
    "check_int",
    "check_label_pair",
    "check_labels",
    "check_real",
    "check_same_shape",
    "check_scores",
    "check_tensor",
    "to_numpy",
]


def to_numpy(
    x: Any, name: str = "value", *, dtype: Any = None, allow_object: bool = False
) -> np.ndarray:
    """Turn a list, array or tensor (any device, with or without grad) into a NumPy array.

    ``name`` is for errors; ``dtype`` (e.g. ``np.float64``) converts the result. An
    array of mixed Python objects is refused unless ``allow_object`` (the students'
    self-checks report it themselves).

    >>> to_numpy(torch.tensor([1, 2]), "x", dtype=np.float64)
    array([1., 2.])
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch.Tensor, without importing torch
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=dtype)
    except Exception as exc:  # ragged lists, strings that are not numbers, exotic inputs
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from exc
    if arr.dtype == object and not allow_object:
        raise TypeError(f"{name} must hold numbers or strings of one kind, got mixed objects")
    return arr


def check_labels(y: Any, name: str) -> np.ndarray:
    """A non-empty 1-D array of class labels (integers, booleans or strings)."""
    arr = to_numpy(y, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per sample), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a metric needs at least one sample")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinity; labels must be finite")
        if not np.all(arr == np.round(arr)):
            bad = arr[arr != np.round(arr)][0].item()
            raise ValueError(
                f"{name} must hold class labels (integers or strings), got the "
                f"non-integer value {bad!r}; did you pass scores instead of labels?"
            )
    elif arr.dtype.kind not in "biuUS":
        raise TypeError(f"{name} must hold integer, boolean or string labels, got {arr.dtype}")
    return arr


def check_label_pair(y_true: Any, y_pred: Any, pred_name: str = "y_pred"):
    """Two label arrays of one length and one kind (numbers or strings)."""
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, pred_name)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true and {pred_name} must have the same length, got "
            f"{y_true.shape[0]} and {y_pred.shape[0]}"
        )
    if (y_true.dtype.kind in "US") != (y_pred.dtype.kind in "US"):
        raise TypeError(
            f"y_true and {pred_name} mix string and numeric labels "
            f"({y_true.dtype} vs {y_pred.dtype})"
        )
    return y_true, y_pred


def check_scores(y_true: Any, y_score: Any, score_name: str, *, probabilities: bool = False):
    """Labels and finite float64 scores of one length; ``probabilities`` requires [0, 1]."""
    y_true = check_labels(y_true, "y_true")
    y_score = to_numpy(y_score, score_name)
    if y_score.ndim != 1:
        raise ValueError(
            f"{score_name} must be 1-D (one score for the positive class per sample), "
            f"got shape {y_score.shape}"
        )
    if y_score.dtype.kind not in "biuf":
        raise TypeError(f"{score_name} must be numeric, got {y_score.dtype}")
    y_score = y_score.astype(np.float64)
    if y_true.shape[0] != y_score.shape[0]:
        raise ValueError(
            f"y_true and {score_name} must have the same length, got "
            f"{y_true.shape[0]} and {y_score.shape[0]}"
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{score_name} contains NaN or infinity")
    if probabilities and (y_score.min() < 0 or y_score.max() > 1):
        raise ValueError(
            f"{score_name} must be probabilities in [0, 1], got values in "
            f"[{y_score.min():.4g}, {y_score.max():.4g}]; apply a sigmoid or softmax first"
        )
    return y_true, y_score


def binary_targets(y_true: np.ndarray, pos_label: Any) -> np.ndarray:
    """Return y_true as a 0/1 float vector, checking that it is binary."""
    classes = np.unique(y_true)
    if classes.size > 2:
        raise ValueError(
            f"y_true must be binary for a curve, got {classes.size} classes {classes.tolist()}"
        )
    if pos_label is None:
        if classes.dtype.kind in "US" or not (
            set(classes.tolist()) <= {0, 1} or set(classes.tolist()) <= {-1, 1}
        ):
            raise ValueError(
                f"y_true has labels {classes.tolist()}: pass pos_label to say which one is "
                "positive (it is inferred only for {0, 1} and {-1, 1})"
            )
        pos_label = 1
    positive = y_true == pos_label
    n_pos = int(positive.sum())
    if n_pos == 0 or n_pos == y_true.size:
        which = "no positive" if n_pos == 0 else "no negative"
        raise ValueError(
            f"y_true has {which} sample (pos_label={pos_label!r}): ROC and PR curves need "
            "both classes"
        )
    return positive.astype(np.float64)


def check_int(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else a ValueError naming ``name``.

    Python and NumPy integers are accepted; ``bool`` is refused although it subclasses
    int (``num_epochs=True`` is a mistake).

    >>> check_int(3, "num_epochs", 1)
    3
    >>> check_int(0, "num_epochs", 1)
    Traceback (most recent call last):
    ...
    ValueError: num_epochs must be an integer >= 1, got 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite real number in the given interval.

    ``low``/``high`` bound the interval (``None``: unbounded); ``low_open``/``high_open``
    exclude the bound itself. The error names the argument and the interval in the
    usual notation, e.g. ``momentum must be a number in [0, 1), got 1.5``.

    >>> check_real(0.9, "momentum", low=0, high=1, high_open=True)
    0.9
    >>> check_real(-1, "lr", low=0)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a number >= 0, got -1
    """
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
    inside = is_number and np.isfinite(value)
    if inside and low is not None:
        inside = value > low if low_open else value >= low
    if inside and high is not None:
        inside = value < high if high_open else value <= high
    if not inside:
        raise ValueError(f"{name} must be a number {_interval(low, high, low_open, high_open)}, "
                         f"got {value!r}")
    return float(value)


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return "(finite)"
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


# --------------------------------------------------------------------------- #
# Tensors: the losses and every later chapter's layers
# --------------------------------------------------------------------------- #
REDUCTIONS = ("mean", "sum", "none")


def check_tensor(x: object, name: str) -> Tensor:
    """``x`` itself if it is a tensor, else a TypeError naming ``name``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x


def check_same_shape(a: Tensor, b: Tensor, name_a: str, name_b: str) -> None:
    """Raise a ValueError naming both arguments when their shapes differ."""
    check_tensor(a, name_a), check_tensor(b, name_b)
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )


def apply_reduction(loss: Tensor, reduction: str, allowed: tuple[str, ...] = REDUCTIONS) -> Tensor:
    """Apply ``reduction`` ("mean", "sum" or "none") to per-element losses."""
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {allowed}, got {reduction!r}")
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def check_class_target(logits: Tensor, target: Tensor, name: str = "logits") -> None:
    """``logits`` of shape (N, C) and integer ``target`` of shape (N,) with values in [0, C)."""
    check_tensor(logits, name), check_tensor(target, "target")
    if logits.ndim != 2:
        raise ValueError(f"{name} must have shape (N, C), got {tuple(logits.shape)}")
    if target.dtype.is_floating_point or target.dtype.is_complex or target.dtype == torch.bool:
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
    if target.shape != logits.shape[:1]:
        raise ValueError(
            f"{name} and target must agree: {name} has shape {tuple(logits.shape)}, so target "
            f"must have shape ({logits.shape[0]},), got {tuple(target.shape)}"
        )
    n_classes = logits.shape[1]
    if target.numel() and (target.min() < 0 or target.max() >= n_classes):
        raise ValueError(
            f"target must hold class indices in [0, {n_classes - 1}] for {n_classes} classes, "
            f"got values in [{int(target.min())}, {int(target.max())}]"
        )
