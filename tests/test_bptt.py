"""Tests for course_lib.bptt: clipping by global norm equals torch.nn.utils.clip_grad_norm_.

Is the norm returned the one *before* clipping, are all gradients scaled by the same factor
max_norm / (‖g‖ + 1e-6) in place, for norm types 2, 1 and ∞, and left alone under the
threshold? Does the global norm differ from clipping each tensor separately? Do the
measured ‖∂L/∂h_t‖ equal autograd's on a hand-unrolled RNN, and decay for a contractive U?
"""

from __future__ import annotations

import math

import pytest
import torch
from helpers import TOL, randn
from torch import nn

from course_lib.bptt import (
    clip_grad_norm,
    global_norm,
    gradient_norms_through_time,
    state_gradient_norms,
)

pytestmark = pytest.mark.ch09


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
def test_clip_grad_norm_equals_torch(norm_type, max_norm):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [randn(*s, seed=i, scale=2.0) for i, s in enumerate(shapes)]
    params = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    expected_norm = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    ours = [g.clone() for g in grads]
    clipped, norm = clip_grad_norm(ours, max_norm, norm_type)
    torch.testing.assert_close(norm, expected_norm, **TOL)
    for a, b, p in zip(ours, clipped, params, strict=True):
        assert a is b  # in place, and returned
        torch.testing.assert_close(a, p.grad, **TOL)


def test_global_norm_is_not_per_tensor_clipping():
    grads = [torch.tensor([3.0], dtype=torch.float64), torch.tensor([0.4], dtype=torch.float64)]
    clipped, norm = clip_grad_norm([g.clone() for g in grads], 1.0)
    torch.testing.assert_close(norm, torch.tensor(math.hypot(3.0, 0.4), dtype=torch.float64))
    ratio = clipped[0] / grads[0]
    torch.testing.assert_close(clipped[1] / grads[1], ratio, **TOL)  # one factor for all
    assert clipped[1].item() < 0.4  # per-tensor clipping would leave 0.4 untouched


def test_global_norm_values_and_empty():
    torch.testing.assert_close(global_norm([torch.tensor([3.0]), torch.tensor([-4.0])],
                                           math.inf), torch.tensor(4.0))  # fmt: skip
    assert global_norm([]).item() == 0.0
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([torch.ones(2)], -1.0)
    with pytest.raises(TypeError, match="grads"):
        global_norm([[1.0]])


def test_state_gradient_norms_equal_autograd_on_a_hand_unrolled_rnn():
    U = 0.5 * torch.eye(3, dtype=torch.float64)
    h = randn(1, 3, seed=1, requires_grad=True)
    states = []
    for _ in range(4):
        h = torch.tanh(h @ U.T + 0.1)
        states.append(h)
    loss = states[-1].sum()
    norms = state_gradient_norms(states, loss)
    g = torch.ones(1, 3, dtype=torch.float64)  # ∂L/∂h_4
    expected = [g.norm()]
    for t in range(3, 0, -1):  # ∂L/∂h_t = ∂L/∂h_{t+1} diag(1 − h_{t+1}²) U
        g = (g * (1 - states[t] ** 2)) @ U
        expected.insert(0, g.norm())
    torch.testing.assert_close(norms, torch.stack(expected), **TOL)


@pytest.mark.parametrize("module", [nn.RNN(1, 6), nn.GRU(1, 6), nn.LSTM(1, 6)])
def test_gradient_norms_through_time_shapes_and_decay(module):
    module = module.double()
    with torch.no_grad():
        module.weight_hh_l0.mul_(0.1)  # contractive: the gradient must shrink going back
    norms = gradient_norms_through_time(module, randn(20, 3, 1, seed=2))
    assert norms.shape == (20,)
    assert norms[0] < norms[-1]
    if isinstance(module, nn.LSTM):
        assert gradient_norms_through_time(module, randn(5, 3, 1), which="c").shape == (5,)
    else:
        with pytest.raises(ValueError, match="which"):
            gradient_norms_through_time(module, randn(5, 3, 1), which="c")
