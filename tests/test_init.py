"""Tests for course_lib.init: the initializers against torch.nn.init.

Variances are checked on 10^6 draws with a fixed seed; with the same generator the
draws equal torch.nn.init's; bad shapes and nonlinearities are refused by name.
"""

import math

import pytest
import torch
from torch import nn

from course_lib.init import (
    he_normal,
    he_normal_,
    he_uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)

pytestmark = pytest.mark.ch04

SHAPES = [(1000, 1000), (250, 40, 10, 10)]  # Linear (out, in), Conv (out, in, k, k): 10^6 each


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    k = math.prod(shape[2:])
    return shape[1] * k, shape[0] * k


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("init", "variance"),
    [
        (xavier_uniform_, lambda fi, fo: 2 / (fi + fo)),
        (xavier_normal_, lambda fi, fo: 2 / (fi + fo)),
        (he_uniform_, lambda fi, fo: 2 / fi),
        (he_normal_, lambda fi, fo: 2 / fi),
    ],
)
def test_empirical_variance_matches_formula(init, variance, shape):
    """Is the sample variance of 10^6 draws the book's Var(W) within 1%?

    The sample variance of n i.i.d. draws has relative standard error
    sqrt((kurtosis - 1) / n): sqrt(2 / 10^6) = 0.14% (normal), sqrt(0.8 / 10^6) = 0.09%
    (uniform). 1% is > 7 standard errors, so a correct init never fails, and
    a wrong fan (e.g. fan_out for He: 1000 vs 4000 on the conv shape) does.
    """
    w = init(torch.empty(shape, dtype=torch.float64), generator=gen())
    expected = variance(*fans(shape))
    assert abs(w.var().item() / expected - 1) < 0.01
    assert abs(w.mean().item()) < 5 * math.sqrt(expected / w.numel())


@pytest.mark.parametrize("shape", [(7, 3), (5, 4, 3, 3), (2, 9, 1)])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda w, g: xavier_uniform_(w, gain=1.7, generator=g),
            lambda w, g: nn.init.xavier_uniform_(w, 1.7, g),
        ),
        (
            lambda w, g: xavier_normal_(w, gain=0.5, generator=g),
            lambda w, g: nn.init.xavier_normal_(w, 0.5, g),
        ),
        (
            lambda w, g: he_uniform_(w, generator=g),
            lambda w, g: nn.init.kaiming_uniform_(w, a=0, nonlinearity="relu", generator=g),
        ),
        (
            lambda w, g: he_normal_(w, "tanh", generator=g),
            lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="tanh", generator=g),
        ),
    ],
)
def test_same_draws_as_torch_init(ours, theirs, shape):
    """With the same seed, do we draw torch.nn.init's tensor (same bound, same fans)?"""
    w = ours(torch.empty(shape, dtype=torch.float64), gen(3))
    w_ref = theirs(torch.empty(shape, dtype=torch.float64), gen(3))
    torch.testing.assert_close(w, w_ref, rtol=1e-15, atol=0)


@pytest.mark.parametrize("shape", [(7, 3), (5, 4, 3, 3)])
def test_uniform_bounds_equal_torch(shape):
    """Are the uniform bounds those of torch.nn.init: sqrt(6/(fi+fo)) and sqrt(6/fi)?"""
    big = (10**5, *shape[1:])  # many draws so that max |w| approaches the bound
    fan_in, fan_out = fans(big)
    w = xavier_uniform_(torch.empty(big, dtype=torch.float64), generator=gen())
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert w.abs().max().item() <= bound
    assert w.abs().max().item() > 0.999 * bound
    w = he_uniform_(torch.empty(big, dtype=torch.float64), generator=gen())
    assert w.abs().max().item() <= math.sqrt(6 / fan_in)
    assert w.abs().max().item() > 0.999 * math.sqrt(6 / fan_in)


def test_generator_makes_draws_reproducible():
    """Do two calls with equally seeded generators give the same tensor, and other seeds differ?"""
    a = he_normal_(torch.empty(8, 8), generator=gen(1))
    b = he_normal_(torch.empty(8, 8), generator=gen(1))
    c = he_normal_(torch.empty(8, 8), generator=gen(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_zeros_fills_in_place_without_grad_tracking():
    """Does zeros_ zero a parameter in place, even one that requires grad?"""
    layer = nn.Linear(3, 2)
    out = zeros_(layer.bias)
    assert out is layer.bias and torch.equal(layer.bias.detach(), torch.zeros(2))


@pytest.mark.parametrize("init", [xavier_uniform_, xavier_normal_, he_uniform_, he_normal_])
def test_one_dimensional_tensor_is_rejected(init):
    """Does a bias-shaped (1-D) tensor raise a ValueError naming `tensor` and its shape?"""
    with pytest.raises(ValueError, match=r"tensor must have at least 2 dimensions.*\(5,\)"):
        init(torch.empty(5))


def test_unknown_nonlinearity_is_rejected():
    """Does an unknown nonlinearity raise a ValueError naming the argument?"""
    with pytest.raises(ValueError, match="nonlinearity"):
        he_uniform_(torch.empty(3, 3), nonlinearity="swish")


def test_he_normal_returns_the_exercise_shape_and_variance():
    w = he_normal(2000, 300, generator=torch.Generator().manual_seed(0))
    assert w.shape == (300, 2000)
    assert float(w.var()) == pytest.approx(2 / 2000, rel=0.02)
    with pytest.raises(ValueError, match="fan_in must be an integer >= 1"):
        he_normal(0, 3)
