"""Tests for course_lib.metrics.ranking: scikit-learn is the reference.

Sections: (1) ROC and PR curves, AUC and average precision against scikit-learn on
random data, (2) a table of metrics run over the traps (ties, string labels, torch
tensors), (3) Hypothesis properties, (4) input errors, (5) threshold_metrics by
hand and against roc_curve.
"""

import numpy as np
import pytest
import torch
from helpers import RTOL, SEEDS, assert_same, binary_scores, score_data, to_numpy
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn import metrics as skm

from course_lib import metrics

pytestmark = pytest.mark.ch02


@pytest.mark.parametrize("drop_intermediate", [True, False])
@pytest.mark.parametrize("decimals", [None, 1], ids=["continuous", "ties"])
@pytest.mark.parametrize("seed", SEEDS)
def test_roc_curve_matches_sklearn(seed, decimals, drop_intermediate):
    """Are FPR, TPR and the thresholds (inf first) scikit-learn's, with and without ties?"""
    y_true, y_score = score_data(seed, decimals=decimals)
    ours = metrics.roc_curve(y_true, y_score, drop_intermediate=drop_intermediate)
    theirs = skm.roc_curve(y_true, y_score, drop_intermediate=drop_intermediate)
    assert_same(ours, theirs)
    assert ours[2][0] == np.inf


@pytest.mark.parametrize("drop_intermediate", [True, False])
@pytest.mark.parametrize("decimals", [None, 1], ids=["continuous", "ties"])
@pytest.mark.parametrize("seed", SEEDS)
def test_precision_recall_curve_matches_sklearn(seed, decimals, drop_intermediate):
    """Are precision, recall and thresholds scikit-learn's, with and without ties?"""
    y_true, y_score = score_data(seed, decimals=decimals)
    ours = metrics.precision_recall_curve(y_true, y_score, drop_intermediate=drop_intermediate)
    theirs = skm.precision_recall_curve(y_true, y_score, drop_intermediate=drop_intermediate)
    assert_same(ours, theirs)
    assert ours[0][-1] == 1.0 and ours[1][-1] == 0.0


@pytest.mark.parametrize("decimals", [None, 1], ids=["continuous", "ties"])
@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_and_average_precision_match_sklearn(seed, decimals):
    """Do ROC AUC and AP match scikit-learn (ties count one half in the AUC)?"""
    y_true, y_score = score_data(seed, decimals=decimals)
    assert_same(metrics.roc_auc_score(y_true, y_score), skm.roc_auc_score(y_true, y_score))
    assert_same(
        metrics.average_precision_score(y_true, y_score),
        skm.average_precision_score(y_true, y_score),
    )


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([0, 0.5, 1], [0, 1, 1]),
        ([1, 0.5, 0], [1, 1, 0]),
        ([0, 0, 1, 1], [0, 1, 1, 0.5]),
        ([0.0, 1.0], [3.0, 3.0]),
    ],
    ids=["increasing", "decreasing", "vertical-steps", "two-points"],
)
def test_auc_matches_sklearn(x, y):
    """Is auc the trapezoidal area for increasing and decreasing x?"""
    assert_same(metrics.auc(x, y), skm.auc(x, y))


@pytest.mark.parametrize("seed", SEEDS)
def test_auc_of_roc_points_matches_sklearn(seed):
    """Is auc of the ROC points the same number for both libraries?"""
    fpr, tpr, _ = skm.roc_curve(*score_data(seed))
    assert_same(metrics.auc(fpr, tpr), skm.auc(fpr, tpr))


SCORE_METRICS = [
    ("roc_curve", metrics.roc_curve, skm.roc_curve, {"drop_intermediate": True}),
    ("roc_curve[all]", metrics.roc_curve, skm.roc_curve, {"drop_intermediate": False}),
    (
        "pr_curve",
        metrics.precision_recall_curve,
        skm.precision_recall_curve,
        {"drop_intermediate": False},
    ),
    (
        "pr_curve[drop]",
        metrics.precision_recall_curve,
        skm.precision_recall_curve,
        {"drop_intermediate": True},
    ),
    ("roc_auc_score", metrics.roc_auc_score, skm.roc_auc_score, {}),
    ("average_precision", metrics.average_precision_score, skm.average_precision_score, {}),
]


_s = torch.tensor([0.1, 5.0, 0.4, 5.0, 0.35, 5.0, 0.8, 5.0, 0.35, 5.0], dtype=torch.float64)


SCORE_CASES = [
    pytest.param([0, 0, 1, 1, 0, 1], [0.2, 0.5, 0.5, 0.9, 0.5, 0.2], {}, id="ties"),
    pytest.param([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3], {}, id="all-tied"),
    pytest.param([0, 1], [0.7, 0.2], {}, id="two-samples-reversed"),
    pytest.param([-1, 1, -1, 1, 1], [-2.0, 3.0, 0.5, 0.5, -1.0], {}, id="minus-one-one-logits"),
    pytest.param(
        ["ham", "spam", "spam", "ham"],
        [0.1, 0.8, 0.3, 0.4],
        {"pos_label": "spam"},
        id="string-labels-pos_label",
    ),
    pytest.param([0, 1, 1, 0], [0.1, 0.8, 0.3, 0.4], {"pos_label": 0}, id="pos_label-0"),
    pytest.param(
        torch.tensor([0, 0, 1, 1, 1]),
        torch.tensor([0.1, 0.4, 0.35, 0.8, 0.4]),
        {},
        id="torch-float32",
    ),
    pytest.param(torch.tensor([0, 0, 1, 1, 0]), _s[::2], {}, id="torch-non-contiguous"),
]


@pytest.mark.parametrize("entry", SCORE_METRICS, ids=[e[0] for e in SCORE_METRICS])
@pytest.mark.parametrize(("y_true", "y_score", "case_kwargs"), SCORE_CASES)
def test_table_score_traps_match_sklearn(entry, y_true, y_score, case_kwargs):
    """Does every ranking metric match scikit-learn on ties, labels and tensors?"""
    _, ours, theirs, fixed = entry
    kwargs = {**fixed, **case_kwargs}
    if theirs in (skm.roc_auc_score,) and "pos_label" in kwargs:
        # scikit-learn's roc_auc_score has no pos_label: flip the labels ourselves
        pos = kwargs.pop("pos_label")
        y_sk = (np.asarray(to_numpy(y_true)) == pos).astype(int)
        got = ours(y_true, y_score, pos_label=pos)
        assert_same(got, theirs(y_sk, np.asarray(to_numpy(y_score), dtype=np.float64), **kwargs))
        return
    got = ours(y_true, y_score, **kwargs)
    y_score_sk = np.asarray(to_numpy(y_score), dtype=np.float64)
    assert_same(got, theirs(to_numpy(y_true), y_score_sk, **kwargs))


def test_torch_tensors_with_grad_are_accepted():
    """Can a score tensor that requires grad (a model's output) be passed directly?"""
    logits = torch.tensor([0.3, -1.0, 2.0, 0.1], requires_grad=True)
    y_true = torch.tensor([1, 0, 1, 0])
    ours = metrics.roc_auc_score(y_true, torch.sigmoid(logits))
    assert ours == skm.roc_auc_score([1, 0, 1, 0], [0.3, -1.0, 2.0, 0.1])


@given(binary_scores())
def test_ranking_scores_lie_in_unit_interval(data):
    """Are ROC AUC and AP in [0, 1], and the curves inside the unit square?"""
    y_true, y_score = data
    assert 0 <= metrics.roc_auc_score(y_true, y_score) <= 1
    assert 0 <= metrics.average_precision_score(y_true, y_score) <= 1
    fpr, tpr, _ = metrics.roc_curve(y_true, y_score)
    precision, recall, _ = metrics.precision_recall_curve(y_true, y_score)
    for values in (fpr, tpr, precision, recall):
        assert np.all((values >= 0) & (values <= 1))
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.all(np.diff(recall) <= 0)


ORDER_INVARIANT_SCORES = {
    "roc_curve": metrics.roc_curve,
    "roc_curve[all]": lambda t, s: metrics.roc_curve(t, s, drop_intermediate=False),
    "pr_curve": metrics.precision_recall_curve,
    "pr_curve[drop]": lambda t, s: metrics.precision_recall_curve(t, s, drop_intermediate=True),
    "roc_auc_score": metrics.roc_auc_score,
    "average_precision": metrics.average_precision_score,
    "log_loss": metrics.log_loss,
    "threshold_metrics": lambda t, s: tuple(
        v for k, v in sorted(metrics.threshold_metrics(t, s, 0.5).items())
    ),
}


@given(binary_scores(grid=5), st.randoms(use_true_random=False))
def test_ranking_metrics_ignore_sample_order(data, rnd):
    """Is every ranking metric unchanged by a permutation (ties included)?"""
    y_true, y_score = data
    y_score = y_score / 5
    perm = np.array(rnd.sample(range(y_true.size), y_true.size))
    for name, metric in ORDER_INVARIANT_SCORES.items():
        assert_same(metric(y_true[perm], y_score[perm]), metric(y_true, y_score), name)


@given(binary_scores())
def test_auc_of_negated_scores_is_one_minus_auc(data):
    """Does reversing the ranking (-s) give 1 - AUC, ties counting one half either way?"""
    y_true, y_score = data
    np.testing.assert_allclose(
        metrics.roc_auc_score(y_true, -y_score),
        1 - metrics.roc_auc_score(y_true, y_score),
        rtol=0,
        atol=1e-12,
    )


@given(binary_scores(grid=100))
def test_auc_of_one_minus_score_is_one_minus_auc(data):
    """With scores on a 0.01 grid (so 1 - s keeps the ties), is AUC(1 - s) = 1 - AUC(s)?"""
    y_true, y_score = data
    y_score = y_score / 100
    np.testing.assert_allclose(
        metrics.roc_auc_score(y_true, 1 - y_score),
        1 - metrics.roc_auc_score(y_true, y_score),
        rtol=0,
        atol=1e-12,
    )


@given(binary_scores(grid=40))
def test_auc_invariant_to_increasing_transforms(data):
    """Does a strictly increasing map of the scores leave ROC AUC and AP unchanged?"""
    y_true, y_score = data
    y_score = y_score - 20  # integers in [-20, 20]: every map below keeps them distinct
    auc, ap = (
        metrics.roc_auc_score(y_true, y_score),
        metrics.average_precision_score(y_true, y_score),
    )
    for transform in (
        lambda s: 3 * s + 1,
        lambda s: s**3,
        np.exp,
        lambda s: 1 / (1 + np.exp(-s / 4)),
    ):
        np.testing.assert_allclose(
            metrics.roc_auc_score(y_true, transform(y_score)), auc, rtol=RTOL, atol=0
        )
        np.testing.assert_allclose(
            metrics.average_precision_score(y_true, transform(y_score)), ap, rtol=RTOL, atol=0
        )


@given(st.integers(1, 15), st.integers(1, 15), st.data())
def test_perfect_separation_gives_ap_and_auc_one(n_pos, n_neg, data):
    """Does every positive above every negative give AP = 1 and ROC AUC = 1?"""
    low = st.floats(0, 0.49, allow_nan=False)
    high = st.floats(0.51, 1, allow_nan=False)
    y_score = np.r_[
        data.draw(arrays(np.float64, n_pos, elements=high)),
        data.draw(arrays(np.float64, n_neg, elements=low)),
    ]
    y_true = np.r_[np.ones(n_pos, dtype=int), np.zeros(n_neg, dtype=int)]
    np.testing.assert_allclose(
        metrics.average_precision_score(y_true, y_score), 1.0, rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(metrics.roc_auc_score(y_true, y_score), 1.0, rtol=RTOL, atol=0)


@given(binary_scores(grid=10))
def test_roc_auc_is_probability_positive_outranks_negative(data):
    """Is ROC AUC P(s+ > s-) + P(s+ = s-) / 2 over all positive-negative pairs?"""
    y_true, y_score = data
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    diff = pos[:, None] - neg[None, :]  # (n_pos, n_neg)
    expected = np.mean(diff > 0) + 0.5 * np.mean(diff == 0)
    np.testing.assert_allclose(metrics.roc_auc_score(y_true, y_score), expected, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- #
# 4. Input errors: the message names the argument
# --------------------------------------------------------------------------- #
ERRORS = [
    # (call, exception, pattern that must appear in the message)
    pytest.param(
        lambda: metrics.roc_curve([0, 1, 1], [0.1, 0.2]),
        ValueError,
        "y_true and y_score must have the same length",
        id="length-mismatch-scores",
    ),
    pytest.param(
        lambda: metrics.roc_auc_score([0, 1], [[0.1, 0.9], [0.8, 0.2]]),
        ValueError,
        "y_score must be 1-D",
        id="2d-y_score",
    ),
    pytest.param(
        lambda: metrics.roc_auc_score([0, 1, 1], [0.1, np.nan, 0.3]),
        ValueError,
        "y_score contains NaN",
        id="nan-score",
    ),
    pytest.param(
        lambda: metrics.roc_curve([0, 1, 1], [0.1, np.inf, 0.3]),
        ValueError,
        "y_score contains NaN or infinity",
        id="inf-score",
    ),
    pytest.param(
        lambda: metrics.roc_curve([0, 1], ["a", "b"]),
        TypeError,
        "y_score must be numeric",
        id="string-score",
    ),
    pytest.param(
        lambda: metrics.roc_curve([1, 1, 1], [0.1, 0.5, 0.9]),
        ValueError,
        "y_true has no negative",
        id="roc-single-class",
    ),
    pytest.param(
        lambda: metrics.average_precision_score([0, 0], [0.1, 0.5]),
        ValueError,
        "y_true has no positive",
        id="ap-single-class",
    ),
    pytest.param(
        lambda: metrics.roc_curve([1, 2, 1], [0.1, 0.5, 0.9]),
        ValueError,
        "pos_label",
        id="roc-labels-need-pos_label",
    ),
    pytest.param(
        lambda: metrics.roc_curve([0, 1, 2], [0.1, 0.5, 0.9]),
        ValueError,
        "y_true must be binary",
        id="roc-three-classes",
    ),
    pytest.param(
        lambda: metrics.auc([0, 1, 0.5], [0, 1, 1]),
        ValueError,
        "x must be monotonic",
        id="auc-non-monotonic",
    ),
    pytest.param(
        lambda: metrics.auc([0.5], [1]), ValueError, "at least 2 points", id="auc-one-point"
    ),
    pytest.param(
        lambda: metrics.auc([0, 1], [0, 1, 1]),
        ValueError,
        "x and y must be 1-D of the same length",
        id="auc-shapes",
    ),
    pytest.param(
        lambda: metrics.threshold_metrics([0, 1], [0.2, 0.7], np.nan),
        ValueError,
        "threshold",
        id="threshold-nan",
    ),
]


@pytest.mark.parametrize(("call", "exception", "pattern"), ERRORS)
def test_bad_input_raises_naming_the_argument(call, exception, pattern):
    """Is bad input rejected with a message that names the argument and the problem?"""
    with pytest.raises(exception, match=pattern):
        call()


# --------------------------------------------------------------------------- #
# 5. threshold_metrics
# --------------------------------------------------------------------------- #
# sample   : 0    1    2    3    4    5
# y_true   : 1    1    0    1    0    0
# y_score  : 0.9  0.7  0.6  0.4  0.3  0.1
# threshold 0.5, predicted positive = score >= 0.5 -> samples 0, 1, 2
#   TP = {0, 1} = 2, FP = {2} = 1, FN = {3} = 1, TN = {4, 5} = 2
#   TPR = 2/3, FPR = 1/3, precision = 2/3, specificity = 2/3,
#   F1 = 2*2 / (2*2 + 1 + 1) = 2/3, accuracy = (2 + 2) / 6 = 2/3
HAND_Y = [1, 1, 0, 1, 0, 0]


HAND_S = [0.9, 0.7, 0.6, 0.4, 0.3, 0.1]


def test_threshold_metrics_hand_worked():
    """Are the counts and rates of the hand-worked example right?"""
    point = metrics.threshold_metrics(HAND_Y, HAND_S, 0.5)
    assert (point["tp"], point["fp"], point["fn"], point["tn"]) == (2, 1, 1, 2)
    np.testing.assert_array_equal(point["confusion_matrix"], [[2, 1], [1, 2]])
    expected = {
        "tpr": 2 / 3,
        "fpr": 1 / 3,
        "precision": 2 / 3,
        "specificity": 2 / 3,
        "f1": 2 / 3,
        "accuracy": 4 / 6,
    }
    for key, value in expected.items():
        np.testing.assert_allclose(point[key], value, rtol=RTOL, atol=0, err_msg=key)
    assert point["threshold"] == 0.5


def test_threshold_metrics_score_equal_to_threshold_is_positive():
    """Is a score exactly at the threshold predicted positive (>=)?"""
    # threshold 0.6: sample 2 (score 0.6, a negative) is still a FP; at 0.65 it becomes a TN
    at = metrics.threshold_metrics(HAND_Y, HAND_S, 0.6)
    above = metrics.threshold_metrics(HAND_Y, HAND_S, 0.65)
    assert (at["tp"], at["fp"], at["fn"], at["tn"]) == (2, 1, 1, 2)
    assert (above["tp"], above["fp"], above["fn"], above["tn"]) == (2, 0, 1, 3)
    assert above["precision"] == 1.0


def test_threshold_metrics_above_every_score():
    """With nothing predicted positive, is precision 1.0 (the PR curve's convention)?"""
    point = metrics.threshold_metrics(HAND_Y, HAND_S, np.inf)
    assert (point["tp"], point["fp"], point["fn"], point["tn"]) == (0, 0, 3, 3)
    assert point["precision"] == 1.0 and point["tpr"] == 0.0 and point["f1"] == 0.0


def test_threshold_metrics_string_labels():
    """Does pos_label choose the positive class for string labels?"""
    y_true = ["ham" if y == 0 else "spam" for y in HAND_Y]
    point = metrics.threshold_metrics(y_true, HAND_S, 0.5, pos_label="spam")
    assert (point["tp"], point["fp"], point["fn"], point["tn"]) == (2, 1, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_threshold_metrics_agree_with_the_curves_at_every_threshold(seed):
    """At each roc_curve threshold, are (FPR, TPR) and precision those of the curves?"""
    y_true, y_score = score_data(seed, n=150, decimals=2)  # with ties
    fpr, tpr, thresholds = metrics.roc_curve(y_true, y_score, drop_intermediate=False)
    precision, recall, pr_thresholds = metrics.precision_recall_curve(y_true, y_score)
    pr_at = dict(
        zip(pr_thresholds.tolist(), zip(precision[:-1], recall[:-1], strict=True), strict=True)
    )
    assert len(thresholds) == len(pr_thresholds) + 1  # roc has the extra inf
    for k, threshold in enumerate(thresholds):
        point = metrics.threshold_metrics(y_true, y_score, threshold)
        np.testing.assert_allclose(
            [point["fpr"], point["tpr"]], [fpr[k], tpr[k]], rtol=RTOL, atol=0
        )
        if np.isfinite(threshold):
            np.testing.assert_allclose(
                [point["precision"], point["tpr"]], pr_at[threshold], rtol=RTOL, atol=0
            )
        assert point["tp"] + point["fp"] + point["fn"] + point["tn"] == y_true.size


def test_threshold_metrics_accepts_tensors():
    """Does a torch tensor give the same point as the list?"""
    point = metrics.threshold_metrics(torch.tensor(HAND_Y), torch.tensor(HAND_S), 0.5)
    assert (point["tp"], point["fp"], point["fn"], point["tn"]) == (2, 1, 1, 2)
