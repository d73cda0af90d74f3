"""Tests for course_lib.metrics.classification: scikit-learn is the reference.

Sections: (1) each label metric (accuracy, confusion matrices, precision, recall,
F1, specificity, log-loss) against scikit-learn on random data, (2) a table of
metrics run over the traps (absent classes, zero division, one class, string
labels, batch size 1, torch tensors), (3) Hypothesis properties, (4) input errors.
"""

import functools
import re
import warnings

import numpy as np
import pytest
import torch
from helpers import (
    RTOL,
    SEEDS,
    assert_same,
    binary_data,
    label_pairs,
    multiclass_data,
    quiet,
    score_data,
    to_numpy,
)
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as skm

from course_lib import metrics
from course_lib.metrics import UndefinedMetricWarning

pytestmark = pytest.mark.ch02


AVERAGES = ["micro", "macro", "weighted", None]


ZERO_DIVISIONS = [0, 1, np.nan]


PRF = [
    pytest.param(metrics.precision_score, skm.precision_score, id="precision"),
    pytest.param(metrics.recall_score, skm.recall_score, id="recall"),
    pytest.param(metrics.f1_score, skm.f1_score, id="f1"),
    pytest.param(
        metrics.precision_recall_fscore_support, skm.precision_recall_fscore_support, id="prfs"
    ),
]


# --------------------------------------------------------------------------- #
# 1. Against scikit-learn
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_matches_sklearn(seed):
    """Does accuracy equal scikit-learn's on binary and multiclass labels?"""
    for y_true, y_pred in (binary_data(seed), multiclass_data(seed)):
        ours = metrics.accuracy_score(y_true, y_pred)
        assert isinstance(ours, float)
        assert_same(ours, skm.accuracy_score(y_true, y_pred))


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
@pytest.mark.parametrize(
    "labels",
    [None, [3, 1, 0, 2], [0, 1, 2, 3, 7], [2, 0]],
    ids=["default", "permuted", "extra-absent", "subset"],
)
def test_confusion_matrix_matches_sklearn(normalize, labels):
    """Does the confusion matrix match for every label order and normalisation?"""
    y_true, y_pred = multiclass_data(3)
    ours = metrics.confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    theirs = skm.confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    assert_same(ours, theirs)
    if normalize is None:
        assert np.issubdtype(ours.dtype, np.integer)
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours.dtype == np.float64


def test_confusion_matrix_normalize_with_empty_row_gives_zeros():
    """Does a class with no true samples get a row of zeros (not NaN) with normalize='true'?"""
    y_true, y_pred = [0, 0, 1, 1], [0, 2, 1, 2]
    ours = metrics.confusion_matrix(y_true, y_pred, normalize="true")
    np.testing.assert_array_equal(ours[2], [0.0, 0.0, 0.0])
    assert_same(ours, skm.confusion_matrix(y_true, y_pred, normalize="true"))


@pytest.mark.parametrize(
    "labels", [None, [3, 1, 0, 2], [0, 1, 2, 3, 9]], ids=["default", "permuted", "extra-absent"]
)
@pytest.mark.parametrize("seed", SEEDS)
def test_multilabel_confusion_matrix_matches_sklearn(seed, labels):
    """Are the one-vs-rest [[TN, FP], [FN, TP]] matrices scikit-learn's?"""
    y_true, y_pred = multiclass_data(seed)
    ours = metrics.multilabel_confusion_matrix(y_true, y_pred, labels=labels)
    np.testing.assert_array_equal(
        ours, skm.multilabel_confusion_matrix(y_true, y_pred, labels=labels)
    )


def test_multilabel_confusion_matrix_with_subset_of_labels():
    """Does a subset of labels keep the counts over all samples, as scikit-learn does?"""
    # class 1: sample 1 (true 1, predicted 2) is a FN; samples 0 and 2 are TN
    y_true, y_pred = [0, 1, 2], [0, 2, 2]
    ours = metrics.multilabel_confusion_matrix(y_true, y_pred, labels=[0, 1])
    np.testing.assert_array_equal(ours, [[[2, 0], [0, 1]], [[2, 0], [1, 0]]])
    np.testing.assert_array_equal(
        ours, skm.multilabel_confusion_matrix(y_true, y_pred, labels=[0, 1])
    )


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize(("ours", "theirs"), PRF)
@pytest.mark.parametrize("seed", SEEDS)
def test_prf_multiclass_matches_sklearn(ours, theirs, average, zero_division, seed):
    """Do precision, recall, F1 and support match for every average and zero_division?"""
    y_true, y_pred = multiclass_data(seed, n=40, n_classes=5)
    y_pred[y_pred == 4] = 3  # class 4 is never predicted: precision 0/0
    kwargs = {"average": average, "zero_division": zero_division}
    assert_same(ours(y_true, y_pred, **kwargs), quiet(theirs, y_true, y_pred, **kwargs))


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
@pytest.mark.parametrize("pos_label", [1, 0])
@pytest.mark.parametrize(("ours", "theirs"), PRF)
@pytest.mark.parametrize("seed", SEEDS)
def test_prf_binary_matches_sklearn(ours, theirs, pos_label, zero_division, seed):
    """Does average='binary' report pos_label's precision, recall and F1 as scikit-learn?"""
    y_true, y_pred = binary_data(seed)
    kwargs = {"average": "binary", "pos_label": pos_label, "zero_division": zero_division}
    assert_same(ours(y_true, y_pred, **kwargs), quiet(theirs, y_true, y_pred, **kwargs))


@pytest.mark.parametrize("labels", [[3, 0], [0, 1, 2, 3, 4, 5]], ids=["subset", "extra"])
@pytest.mark.parametrize("average", AVERAGES)
def test_prfs_with_labels_matches_sklearn(average, labels):
    """Do labels= select and order the classes (absent ones included) as scikit-learn?"""
    y_true, y_pred = multiclass_data(4)
    kwargs = {"average": average, "labels": labels, "zero_division": 0}
    assert_same(
        metrics.precision_recall_fscore_support(y_true, y_pred, **kwargs),
        quiet(skm.precision_recall_fscore_support, y_true, y_pred, **kwargs),
    )


def specificity_reference(y_true, y_pred, *, labels=None, average, zero_division):
    """TN / (TN + FP) read off scikit-learn's one-vs-rest matrices."""
    mcm = skm.multilabel_confusion_matrix(y_true, y_pred, labels=labels)
    tn, fp, fn, tp = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0], mcm[:, 1, 1]
    if average == "micro":
        tn, fp = tn.sum(keepdims=True), fp.sum(keepdims=True)
    with np.errstate(invalid="ignore"):
        per_class = np.where(tn + fp > 0, tn / (tn + fp), zero_division)
    if average is None:
        return per_class
    kept = ~np.isnan(per_class)
    if not kept.any():
        return np.nan
    if average == "weighted":
        return float(np.average(per_class[kept], weights=(tp + fn)[kept]))
    return float(per_class[kept].mean())


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("seed", SEEDS)
def test_specificity_matches_formula(average, zero_division, seed):
    """Is specificity TN / (TN + FP) per class, averaged like the other scores?"""
    y_true, y_pred = multiclass_data(seed)
    ours = metrics.specificity_score(y_true, y_pred, average=average, zero_division=zero_division)
    expected = specificity_reference(y_true, y_pred, average=average, zero_division=zero_division)
    assert_same(ours, expected)


def test_specificity_all_predicted_one_class_uses_zero_division():
    """Is a class with TN + FP = 0 (no sample outside it) given the zero_division value?"""
    # class 0: both samples (true 1) are predicted 0: TN = 0, FP = 2 -> 0.0
    # class 1: both samples are true 1: TN = 0, FP = 0 -> 0/0 -> zero_division = 1
    y_true, y_pred = [1, 1], [0, 0]
    ours = metrics.specificity_score(y_true, y_pred, average=None, zero_division=1)
    np.testing.assert_array_equal(ours, [0.0, 1.0])
    expected = specificity_reference(y_true, y_pred, average=None, zero_division=1)
    assert_same(ours, expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_specificity_is_recall_of_the_negative_class(seed):
    """Is binary specificity scikit-learn's recall with pos_label=0?"""
    y_true, y_pred = binary_data(seed)
    assert_same(
        metrics.specificity_score(y_true, y_pred), skm.recall_score(y_true, y_pred, pos_label=0)
    )


def test_weighted_specificity_when_kept_classes_have_no_support():
    """With zero_division=nan, do zero-support classes average like scikit-learn's _nanaverage?"""
    # one sample, true 1 predicted 2, labels [1, 0, 3]:
    # class 1: TN = 0, FP = 0 -> NaN (left out); classes 0 and 3: TN = 1, FP = 0 -> 1.0,
    # support 0 each, so all the remaining weights are 0.
    ours = metrics.specificity_score(
        [1], [2], labels=[1, 0, 3], average="weighted", zero_division=np.nan
    )
    assert ours == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_log_loss_binary_matches_sklearn(seed):
    """Does log_loss on 1-D probabilities of the positive class match, extremes included?"""
    y_true, y_prob = score_data(seed)
    y_prob[:4] = [1.0, 0.0, 0.0, 1.0]  # two confident mistakes, two confident hits: clipped
    assert_same(metrics.log_loss(y_true, y_prob), skm.log_loss(y_true, y_prob))
    assert np.isfinite(metrics.log_loss(y_true, y_prob))


@pytest.mark.parametrize("seed", SEEDS)
def test_log_loss_multiclass_matches_sklearn(seed):
    """Does log_loss on (n, k) probabilities (columns in sorted label order) match?"""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(50, 4))
    y_prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = rng.integers(0, 4, 50)
    y_true[:4] = [0, 1, 2, 3]
    assert_same(metrics.log_loss(y_true, y_prob), skm.log_loss(y_true, y_prob))
    # a class absent from y_true, named through labels=
    y_true[y_true == 2] = 1
    assert_same(
        metrics.log_loss(y_true, y_prob, labels=[0, 1, 2, 3]),
        skm.log_loss(y_true, y_prob, labels=[0, 1, 2, 3]),
    )


def test_log_loss_with_string_labels_uses_sorted_columns():
    """Are the columns read in sorted label order ("bird" < "cat" < "dog")?"""
    y_true = ["cat", "dog", "bird"]
    y_prob = [[0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.5, 0.25, 0.25]]
    expected = -np.mean(np.log([0.7, 0.8, 0.5]))
    np.testing.assert_allclose(metrics.log_loss(y_true, y_prob), expected, rtol=RTOL, atol=0)
    assert_same(metrics.log_loss(y_true, y_prob), skm.log_loss(y_true, y_prob))


# --------------------------------------------------------------------------- #
# 2. A table of metrics over the traps
# --------------------------------------------------------------------------- #
# (name, ours, scikit-learn's, fixed kwargs, case kwargs the metric accepts)
_PRF_ARGS = {"labels", "pos_label"}


LABEL_METRICS = [
    ("accuracy", metrics.accuracy_score, skm.accuracy_score, {}, set()),
    ("confusion_matrix", metrics.confusion_matrix, skm.confusion_matrix, {}, {"labels"}),
    (
        "confusion_matrix_true",
        metrics.confusion_matrix,
        skm.confusion_matrix,
        {"normalize": "true"},
        {"labels"},
    ),
    (
        "multilabel_confusion_matrix",
        metrics.multilabel_confusion_matrix,
        skm.multilabel_confusion_matrix,
        {},
        {"labels"},
    ),
]


for _avg in ["micro", "macro", "weighted", None]:
    for _zd in ZERO_DIVISIONS:
        LABEL_METRICS += [
            (
                f"{fn.__name__}[{_avg},{_zd}]",
                fn,
                sk_fn,
                {"average": _avg, "zero_division": _zd},
                _PRF_ARGS,
            )
            for fn, sk_fn in [
                (metrics.precision_score, skm.precision_score),
                (metrics.recall_score, skm.recall_score),
                (metrics.f1_score, skm.f1_score),
            ]
        ]


LABEL_METRICS.append(
    (
        "prfs[None,0]",
        metrics.precision_recall_fscore_support,
        skm.precision_recall_fscore_support,
        {"average": None, "zero_division": 0},
        _PRF_ARGS,
    )
)


BINARY_METRICS = [
    (
        f"{fn.__name__}[binary,{zd}]",
        fn,
        sk_fn,
        {"average": "binary", "zero_division": zd},
        {"pos_label"},
    )
    for fn, sk_fn in [
        (metrics.precision_score, skm.precision_score),
        (metrics.recall_score, skm.recall_score),
        (metrics.f1_score, skm.f1_score),
        (metrics.precision_recall_fscore_support, skm.precision_recall_fscore_support),
    ]
    for zd in ZERO_DIVISIONS
]


_t = torch.tensor([0, 9, 2, 9, 1, 9, 2, 9, 0, 9, 1, 9])  # [::2] is non-contiguous


MULTICLASS_CASES = [
    pytest.param([0, 1, 2, 2, 1, 0], [0, 0, 2, 2, 0, 0], {}, id="class-absent-from-y_pred"),
    pytest.param(
        [0, 1, 1, 0, 2],
        [0, 1, 3, 0, 2],
        {"labels": [0, 1, 2, 3, 4]},
        id="class-absent-from-y_true-in-labels",
    ),
    pytest.param([2, 2, 2], [2, 2, 2], {}, id="single-class"),
    pytest.param([1], [0], {}, id="batch-size-1"),
    pytest.param(
        ["cat", "dog", "bird", "dog"], ["cat", "cat", "bird", "dog"], {}, id="string-labels"
    ),
    pytest.param(
        torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([0, 2, 2, 0, 1, 1]), {}, id="torch"
    ),
    pytest.param(_t[::2], torch.tensor([0, 1, 2, 1, 0, 1]), {}, id="torch-non-contiguous"),
]


BINARY_CASES = [
    pytest.param([0, 1, 0, 1], [0, 0, 0, 0], {}, id="no-predicted-positives"),
    pytest.param([0, 0, 0, 0], [0, 1, 0, 0], {}, id="no-true-positives"),
    pytest.param([0, 0, 0], [0, 0, 0], {}, id="single-class-negative"),
    pytest.param([1, 1, 1], [1, 1, 1], {}, id="single-class-positive"),
    pytest.param([1], [1], {}, id="batch-size-1"),
    pytest.param([0], [1], {}, id="batch-size-1-wrong"),
    pytest.param(
        ["ham", "spam", "spam", "ham", "spam"],
        ["spam", "spam", "ham", "ham", "spam"],
        {"pos_label": "spam"},
        id="string-labels-pos_label",
    ),
    pytest.param([0, 1, 1, 0, 1], [1, 1, 0, 0, 0], {"pos_label": 0}, id="pos_label-0"),
    pytest.param(
        torch.tensor([0, 1, 1, 0, 1, 1]), torch.tensor([0, 1, 0, 1, 1, 1]), {}, id="torch"
    ),
    pytest.param(
        torch.tensor([0, 1, 1, 0, 1, 1])[::2],
        torch.tensor([1, 0, 0, 1, 1, 0])[1::2],
        {},
        id="torch-non-contiguous",
    ),
]


def run_table_entry(entry, y_true, y_pred, case_kwargs):
    _, ours, theirs, fixed, accepts = entry
    kwargs = {**fixed, **{k: v for k, v in case_kwargs.items() if k in accepts}}
    got = quiet(ours, y_true, y_pred, **kwargs)
    assert_same(got, quiet(theirs, to_numpy(y_true), to_numpy(y_pred), **kwargs))


@pytest.mark.parametrize("entry", LABEL_METRICS, ids=[e[0] for e in LABEL_METRICS])
@pytest.mark.parametrize(("y_true", "y_pred", "case_kwargs"), MULTICLASS_CASES)
def test_table_multiclass_traps_match_sklearn(entry, y_true, y_pred, case_kwargs):
    """Does every counting metric match scikit-learn on each multiclass trap?"""
    run_table_entry(entry, y_true, y_pred, case_kwargs)


@pytest.mark.parametrize(
    "entry", LABEL_METRICS + BINARY_METRICS, ids=[e[0] for e in LABEL_METRICS + BINARY_METRICS]
)
@pytest.mark.parametrize(("y_true", "y_pred", "case_kwargs"), BINARY_CASES)
def test_table_binary_traps_match_sklearn(entry, y_true, y_pred, case_kwargs):
    """Does every counting metric match scikit-learn on each binary trap?"""
    run_table_entry(entry, y_true, y_pred, case_kwargs)


# zero division: the value is set by zero_division, a warning only for "warn"
ZERO_DIVISION_CASES = [
    pytest.param(
        metrics.precision_score,
        [0, 1, 0, 1],
        [0, 0, 0, 0],
        "Precision",
        id="precision-no-predicted-positives",
    ),
    pytest.param(
        metrics.recall_score, [0, 0, 0, 0], [0, 1, 0, 0], "Recall", id="recall-no-true-positives"
    ),
    pytest.param(metrics.f1_score, [0, 0, 0], [0, 0, 0], "F1", id="f1-nothing-positive"),
    pytest.param(
        metrics.specificity_score, [1, 1], [1, 1], "Specificity", id="specificity-no-negatives"
    ),
]


@pytest.mark.parametrize(("fn", "y_true", "y_pred", "what"), ZERO_DIVISION_CASES)
def test_zero_division_warn_warns_and_returns_zero(fn, y_true, y_pred, what):
    """Does zero_division='warn' (the default) warn, naming the ratio, and give 0.0?"""
    with pytest.warns(UndefinedMetricWarning) as record:
        value = fn(y_true, y_pred)
    # one warning, about the ratio this function returns (not about the others)
    assert [str(w.message).split(" is ill-defined")[0] for w in record] == [what]
    assert value == 0.0


@pytest.mark.parametrize("zero_division", [0, 1, np.nan])
@pytest.mark.parametrize(("fn", "y_true", "y_pred", "what"), ZERO_DIVISION_CASES)
def test_zero_division_value_is_used_silently(fn, y_true, y_pred, what, zero_division):
    """Does an explicit zero_division give that value without any warning?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = fn(y_true, y_pred, zero_division=zero_division)
    np.testing.assert_equal(value, zero_division)


@pytest.mark.parametrize(
    "fn",
    [
        metrics.specificity_score,
        metrics.precision_recall_fscore_support,
        metrics.precision_score,
        metrics.recall_score,
        metrics.f1_score,
    ],
    ids=lambda fn: fn.__name__,
)
def test_zero_division_warning_points_at_the_caller(fn):
    """Is the warning reported at the caller's line (stacklevel), not inside course_lib?"""
    with pytest.warns(UndefinedMetricWarning) as record:
        fn([0, 0], [0, 0], labels=[0, 1], average=None)
    assert {w.filename for w in record} == {__file__}


@pytest.mark.parametrize(
    ("fn", "y_true", "y_pred"),
    [
        # no true positives (recall 0/0) but one predicted positive: precision = 0/1
        pytest.param(metrics.precision_score, [0, 0, 0], [1, 0, 0], id="precision"),
        # no predicted positives (precision 0/0) but two true ones: recall = 0/2
        pytest.param(metrics.recall_score, [0, 1, 0, 1], [0, 0, 0, 0], id="recall"),
        # precision 0/0 but F1 = 0 / (0 + 0 + 2) is defined
        pytest.param(metrics.f1_score, [0, 1, 0, 1], [0, 0, 0, 0], id="f1"),
    ],
)
def test_no_warning_when_the_returned_score_is_defined(fn, y_true, y_pred):
    """Does a score stay silent when only another ratio would be 0/0 (as in scikit-learn)?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        assert fn(y_true, y_pred) == 0.0
        assert getattr(skm, fn.__name__)(y_true, y_pred) == 0.0  # scikit-learn is silent too


def test_prf_with_labels_only_in_y_pred_matches_sklearn():
    """Can one ask for the precision of a class that the model predicts but never occurs?"""
    y_true, y_pred = [0, 0, 0, 0], [0, 0, 0, 1]
    kwargs = {"labels": [1], "average": "macro", "zero_division": 0}
    assert_same(
        metrics.precision_score(y_true, y_pred, **kwargs),
        skm.precision_score(y_true, y_pred, **kwargs),
    )


SCORES_IN_UNIT_INTERVAL = [
    lambda t, p: metrics.accuracy_score(t, p),
    *[
        functools.partial(fn, average=avg, zero_division=0)
        for fn in (
            metrics.precision_score,
            metrics.recall_score,
            metrics.f1_score,
            metrics.specificity_score,
        )
        for avg in ("micro", "macro", "weighted", None)
    ],
]


@given(label_pairs())
def test_counting_scores_lie_in_unit_interval(pair):
    """Is every counting score (and per-class score) in [0, 1]?"""
    y_true, y_pred = pair
    for score in SCORES_IN_UNIT_INTERVAL:
        value = np.asarray(score(y_true, y_pred))
        assert np.all((value >= 0) & (value <= 1)), value


@given(label_pairs())
def test_swapping_y_true_and_y_pred(pair):
    """Are accuracy and micro-F1 symmetric, and does the confusion matrix transpose?"""
    y_true, y_pred = pair
    assert metrics.accuracy_score(y_true, y_pred) == metrics.accuracy_score(y_pred, y_true)
    assert metrics.f1_score(y_true, y_pred, average="micro") == metrics.f1_score(
        y_pred, y_true, average="micro"
    )
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_pred, y_true), metrics.confusion_matrix(y_true, y_pred).T
    )


ORDER_INVARIANT = {
    "accuracy": lambda t, p: metrics.accuracy_score(t, p),
    "confusion_matrix": lambda t, p: metrics.confusion_matrix(t, p),
    "confusion_matrix_all": lambda t, p: metrics.confusion_matrix(t, p, normalize="all"),
    "multilabel_confusion_matrix": lambda t, p: metrics.multilabel_confusion_matrix(t, p),
    **{
        f"{fn.__name__}[{avg}]": functools.partial(fn, average=avg, zero_division=np.nan)
        for fn in (
            metrics.precision_score,
            metrics.recall_score,
            metrics.f1_score,
            metrics.specificity_score,
        )
        for avg in ("micro", "macro", "weighted", None)
    },
}


@given(label_pairs(), st.randoms(use_true_random=False))
def test_counting_metrics_ignore_sample_order(pair, rnd):
    """Is every counting metric unchanged by a permutation of the samples?"""
    y_true, y_pred = pair
    perm = np.array(rnd.sample(range(y_true.size), y_true.size))
    for name, metric in ORDER_INVARIANT.items():
        assert_same(metric(y_true[perm], y_pred[perm]), metric(y_true, y_pred), name)


@given(label_pairs())
def test_f1_lies_between_precision_and_recall(pair):
    """Is F1, a harmonic mean, between min and max of precision and recall, per class?"""
    y_true, y_pred = pair
    precision, recall, f1, _ = metrics.precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=0
    )
    low, high = np.minimum(precision, recall), np.maximum(precision, recall)
    assert np.all(low - 1e-12 <= f1) and np.all(f1 <= high + 1e-12)


# --------------------------------------------------------------------------- #
# 4. Input errors: the message names the argument
# --------------------------------------------------------------------------- #
ERRORS = [
    # (call, exception, pattern that must appear in the message)
    pytest.param(
        lambda: metrics.accuracy_score([0, 1, 1], [0, 1]),
        ValueError,
        "y_true and y_pred must have the same length",
        id="length-mismatch",
    ),
    pytest.param(
        lambda: metrics.f1_score([0, 1], [[0, 1]]), ValueError, "y_pred must be 1-D", id="2d-y_pred"
    ),
    pytest.param(
        lambda: metrics.confusion_matrix([[0], [1]], [0, 1]),
        ValueError,
        "y_true must be 1-D",
        id="2d-y_true",
    ),
    pytest.param(lambda: metrics.accuracy_score([], []), ValueError, "y_true is empty", id="empty"),
    pytest.param(
        lambda: metrics.precision_score([0, 1, 1], [0.2, 0.7, 0.9]),
        ValueError,
        "y_pred must hold class labels",
        id="scores-as-labels",
    ),
    pytest.param(
        lambda: metrics.accuracy_score([0.0, np.nan], [0, 1]),
        ValueError,
        "y_true contains NaN",
        id="nan-label",
    ),
    pytest.param(
        lambda: metrics.accuracy_score(["a", "b"], [0, 1]),
        TypeError,
        "y_true and y_pred mix string and numeric",
        id="mixed-label-types",
    ),
    pytest.param(
        lambda: metrics.f1_score([0, 1, 2], [0, 1, 2]),
        ValueError,
        "average='binary'",
        id="binary-with-3-classes",
    ),
    pytest.param(
        lambda: metrics.recall_score([0, 1, 1], [0, 1, 0], pos_label=2),
        ValueError,
        "pos_label=2",
        id="pos_label-absent",
    ),
    pytest.param(
        lambda: metrics.precision_score(["a", "b"], ["a", "b"]),
        ValueError,
        "pos_label=1",
        id="string-labels-without-pos_label",
    ),
    pytest.param(
        lambda: metrics.f1_score([0, 1], [0, 1], average="samples"),
        ValueError,
        "average must be one of",
        id="bad-average",
    ),
    pytest.param(
        lambda: metrics.log_loss([0, 1], [0.2, 1.3]),
        ValueError,
        r"y_prob must be probabilities in \[0, 1\]",
        id="log_loss-above-1",
    ),
    pytest.param(
        lambda: metrics.log_loss([0, 1], [-0.1, 0.5]),
        ValueError,
        r"y_prob must be probabilities in \[0, 1\]",
        id="log_loss-negative",
    ),
    pytest.param(
        lambda: metrics.log_loss([0, 1], [0.2, np.nan]),
        ValueError,
        "y_prob must be probabilities",
        id="log_loss-nan",
    ),
    pytest.param(
        lambda: metrics.log_loss([0, 1, 2], [[0.5, 0.4, 0.2], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]),
        ValueError,
        "each row of y_prob must sum to 1",
        id="log_loss-row-sum",
    ),
    pytest.param(
        lambda: metrics.log_loss([0, 1, 2], [[0.5, 0.5], [0.2, 0.8], [0.1, 0.9]]),
        ValueError,
        r"y_prob must have shape \(3, 3\)",
        id="log_loss-shape",
    ),
    pytest.param(
        lambda: metrics.log_loss([1, 1], [0.5, 0.8]),
        ValueError,
        "labels=",
        id="log_loss-single-class",
    ),
    pytest.param(
        lambda: metrics.log_loss([0, 3], [[0.5, 0.5], [0.2, 0.8]], labels=[0, 1]),
        ValueError,
        "y_true has labels outside labels",
        id="log_loss-unknown-label",
    ),
    pytest.param(
        lambda: metrics.f1_score([0, 1], [0, 1], zero_division="ignore"),
        ValueError,
        "zero_division",
        id="zero_division-string",
    ),
    pytest.param(
        lambda: metrics.recall_score([0, 1], [0, 1], zero_division=0.5),
        ValueError,
        "zero_division",
        id="zero_division-0.5",
    ),
    pytest.param(
        lambda: metrics.specificity_score([0, 1], [0, 1], zero_division=-1),
        ValueError,
        "zero_division",
        id="zero_division-specificity",
    ),
    pytest.param(
        lambda: metrics.confusion_matrix([0, 1], [0, 1], normalize="rows"),
        ValueError,
        "normalize",
        id="bad-normalize",
    ),
    pytest.param(
        lambda: metrics.confusion_matrix([0, 1], [0, 1], labels=[0, 0]),
        ValueError,
        "labels must not repeat",
        id="repeated-labels",
    ),
    pytest.param(
        lambda: metrics.confusion_matrix([0, 1], [0, 1], labels=[]),
        ValueError,
        "labels must be a non-empty",
        id="empty-labels",
    ),
    pytest.param(
        lambda: metrics.confusion_matrix([0, 1], [0, 1], labels=[5, 6]),
        ValueError,
        r"none of labels=\[5, 6\]",
        id="labels-not-in-y_true",
    ),
]


@pytest.mark.parametrize(("call", "exception", "pattern"), ERRORS)
def test_bad_input_raises_naming_the_argument(call, exception, pattern):
    """Is bad input rejected with a message that names the argument and the problem?"""
    with pytest.raises(exception, match=pattern):
        call()


def test_scores_as_labels_message_shows_the_value():
    """Does the message show the first offending value and suggest the likely mistake?"""
    with pytest.raises(ValueError, match=re.escape("non-integer value 0.7")) as info:
        metrics.accuracy_score([0, 1, 1], [0.0, 0.7, 1.0])
    assert "scores instead of labels" in str(info.value)


def test_integer_valued_float_labels_are_accepted():
    """Are float labels such as 0.0 / 1.0 (a model's rounded output) accepted as labels?"""
    assert metrics.accuracy_score([0, 1, 1], np.array([0.0, 1.0, 0.0])) == pytest.approx(
        2 / 3, rel=RTOL
    )
