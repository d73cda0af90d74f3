"""Tests for course_lib.activations: the activations, their derivatives and softmax.

Every hand-written derivative is compared with PyTorch's autograd and with
central finite differences, in float64 and with explicit tolerances; softmax
with torch.softmax, huge logits included.
"""

import warnings
from itertools import pairwise

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib.activations import (
    ACTIVATIONS,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    step,
    step_grad,
    tanh,
    tanh_grad,
)

pytestmark = pytest.mark.ch01


# A grid with the traps: 0 (ReLU's kink), tiny and huge values (overflow in e^-a).
GRID = np.r_[np.linspace(-8, 8, 161), [0.0, -0.0, 1e-12, -1e-12, 40.0, -40.0, 750.0, -750.0]]


HUGE = np.array([-1e4, -1e3, 1e3, 1e4])


TORCH_ACTIVATIONS = [
    ("sigmoid", sigmoid, sigmoid_grad, torch.sigmoid),
    ("tanh", tanh, tanh_grad, torch.tanh),
    ("relu", relu, relu_grad, torch.relu),
]


IDS = [case[0] for case in TORCH_ACTIVATIONS]


# --------------------------------------------------------------------------- #
# Activations and their derivatives
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(("name", "g", "g_grad", "torch_g"), TORCH_ACTIVATIONS, ids=IDS)
def test_activation_matches_torch(name, g, g_grad, torch_g):
    """Is g(a) PyTorch's value on the grid and on huge inputs?"""
    x = np.r_[GRID, HUGE]
    expected = torch_g(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(g(x), expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize(("name", "g", "g_grad", "torch_g"), TORCH_ACTIVATIONS, ids=IDS)
def test_activation_derivative_matches_autograd(name, g, g_grad, torch_g):
    """Is g'(a) the derivative PyTorch's autograd computes (ReLU'(0) = 0 included)?"""
    x = torch.from_numpy(np.r_[GRID, HUGE]).requires_grad_(True)
    torch_g(x).sum().backward()
    # atol: autograd computes 1 - y^2 and y (1 - y), which cancel to a few ulp of 1
    # where y rounds to +-1 or 1; ours does not (see the next test)
    np.testing.assert_allclose(g_grad(x.detach().numpy()), x.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    ("g_grad", "exact"),
    [
        (sigmoid_grad, lambda a: mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2),
        (tanh_grad, lambda a: mpmath.sech(a) ** 2),
    ],
    ids=["sigmoid", "tanh"],
)
def test_derivative_keeps_its_relative_accuracy_in_the_tails(g_grad, exact):
    """Where g'(a) is tiny (|a| up to 300), is it still right to 1e-14 relative error?"""
    x = np.r_[np.linspace(-300, 300, 61), GRID]
    expected = np.array([float(exact(mpmath.mpf(v))) for v in x])
    np.testing.assert_allclose(g_grad(x), expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_derivative_by_finite_differences(name):
    """Does (g(a + h) - g(a - h)) / 2h agree with g'(a) away from the kink at 0?"""
    g, g_grad = ACTIVATIONS[name]
    x = GRID[np.abs(GRID) > 1e-3]
    h = 1e-6
    numeric = (g(x + h) - g(x - h)) / (2 * h)
    np.testing.assert_allclose(g_grad(x), numeric, rtol=1e-7, atol=1e-10)


def test_relu_derivative_at_zero_is_zero_like_torch():
    """At the kink a = 0, is ReLU'(0) = 0, the subgradient PyTorch picks?"""
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert relu_grad(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_step_and_its_derivative():
    """Is step 1 for a >= 0 (PyTorch's heaviside with value 1 at 0) and its derivative 0?"""
    x = np.r_[GRID, HUGE]
    expected = torch.heaviside(torch.from_numpy(x), torch.tensor(1.0, dtype=torch.float64))
    np.testing.assert_array_equal(step(x), expected.numpy())
    np.testing.assert_array_equal(step_grad(x), np.zeros_like(x))
    assert ACTIVATIONS["step"] == (step, step_grad)


def test_sigmoid_is_stable_for_huge_inputs():
    """Does sigmoid(+-1e4) give exactly 1 and 0, with no overflow warning?"""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        assert sigmoid(HUGE).tolist() == [0.0, 0.0, 1.0, 1.0]
        assert sigmoid_grad(HUGE).tolist() == [0.0, 0.0, 0.0, 0.0]
        assert np.isfinite(tanh_grad(HUGE)).all()


def test_activations_keep_float32_and_accept_lists():
    """Does float32 stay float32, and do lists and integers become float64?"""
    x32 = np.linspace(-2, 2, 5, dtype=np.float32)
    for g, g_grad in ACTIVATIONS.values():
        assert g(x32).dtype == np.float32 and g_grad(x32).dtype == np.float32
        assert g([-1, 0, 2]).dtype == np.float64


def test_activation_table_pairs_each_function_with_its_derivative():
    """Does ACTIVATIONS map each name to (g, g') of that name?"""
    assert ACTIVATIONS == {
        "step": (step, step_grad),
        "sigmoid": (sigmoid, sigmoid_grad),
        "tanh": (tanh, tanh_grad),
        "relu": (relu, relu_grad),
    }


# --------------------------------------------------------------------------- #
# Softmax with temperature
# --------------------------------------------------------------------------- #
LOGITS = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(2, 6)),
    elements=st.floats(-1e4, 1e4, allow_nan=False),
)


@given(x=LOGITS, T=st.sampled_from([0.1, 1.0, 10.0]))
def test_softmax_matches_torch(x, T):
    """Is softmax(x, T) torch.softmax(x / T), finite and summing to 1, up to |x| = 1e4?"""
    p = softmax(x, T=T)
    expected = torch.softmax(torch.from_numpy(x) / T, dim=-1).numpy()
    np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-15)
    assert np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


@given(x=LOGITS, c=st.floats(-1e3, 1e3))
def test_softmax_ignores_a_shift_and_respects_axis(x, c):
    """Is softmax(x + c) = softmax(x), and does axis=0 act on columns?"""
    np.testing.assert_allclose(softmax(x + c), softmax(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(softmax(x.T, axis=0), softmax(x).T, rtol=1e-12, atol=0)


def test_softmax_huge_logits_hand_worked():
    """Do logits +-1e4 give the exact one-hot and halves they should?"""
    np.testing.assert_array_equal(softmax([1e4, -1e4, 0.0]), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(softmax([1e4, 1e4]), [0.5, 0.5])
    np.testing.assert_allclose(softmax([0.0, np.log(3.0)]), [0.25, 0.75], rtol=1e-15, atol=0)


def test_temperature_moves_from_argmax_to_uniform():
    """Does a small T approach the one-hot argmax and a large T the uniform distribution?"""
    x = np.array([2.0, 1.0, 0.1])
    np.testing.assert_allclose(softmax(x, T=1e-3), [1.0, 0.0, 0.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(softmax(x, T=1e6), [1 / 3] * 3, rtol=0, atol=1e-6)
    maxima = [softmax(x, T=T).max() for T in (0.1, 0.5, 1.0, 2.0, 10.0)]
    assert all(a > b for a, b in pairwise(maxima))


@pytest.mark.parametrize("T", [0, -1.0, np.nan, np.inf, "1", True, None])
def test_softmax_rejects_bad_temperature(T):
    """Is a temperature that is not a finite positive number a ValueError naming T?"""
    with pytest.raises(ValueError, match="T must be a number > 0"):
        softmax([1.0, 2.0], T=T)
