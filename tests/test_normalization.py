"""Tests for course_lib.normalization: BatchNorm and LayerNorm against torch, in float64.

BatchNorm in training normalizes with the biased batch variance and updates the running
mean and the running (unbiased) variance with momentum as the weight of the new batch;
in evaluation it uses the running statistics. Values, gradients (through autograd) and
buffers equal ``F.batch_norm`` / ``nn.BatchNorm2d`` step by step; LayerNorm equals
``F.layer_norm`` / ``nn.LayerNorm``.
"""

from __future__ import annotations

import pytest
import torch
from helpers import TOL, randn
from torch import nn
from torch.nn import functional

from course_lib.blocks import ResidualBlock
from course_lib.normalization import (
    BatchNorm,
    LayerNorm,
    batch_norm,
    layer_norm,
    zero_init_last_norm_,
)

pytestmark = pytest.mark.ch06

SHAPES = [(8, 3), (4, 3, 5), (4, 3, 5, 6), (1, 3, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])
def test_batch_norm_train_values_buffers_and_gradients(shape, momentum):
    x = randn(*shape, seed=1, scale=3.0, requires_grad=True)
    gamma = randn(3, seed=2, requires_grad=True)
    beta = randn(3, seed=3, requires_grad=True)
    ours_mean, ours_var = randn(3, seed=4), randn(3, seed=5).abs() + 0.5
    ref_mean, ref_var = ours_mean.clone(), ours_var.clone()
    ours = batch_norm(x, ours_mean, ours_var, gamma, beta, True, momentum, 1e-5)
    ref = functional.batch_norm(x, ref_mean, ref_var, gamma, beta, True, momentum, 1e-5)
    torch.testing.assert_close(ours, ref, **TOL)
    torch.testing.assert_close(ours_mean, ref_mean, **TOL)
    torch.testing.assert_close(ours_var, ref_var, **TOL)
    probe = randn(*shape, seed=9)
    g_ours = torch.autograd.grad((ours * probe).sum(), [x, gamma, beta])
    g_ref = torch.autograd.grad((ref * probe).sum(), [x, gamma, beta])
    for a, b in zip(g_ours, g_ref, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_running_statistics_by_hand_momentum_weighs_the_new_batch():
    x = torch.tensor([[1.0], [2.0], [6.0]], dtype=torch.float64)  # mean 3, biased var 14/3
    mean, var = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    y = batch_norm(x, mean, var, training=True, momentum=0.25, eps=0.0)
    torch.testing.assert_close(y.flatten(), (x.flatten() - 3) / (14 / 3) ** 0.5, **TOL)
    torch.testing.assert_close(mean, torch.tensor([0.75 * 0 + 0.25 * 3], dtype=torch.float64))
    # the running variance takes the unbiased variance 7 = 14 / (3 - 1), not 14/3
    torch.testing.assert_close(var, torch.tensor([0.75 * 1 + 0.25 * 7], dtype=torch.float64))


@pytest.mark.parametrize("shape", SHAPES[:3])
def test_batch_norm_eval_uses_running_statistics(shape):
    x = randn(*shape, seed=1, requires_grad=True)
    mean, var = randn(3, seed=4), randn(3, seed=5).abs() + 0.1
    gamma, beta = randn(3, seed=2), randn(3, seed=3)
    ours = batch_norm(x, mean, var, gamma, beta, False)
    ref = functional.batch_norm(x, mean, var, gamma, beta, False)
    torch.testing.assert_close(ours, ref, **TOL)
    torch.testing.assert_close(torch.autograd.grad(ours.sum(), x)[0],
                               torch.autograd.grad(ref.sum(), x)[0], **TOL)  # fmt: skip


def test_batch_norm_gradcheck():
    x = randn(4, 2, 3, seed=1, requires_grad=True)
    gamma, beta = randn(2, seed=2, requires_grad=True), randn(2, seed=3, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, g, b: batch_norm(x, None, None, g, b, True), (x, gamma, beta)
    )


def test_batch_norm_module_equals_nn_batchnorm2d_step_by_step():
    ours, ref = BatchNorm(3, momentum=0.2).double(), nn.BatchNorm2d(3, momentum=0.2).double()
    with torch.no_grad():
        ref.weight.copy_(randn(3, seed=7))
        ref.bias.copy_(randn(3, seed=8))
    ours.load_state_dict(ref.state_dict())
    for step in range(4):
        x = randn(5, 3, 4, 4, seed=10 + step, scale=2.0)
        torch.testing.assert_close(ours(x), ref(x), **TOL)
    for key, value in ref.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[key], value, **TOL)
    ours.eval(), ref.eval()
    x = randn(2, 3, 4, 4, seed=50)
    torch.testing.assert_close(ours(x), ref(x), **TOL)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value"):
        batch_norm(randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean"):
        batch_norm(randn(4, 3), None, None, training=False)
    with pytest.raises(ValueError, match="momentum"):
        batch_norm(randn(4, 3), None, None, training=True, momentum=1.5)
    with pytest.raises(TypeError, match="input"):
        batch_norm([1.0, 2.0], None, None)


LAYER_SHAPES = [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((2, 3, 4), (3, 4)), ((1, 5), (5,))]


@pytest.mark.parametrize(("shape", "normalized"), LAYER_SHAPES)
def test_layer_norm_equals_torch(shape, normalized):
    x = randn(*shape, seed=1, scale=2.0, requires_grad=True)
    gamma = randn(*normalized, seed=2, requires_grad=True)
    beta = randn(*normalized, seed=3, requires_grad=True)
    ours = layer_norm(x, normalized, gamma, beta)
    ref = functional.layer_norm(x, normalized, gamma, beta)
    torch.testing.assert_close(ours, ref, **TOL)
    probe = randn(*shape, seed=9)
    ours_grads = torch.autograd.grad((ours * probe).sum(), [x, gamma, beta])
    ref_grads = torch.autograd.grad((ref * probe).sum(), [x, gamma, beta])
    for a, b in zip(ours_grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_layer_norm_module_and_errors():
    ours, ref = LayerNorm((4, 5)).double(), nn.LayerNorm((4, 5)).double()
    x = randn(3, 4, 5, seed=4)
    torch.testing.assert_close(ours(x), ref(x), **TOL)
    torch.testing.assert_close(ours.eval()(x), ref(x), **TOL)  # no running statistics
    with pytest.raises(ValueError, match="normalized_shape"):
        layer_norm(x, (4,))


def test_zero_gamma_makes_each_residual_branch_start_at_zero():
    torch.manual_seed(0)
    net = nn.Sequential(ResidualBlock(4, 4), ResidualBlock(4, 8, stride=2)).double()
    assert zero_init_last_norm_(net, ResidualBlock) == 2
    assert float(net[0].bn2.weight.detach().abs().sum()) == 0.0
    assert float(net[1].shortcut[1].weight.detach().abs().sum()) > 0  # the projection is kept
    x = randn(2, 4, 6, 6, seed=1).abs()
    # block 0 starts as relu(x + 0) = x for a non-negative input
    torch.testing.assert_close(net[0](x), x, **TOL)
