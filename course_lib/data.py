"""Data sets that work offline: generators and data shipped inside installed packages.

Nothing here downloads. Every function takes a ``random_state`` and returns
the same data for the same seed on every machine.

>>> X_train, X_test, y_train, y_test = load_digits_split()
>>> X_train.shape, X_test.shape
((1347, 64), (450, 64))
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits, make_classification, make_moons
from sklearn.model_selection import train_test_split

__all__ = [
    "load_digits_split",
    "make_imbalanced",
    "make_scores",
    "make_two_moons",
    "make_xor",
]


def _check_fraction(value: float, name: str) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")


def _check_count(value: int, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def make_imbalanced(
    n_samples: int = 2000,
    *,
    positive_fraction: float = 0.05,
    n_features: int = 10,
    class_sep: float = 1.0,
    test_size: float = 0.3,
    random_state: int = 0,
):
    """A binary problem with a rare positive class, split into train and test.

    The split is stratified, so both parts keep the same share of positives.

    Parameters
    ----------
    positive_fraction : float in (0, 1)
        Share of samples in class 1 (for example 0.01 for a screening task).
    class_sep : float
        Larger values make the classes easier to separate.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, n_features), float64
    y_train, y_test : ndarray of shape (n,), int64 with values in {0, 1}
    """
    _check_count(n_samples, "n_samples", 20)
    _check_count(n_features, "n_features", 2)
    _check_fraction(positive_fraction, "positive_fraction")
    _check_fraction(test_size, "test_size")
    if round(n_samples * positive_fraction) < 2:
        raise ValueError(
            f"positive_fraction={positive_fraction!r} of n_samples={n_samples} gives fewer than "
            "2 positives, so train and test cannot both hold one; raise either"
        )
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=min(n_features, 4),
        n_redundant=min(max(n_features - 4, 0), 2),
        weights=[1 - positive_fraction],
        class_sep=class_sep,
        flip_y=0.0,
        random_state=random_state,
    )
    return train_test_split(
        X, y.astype(np.int64), test_size=test_size, stratify=y, random_state=random_state
    )


def make_scores(
    n_samples: int = 1000,
    *,
    positive_fraction: float = 0.5,
    separation: float = 1.5,
    random_state: int = 0,
):
    """Labels and classifier scores in [0, 1], as a trained model would emit them.

    The logit of each sample is drawn from N(+separation/2, 1) for positives
    and N(-separation/2, 1) for negatives, then squashed by a sigmoid. With
    ``separation = d`` the ROC AUC is Phi(d / sqrt(2)) in expectation.

    Returns
    -------
    y_true : ndarray of shape (n_samples,), int64 in {0, 1}
    y_score : ndarray of shape (n_samples,), float64 in [0, 1]
        (strictly inside unless a huge ``separation`` saturates the sigmoid)
    """
    _check_count(n_samples, "n_samples", 2)
    _check_fraction(positive_fraction, "positive_fraction")
    if separation < 0:
        raise ValueError(f"separation must be >= 0, got {separation!r}")
    rng = np.random.default_rng(random_state)
    n_pos = max(1, min(n_samples - 1, round(positive_fraction * n_samples)))
    y_true = np.r_[np.ones(n_pos, dtype=np.int64), np.zeros(n_samples - n_pos, dtype=np.int64)]
    rng.shuffle(y_true)
    logits = rng.normal(loc=np.where(y_true == 1, separation / 2, -separation / 2), scale=1.0)
    return y_true, 1.0 / (1.0 + np.exp(-logits))


def load_digits_split(*, test_size: float = 0.25, scale: bool = True, random_state: int = 0):
    """scikit-learn's 1,797 handwritten digits (8x8, ten classes), split and scaled.

    The images ship inside scikit-learn's wheel, so this works offline.

    Parameters
    ----------
    scale : bool
        Divide the pixel values (0..16) by 16 so they lie in [0, 1].

    Returns
    -------
    X_train, X_test : ndarray of shape (n, 64), float64
    y_train, y_test : ndarray of shape (n,), int64 in 0..9
    """
    _check_fraction(test_size, "test_size")
    digits = load_digits()
    X = digits.data / 16.0 if scale else digits.data
    return train_test_split(
        X,
        digits.target.astype(np.int64),
        test_size=test_size,
        stratify=digits.target,
        random_state=random_state,
    )


def make_xor(n_samples: int = 200, *, noise: float = 0.15, random_state: int = 0):
    """The XOR problem: four clouds at the corners of the square [-1, 1]^2.

    The label is 1 when exactly one coordinate of the cloud's centre is
    positive: x1 XOR x2. No straight line separates the classes. With
    ``noise=0`` the points are the four corners themselves (repeated).

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64 in {0, 1}
    """
    _check_count(n_samples, "n_samples", 4)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(random_state)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    which = np.arange(n_samples) % 4
    rng.shuffle(which)
    X = corners[which] + noise * rng.standard_normal((n_samples, 2))
    y = ((corners[which, 0] > 0) != (corners[which, 1] > 0)).astype(np.int64)
    return X, y


def make_two_moons(
    n_samples: int = 1000,
    *,
    noise: float = 0.2,
    test_size: float = 0.3,
    random_state: int = 0,
):
    """scikit-learn's two interleaving half-circles, split into train and test.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, 2), float64
    y_train, y_test : ndarray of shape (n,), int64 in {0, 1}
    """
    _check_count(n_samples, "n_samples", 10)
    _check_fraction(test_size, "test_size")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return train_test_split(
        X, y.astype(np.int64), test_size=test_size, stratify=y, random_state=random_state
    )
