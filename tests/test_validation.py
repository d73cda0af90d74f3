"""Do the shared input checks accept good input unchanged and name the culprit otherwise?"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import validation as v


def test_to_numpy_accepts_lists_arrays_and_tensors_with_grad():
    t = torch.arange(6.0, requires_grad=True)[::2]  # non-contiguous, needs detach
    np.testing.assert_array_equal(v.to_numpy(t, "x"), np.array([0.0, 2.0, 4.0]))
    np.testing.assert_array_equal(v.to_numpy([1, 2], "x"), np.array([1, 2]))


def test_to_numpy_rejects_mixed_objects():
    with pytest.raises(TypeError, match="weird"):
        v.to_numpy([1, "a", None], "weird")


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([[0, 1], [1, 0]], "1-D"),
        ([], "empty"),
        ([0.0, 0.5, 1.0], "non-integer value 0.5"),
        ([0.0, np.nan], "NaN"),
        (np.array([1 + 2j]), "integer, boolean or string"),
    ],
)
def test_check_labels_names_the_problem(labels, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        v.check_labels(labels, "y_true")
    assert "y_true" in str(info.value)


def test_check_labels_accepts_whole_floats_strings_and_booleans():
    assert v.check_labels([0.0, 1.0], "y").tolist() == [0.0, 1.0]
    assert v.check_labels(["cat", "dog"], "y").tolist() == ["cat", "dog"]
    assert v.check_labels([True, False], "y").tolist() == [True, False]


def test_check_label_pair_rejects_different_lengths_and_kinds():
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        v.check_label_pair([0, 1, 1], [0, 1])
    with pytest.raises(TypeError, match="mix string and numeric"):
        v.check_label_pair(["a", "b"], [0, 1])


def test_check_scores_requires_probabilities_only_when_asked():
    _, s = v.check_scores([0, 1], [-3.0, 2.0], "y_score")
    assert s.dtype == np.float64
    with pytest.raises(ValueError, match=r"y_prob must be probabilities in \[0, 1\]"):
        v.check_scores([0, 1], [-3.0, 2.0], "y_prob", probabilities=True)
    with pytest.raises(ValueError, match="1-D"):
        v.check_scores([0, 1], [[0.1, 0.9], [0.2, 0.8]], "y_score")
    with pytest.raises(ValueError, match="NaN or infinity"):
        v.check_scores([0, 1], [0.1, np.inf], "y_score")


@pytest.mark.parametrize(
    ("y_true", "pos_label", "expected"),
    [([0, 1, 1], None, [0, 1, 1]), ([-1, 1, -1], None, [0, 1, 0]), (["b", "a"], "a", [0, 1])],
)
def test_binary_targets_maps_the_positive_class_to_one(y_true, pos_label, expected):
    out = v.binary_targets(np.asarray(y_true), pos_label)
    np.testing.assert_array_equal(out, np.asarray(expected, dtype=np.float64))


@pytest.mark.parametrize(
    ("y_true", "pos_label", "message"),
    [
        ([0, 1, 2], None, "binary"),
        (["a", "b"], None, "pass pos_label"),
        ([2, 3], None, "pass pos_label"),
        ([1, 1], None, "no negative"),
        ([0, 0], None, "no positive"),
    ],
)
def test_binary_targets_errors(y_true, pos_label, message):
    with pytest.raises(ValueError, match=message):
        v.binary_targets(np.asarray(y_true), pos_label)


def test_check_int_accepts_ints_at_or_above_the_minimum_only():
    v.check_int(0, "epoch", 0)
    v.check_int(7, "batch_size", 1)
    for bad in (True, 1.0, "3", -1, None):
        with pytest.raises(ValueError, match=r"epoch must be an integer >= 0, got"):
            v.check_int(bad, "epoch", 0)
