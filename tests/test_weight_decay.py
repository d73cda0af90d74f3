"""Tests for course_lib.weight_decay: penalties, parameter groups, decoupled decay.

The L2 and L1 penalties by hand and by their gradients (λW, λ sign w); Adam with
:func:`decoupled_weight_decay_` before each step equals ``torch.optim.AdamW`` step by step;
coupled L2 (the gradient of λ/2‖W‖²) equals Adam's own ``weight_decay``; the parameter
groups leave biases and normalization parameters undecayed.
"""

from __future__ import annotations

import copy

import pytest
import torch
from helpers import TOL, randn
from torch import nn
from torch.nn import functional

from course_lib.training import fit
from course_lib.weight_decay import (
    DecoupledWeightDecay,
    activation_penalty,
    decoupled_weight_decay_,
    fraction_near_zero,
    l1_penalty,
    l2_penalty,
    param_groups,
)

pytestmark = pytest.mark.ch06


def test_penalty_values_and_gradients():
    w1, w2 = randn(3, 4, seed=1, requires_grad=True), randn(5, seed=2, requires_grad=True)
    l2 = l2_penalty([w1, w2], 0.3)
    torch.testing.assert_close(l2, 0.15 * ((w1**2).sum() + (w2**2).sum()), **TOL)
    g1, g2 = torch.autograd.grad(l2, [w1, w2])
    torch.testing.assert_close(g2, 0.3 * w2.detach(), **TOL)
    torch.testing.assert_close(g1, 0.3 * w1.detach(), **TOL)
    l1 = l1_penalty([w1, w2], 0.3)
    (g1,) = torch.autograd.grad(l1, [w1])
    torch.testing.assert_close(g1, 0.3 * torch.sign(w1.detach()), **TOL)
    a = randn(4, 2, 3, seed=3)
    torch.testing.assert_close(activation_penalty(a, 2.0), (a**2).sum() / 4, **TOL)


def test_fraction_near_zero():
    assert fraction_near_zero([torch.zeros(3), torch.ones(1)]) == 0.75
    with pytest.raises(ValueError, match="tol"):
        fraction_near_zero([torch.zeros(3)], tol=0.0)


def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 3)).double()


def step(model, optimizer, seed, before_step=None):
    x, y = randn(10, 4, seed=seed), torch.arange(10) % 3
    optimizer.zero_grad()
    functional.cross_entropy(model(x), y).backward()
    if before_step is not None:
        before_step()
    optimizer.step()


@pytest.mark.parametrize("lr", [1e-3, 0.05])
def test_adam_with_decoupled_decay_equals_adamw(lr):
    ours, ref = net(), net()
    opt = torch.optim.Adam(ours.parameters(), lr=lr)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=lr, weight_decay=0.1)
    for k in range(5):
        step(ours, opt, k, lambda: decoupled_weight_decay_(opt, 0.1))
        step(ref, ref_opt, k)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_coupled_l2_equals_adam_weight_decay_and_differs_from_adamw():
    a, b, c = net(), net(), net()
    opt_a = torch.optim.Adam(a.parameters(), lr=0.01)
    opt_b = torch.optim.Adam(b.parameters(), lr=0.01, weight_decay=0.1)
    opt_c = torch.optim.AdamW(c.parameters(), lr=0.01, weight_decay=0.1)
    for k in range(3):
        x, y = randn(10, 4, seed=k), torch.arange(10) % 3
        opt_a.zero_grad()
        (functional.cross_entropy(a(x), y) + l2_penalty(a.parameters(), 0.1)).backward()
        opt_a.step()
        step(b, opt_b, k)
        step(c, opt_c, k)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, **TOL)
    assert any(
        not torch.allclose(pa, pc) for pa, pc in zip(a.parameters(), c.parameters(), strict=True)
    )


def test_param_groups_skip_biases_and_norm_parameters():
    model = net()
    decay, no_decay = param_groups(model, 0.01)
    assert decay["weight_decay"] == 0.01 and no_decay["weight_decay"] == 0.0
    assert {id(p) for p in decay["params"]} == {id(model[0].weight), id(model[3].weight)}
    assert len(no_decay["params"]) == 4  # two biases, γ and β
    opt = torch.optim.AdamW(param_groups(model, 0.5), lr=0.1)
    before = copy.deepcopy(model)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # no gradient signal: only decay moves weights
    opt.step()
    torch.testing.assert_close(model[1].weight, before[1].weight, **TOL)
    torch.testing.assert_close(model[0].weight, before[0].weight * (1 - 0.05), **TOL)


def test_callback_in_fit_equals_adamw():
    X, y = randn(24, 4, seed=5), torch.arange(24) % 3
    ours, ref = net(), net()
    opt = torch.optim.Adam(ours.parameters(), lr=0.01)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=0.01, weight_decay=0.2)
    fit(ours, (X, y), batch_size=8, num_epochs=2, optimizer=opt,
        callbacks=[DecoupledWeightDecay(0.2)], progress=False, seed=1)  # fmt: skip
    fit(ref, (X, y), batch_size=8, num_epochs=2, optimizer=ref_opt, progress=False, seed=1)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, **TOL)
