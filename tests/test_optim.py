"""Tests for course_lib.optim: optimizers against torch.optim, initializers against torch.nn.init.

Each optimizer trains a copy of the same float64 MLP for 200 full-batch steps
next to its ``torch.optim`` counterpart; both perform the same operations in
the same order, so the parameters agree to rtol 1e-10, atol 1e-12 (in practice
bit for bit). Initializer variances are checked on 10^6 draws with a fixed seed.
"""

import copy
import math

import pytest
import torch
from torch import nn

from course_lib.optim import (
    SGD,
    Adagrad,
    Adam,
    RMSprop,
    he_normal_,
    he_uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)

pytestmark = pytest.mark.ch04

TOL = {"rtol": 1e-10, "atol": 1e-12}
NUM_STEPS = 200

CONFIGS = [
    ("sgd", SGD, torch.optim.SGD, {"lr": 0.05}),
    ("sgd-momentum", SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    ("sgd-nesterov", SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd-weight-decay", SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.5, "weight_decay": 1e-2}),
    ("adagrad", Adagrad, torch.optim.Adagrad, {"lr": 0.05, "weight_decay": 1e-3}),
    ("rmsprop", RMSprop, torch.optim.RMSprop, {"lr": 1e-3, "alpha": 0.9, "weight_decay": 1e-3}),
    ("adam", Adam, torch.optim.Adam, {"lr": 1e-2}),
    (
        "adam-weight-decay",
        Adam,
        torch.optim.Adam,
        {"lr": 1e-2, "betas": (0.8, 0.99), "weight_decay": 1e-2},
    ),
]


def make_problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    X = torch.randn(64, 4, dtype=torch.float64)  # (N, 4)
    y = torch.randn(64, 3, dtype=torch.float64)  # (N, 3)
    return net, X, y


def train(
    net: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor
) -> list[float]:
    losses = []
    for _ in range(NUM_STEPS):
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(("name", "ours", "theirs", "kwargs"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_optimizer_matches_torch_after_200_steps(name, ours, theirs, kwargs):
    """Do 200 steps of our optimizer land on the same parameters as torch.optim's?"""
    net, X, y = make_problem()
    net_ref = copy.deepcopy(net)
    losses = train(net, ours(net.parameters(), **kwargs), X, y)
    train(net_ref, theirs(net_ref.parameters(), **kwargs), X, y)
    for p, p_ref in zip(net.parameters(), net_ref.parameters(), strict=True):
        torch.testing.assert_close(p, p_ref, **TOL)
    assert losses[-1] < 0.9 * losses[0], f"{name} did not reduce the loss"


def test_closure_is_called_and_its_loss_returned():
    """Does step(closure) re-evaluate the loss with gradients enabled and return it?"""
    w = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    opt = Adam([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert w.item() == pytest.approx(2 - 0.1 * 4 / (4 + 1e-8), abs=1e-15)  # lr * g / (|g| + eps)


def test_parameter_without_grad_is_left_alone():
    """Is a parameter whose .grad is None skipped instead of crashing?"""
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    opt = SGD([a, b], lr=0.5, momentum=0.9)
    a.sum().backward()
    opt.step()
    assert torch.equal(b, torch.ones(2))
    assert torch.equal(a.detach(), torch.full((2,), 0.5))


@pytest.mark.parametrize(
    ("factory", "argument"),
    [
        (lambda p: SGD(p, lr=-1.0), "lr"),
        (lambda p: SGD(p, lr=0.1, momentum=1.5), "momentum"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda p: Adagrad(p, eps=-1e-3), "eps"),
        (lambda p: RMSprop(p, alpha=1.0), "alpha"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), "betas[1]"),
        (lambda p: Adam(p, betas=0.9), "betas"),
    ],
)
def test_invalid_hyperparameters_name_the_argument(factory, argument):
    """Does a bad hyper-parameter raise a ValueError that names it?"""
    with pytest.raises(ValueError, match=argument.replace("[", r"\[").replace("]", r"\]")):
        factory([torch.zeros(1, requires_grad=True)])


# --------------------------------------------------------------------------- #
# Initializers
# --------------------------------------------------------------------------- #
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
