"""Tests for course_lib.optim: the pure update rules and the optimizers against torch.optim.

Each optimizer trains a copy of the same float64 MLP for 50 full-batch steps next to
its ``torch.optim`` counterpart, and the parameters agree to rtol 1e-10, atol 1e-12.
Why 50 and not more: our classes call pure functions written with plain operators,
while torch fuses some of them (``addcmul`` uses a fused multiply-add), so the two
differ by an ulp per step; RMSprop's nearly sign-like steps near the minimum amplify
that ulp to 1e-5 after about 80 steps (measured), an honest rounding difference, not
a different algorithm. Every rule is also checked on a hand-worked step.
The initializers (course_lib.init) are checked against torch.nn.init: variances on
10^6 draws with a fixed seed.
"""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.optim import (
    SGD,
    Adagrad,
    Adam,
    RMSprop,
    adagrad_step,
    adam_step,
    momentum_step,
    rmsprop_step,
    sgd_step,
)

pytestmark = pytest.mark.ch04

TOL = {"rtol": 1e-10, "atol": 1e-12}
NUM_STEPS = 50

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
def test_optimizer_matches_torch_step_for_step(name, ours, theirs, kwargs):
    """Do 50 steps of our optimizer land on the same parameters as torch.optim's?"""
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
# The pure rules: hand-worked steps, inputs untouched, NumPy and tensors alike
# --------------------------------------------------------------------------- #
def test_momentum_step_by_hand_and_nesterov_look_ahead():
    """v = 0.9 * 0.5 - 0.1 * 2 = 0.25; heavy ball θ = 1.25; Nesterov θ = 1 + 0.9*0.25 - 0.2."""
    theta, v, g = np.array([1.0]), np.array([0.5]), np.array([2.0])
    new_theta, new_v = momentum_step(theta, v, g, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(new_v, [0.25], rtol=1e-15)
    np.testing.assert_allclose(new_theta, [1.25], rtol=1e-15)
    nesterov_theta, _ = momentum_step(theta, v, g, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(nesterov_theta, [1.025], rtol=1e-15)
    assert theta[0] == 1.0 and v[0] == 0.5  # pure: the inputs are unchanged


def test_adam_step_corrects_the_bias_of_the_first_step():
    """From m = v = 0 with g = 2: m = 0.2, v = 0.004, m̂ = 2, v̂ = 4, step = lr · 2 / (2 + eps)."""
    new_theta, new_m, new_v = adam_step(np.array([1.0]), np.zeros(1), np.zeros(1),
                                        np.array([2.0]), t=1, lr=0.1)  # fmt: skip
    np.testing.assert_allclose(new_m, [0.2], rtol=1e-15)
    np.testing.assert_allclose(new_v, [0.004], rtol=1e-12)
    np.testing.assert_allclose(new_theta, [1 - 0.1 * 2 / (2 + 1e-8)], rtol=1e-15)


def test_adagrad_and_rmsprop_steps_by_hand():
    theta, g = torch.tensor([1.0], dtype=torch.float64), torch.tensor([3.0], dtype=torch.float64)
    new_theta, r = adagrad_step(theta, torch.tensor([16.0], dtype=torch.float64), g, lr=0.5)
    torch.testing.assert_close(r, torch.tensor([25.0], dtype=torch.float64))
    torch.testing.assert_close(new_theta, torch.tensor([1 - 0.5 * 3 / (5 + 1e-10)],
                                                       dtype=torch.float64))  # fmt: skip
    new_theta, s = rmsprop_step(theta, torch.tensor([1.0], dtype=torch.float64), g, lr=0.1,
                                rho=0.5, eps=0.0)  # fmt: skip
    torch.testing.assert_close(s, torch.tensor([5.0], dtype=torch.float64))
    torch.testing.assert_close(new_theta, 1 - 0.1 * 3 / torch.sqrt(s))
    assert sgd_step(2.0, 4.0, lr=0.25) == 1.0


def test_the_classes_equal_the_pure_rules_they_call():
    """One Adam step of the class is adam_step on the same numbers (float64, exactly)."""
    w = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    g = torch.tensor([0.7, 0.1], dtype=torch.float64)
    expected, _, _ = adam_step(w.detach().clone(), torch.zeros(2, dtype=torch.float64),
                               torch.zeros(2, dtype=torch.float64), g, t=1, lr=0.01)  # fmt: skip
    opt = Adam([w], lr=0.01)
    w.grad = g.clone()
    opt.step()
    assert torch.equal(w.detach(), expected)


def test_sgd_and_torch_differ_only_when_the_learning_rate_changes():
    """Constant α: same iterates. Halving α: the book's velocity keeps the old α inside."""
    results = {}
    for name, cls in (("ours", SGD), ("torch", torch.optim.SGD)):
        w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        opt = cls([w], lr=0.1, momentum=0.9)
        path = []
        for step in range(4):
            if step == 2:
                opt.param_groups[0]["lr"] = 0.05
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()
            path.append(w.item())
        results[name] = path
    assert results["ours"][:2] == pytest.approx(results["torch"][:2], rel=1e-15)
    assert results["ours"][2] != pytest.approx(results["torch"][2], rel=1e-6)
