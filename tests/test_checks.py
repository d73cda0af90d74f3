"""Tests for course_lib.checks: each helper passes on a right value and explains a wrong one."""

import numpy as np
import pytest
import torch

from course_lib.checks import (
    CheckError,
    check_close,
    check_equal,
    check_function,
    check_raises,
    check_shape,
    check_type,
)


def message_of(call, *args, **kwargs) -> str:
    """The CheckError message of a call that must fail."""
    with pytest.raises(CheckError) as info:
        call(*args, **kwargs)
    return str(info.value)


def test_check_error_is_an_assertion_error():
    """Does a failed check count as a failed assert for nbgrader and pytest?"""
    assert issubclass(CheckError, AssertionError)


# --------------------------------------------------------------------------- #
# check_type
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("value", "expected_type"),
    [
        (3, int),
        (0.5, float),
        (np.zeros(2), np.ndarray),
        (torch.zeros(2), torch.Tensor),
        (2.0, (int, float)),
    ],
)
def test_check_type_passes(value, expected_type):
    """Does a value of the right type pass silently?"""
    assert check_type(value, expected_type) is None


def test_check_type_fails_with_expected_received_and_case():
    """Does a wrong type name the expected and received types and the case?"""
    text = message_of(check_type, "3", int, name="n_samples", case="small input")
    assert "n_samples" in text and "'small input'" in text
    assert "expected int" in text and "received str" in text


def test_check_type_tuple_names_every_type():
    """Is a tuple of types listed as 'int or float'?"""
    text = message_of(check_type, [1], (int, float))
    assert "expected int or float" in text and "received list" in text


def test_check_type_none_gets_the_return_hint():
    """Is a None result explained by a missing return?"""
    assert "return" in message_of(check_type, None, float)
    assert "return" not in message_of(check_type, "x", float)


# --------------------------------------------------------------------------- #
# check_shape
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "value",
    [np.zeros((2, 3)), torch.zeros(2, 3), [[0, 0, 0], [1, 1, 1]]],
    ids=["numpy", "torch", "list"],
)
def test_check_shape_passes(value):
    """Do arrays, tensors and nested lists of the right shape pass?"""
    assert check_shape(value, (2, 3)) is None


def test_check_shape_fails_with_both_shapes_and_case():
    """Does a wrong shape show both shapes and the case?"""
    text = message_of(check_shape, torch.zeros(3, 2), (2, 3), name="logits", case="batch 2")
    assert "logits" in text and "'batch 2'" in text
    assert "expected (2, 3)" in text and "received (3, 2)" in text


def test_check_shape_none_gets_the_return_hint():
    """Is None reported as a missing return, not as a shape ()?"""
    text = message_of(check_shape, None, (2,), case="c")
    assert "None" in text and "return" in text and "'c'" in text


# --------------------------------------------------------------------------- #
# check_equal
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (3, 3),
        ("cat", "cat"),
        ([1, 2, 3], np.array([1, 2, 3])),
        (torch.tensor([[1, 0], [0, 1]]), np.eye(2, dtype=int)),
        ((1, 2), [1, 2]),
    ],
)
def test_check_equal_passes(received, expected):
    """Do equal scalars, strings, lists, arrays and tensors pass?"""
    assert check_equal(received, expected) is None


def test_check_equal_array_reports_first_difference():
    """Does an array mismatch give expected, received, the case and the first index?"""
    expected = np.array([[1, 2], [3, 4]])
    received = np.array([[1, 2], [5, 6]])
    text = message_of(check_equal, received, expected, name="confusion matrix", case="2 classes")
    assert "confusion matrix is wrong for case '2 classes'" in text
    assert "expected:" in text and "received:" in text
    assert "first difference at index (1, 0): expected 3, received 5" in text


def test_check_equal_scalar_shows_both_values():
    """Does a wrong scalar show the expected and the received value?"""
    text = message_of(check_equal, 4, 5, name="tp", case="hand-worked")
    assert "tp is wrong for case 'hand-worked'" in text
    assert "expected: 5" in text and "received: 4" in text


def test_check_equal_shape_mismatch_is_a_shape_error():
    """Is a wrong-length array reported as a shape error, not a crash?"""
    text = message_of(check_equal, [1, 2, 3], np.array([1, 2]))
    assert "expected (2,)" in text and "received (3,)" in text


@pytest.mark.parametrize("expected", [5, np.array([1, 2])], ids=["scalar", "array"])
def test_check_equal_none_gets_the_return_hint(expected):
    """Is None explained by a missing return, for scalar and array answers alike?"""
    assert "return" in message_of(check_equal, None, expected)


def test_check_equal_incomparable_is_unequal():
    """Does a value whose == is not a truth value fail cleanly instead of crashing?"""

    class Odd:
        def __eq__(self, other):
            raise RuntimeError("no comparison")

        __hash__ = None

    text = message_of(check_equal, Odd(), 5)
    assert "expected: 5" in text


# --------------------------------------------------------------------------- #
# check_close
# --------------------------------------------------------------------------- #
def test_check_close_passes_within_tolerance():
    """Does a value within rtol/atol pass, for floats, arrays and tensors?"""
    assert check_close(1.0 + 1e-9, 1.0) is None
    assert check_close(np.array([1.0, 2.0]) * (1 + 1e-8), [1.0, 2.0]) is None
    assert check_close(torch.tensor([0.5, 0.25], dtype=torch.float64), [0.5, 0.25]) is None
    assert check_close(1.05, 1.0, rtol=0.1) is None


def test_check_close_array_reports_first_difference():
    """Does an array mismatch give expected, received, the case and the first index?"""
    text = message_of(
        check_close, [1.0, 2.0, 3.5, 0.0], [1.0, 2.0, 3.0, 4.0], name="recall", case="4 classes"
    )
    assert "recall is wrong for case '4 classes'" in text
    assert "expected:" in text and "received:" in text
    assert "first difference at index (2,): expected 3.0, received 3.5" in text


def test_check_close_scalar_reports_the_difference_and_tolerance():
    """Does a wrong scalar show both values, the difference and the tolerance?"""
    text = message_of(check_close, 0.8, 0.75, name="auc", case="ties")
    assert "auc is wrong for case 'ties'" in text
    assert "expected: 0.75" in text and "received: 0.8" in text
    assert "difference 0.05" in text and "rtol=1e-07" in text


def test_check_close_tolerance_is_not_too_loose():
    """Does a difference just above the default tolerance fail?"""
    with pytest.raises(CheckError):
        check_close(1.0 + 1e-5, 1.0)


def test_check_close_nan_matches_nan_only():
    """Does NaN match NaN (an undefined metric), but not a number?"""
    assert check_close(float("nan"), float("nan")) is None
    assert check_close([1.0, np.nan], [1.0, np.nan]) is None
    with pytest.raises(CheckError):
        check_close(0.0, float("nan"))
    with pytest.raises(CheckError):
        check_close(float("nan"), 0.0)


def test_check_close_none_and_non_numbers():
    """Is None explained by a missing return, and a string as 'not a number'?"""
    assert "return" in message_of(check_close, None, 1.0)
    assert "not a number" in message_of(check_close, "abc", 0.5)


def test_check_close_rejects_numeric_strings():
    """Does a number formatted as a string (return f"{x:.1f}") fail the check?"""
    with pytest.raises(CheckError, match="not a number"):
        check_close("0.5", 0.5)


def test_check_close_wrong_shape():
    """Is a wrong shape reported with both shapes?"""
    text = message_of(check_close, np.zeros(3), np.zeros((3, 1)), case="column")
    assert "expected (3, 1)" in text and "received (3,)" in text and "'column'" in text


# --------------------------------------------------------------------------- #
# check_raises
# --------------------------------------------------------------------------- #
def reject_negative(x, *, strict=True):
    if strict and x < 0:
        raise ValueError("x must be >= 0")
    return x


def test_check_raises_passes_when_the_exception_is_raised():
    """Does the expected exception pass, with args and kwargs forwarded?"""
    assert check_raises(reject_negative, -1) is None
    assert check_raises(int, "abc") is None  # ValueError by default
    assert check_raises(lambda: [][1], exception=IndexError) is None


def test_check_raises_fails_when_the_function_returns():
    """Does a function that returns instead of raising fail, saying so?"""
    text = message_of(check_raises, reject_negative, -1, strict=False, case="negative")
    assert "reject_negative should raise ValueError" in text
    assert "'negative'" in text and "but returned" in text


def test_check_raises_fails_on_another_exception():
    """Does a different exception fail, naming it and its message?"""

    def divide(x):
        return 1 / x

    text = message_of(check_raises, divide, 0, name="divide", case="zero")
    assert "divide should raise ValueError for case 'zero'" in text
    assert "ZeroDivisionError: division by zero" in text


# --------------------------------------------------------------------------- #
# check_function
# --------------------------------------------------------------------------- #
def reference_mean(values, *, weights=None):
    return float(np.average(values, weights=weights))


def test_check_function_counts_the_cases():
    """Does a correct function pass every case, in each accepted case format?"""
    named = {"two": ([1.0, 3.0],), "weighted": (([1.0, 3.0],), {"weights": [1, 3]})}
    assert check_function(reference_mean, reference_mean, named) == 2
    assert (
        check_function(
            lambda v, weights=None: np.average(v, weights=weights),
            reference_mean,
            [([1.0, 2.0],), ([4.0],)],
        )
        == 2
    )


def test_check_function_names_the_failing_case():
    """Does a wrong result name the function, the failing case and the values?"""

    def buggy_mean(values, *, weights=None):
        return float(np.sum(values) / (len(values) + 1))  # off by one in the count

    cases = {"one value": ([2.0],), "three values": ([1.0, 2.0, 3.0],)}
    text = message_of(check_function, buggy_mean, reference_mean, cases, name="mean")
    assert "mean is wrong for case 'one value'" in text
    assert "expected: 2.0" in text and "received: 1.0" in text


def test_check_function_unnamed_cases_are_numbered():
    """Are the cases of a plain list named 'case 0', 'case 1', ...?"""

    def wrong_from_second(values, *, weights=None):
        return values[0]

    text = message_of(check_function, wrong_from_second, reference_mean, [([1.0],), ([1.0, 3.0],)])
    assert "'case 1'" in text


def test_check_function_array_results_report_the_index():
    """Does an array-valued mismatch report the index of the first difference?"""

    def wrong_square(x):
        return np.where(np.arange(len(x)) == 2, 0.0, np.asarray(x) ** 2)

    text = message_of(
        check_function,
        wrong_square,
        lambda x: np.asarray(x) ** 2,
        {"four": ([1.0, 2.0, 3.0, 4.0],)},
    )
    assert "first difference at index (2,): expected 9.0, received 0.0" in text


def test_check_function_not_implemented():
    """Is a stub that raises NotImplementedError reported as 'not implemented'?"""

    def stub(values, *, weights=None):
        raise NotImplementedError

    text = message_of(check_function, stub, reference_mean, {"two": ([1.0, 3.0],)})
    assert "not implemented" in text and "two" in text


def test_check_function_other_exception_names_the_case():
    """Does a crash name the exception and the case it happened on?"""

    def crashes(values, *, weights=None):
        return values[5]

    text = message_of(check_function, crashes, reference_mean, {"short": ([1.0],)})
    assert "raised IndexError for case 'short'" in text


def test_check_function_none_gets_the_return_hint():
    """Does a function without a return get the 'return' hint?"""

    def no_return(values, *, weights=None):
        np.mean(values)

    text = message_of(check_function, no_return, reference_mean, {"two": ([1.0, 3.0],)})
    assert "return" in text and "'two'" in text
