"""Tests for course_lib.regularization: dropout, label smoothing, EMA, stochastic depth.

- ``dropout`` equals ``F.dropout`` exactly given the same mask (recovered from torch's
  output), in expectation, and in its mask statistics; nothing happens in evaluation.
- Label-smoothed cross-entropy equals ``F.cross_entropy(label_smoothing=ε)``; the seeds'
  targets equal PyTorch's with ε′ = εK/(K − 1).
- ``WeightEMA`` equals ``AveragedModel(get_ema_multi_avg_fn(α), use_buffers=True)`` step
  by step, BatchNorm buffers included.
- Stochastic depth (no oracle here: torchvision does not import): the inverted form,
  checked by hand and by statistics.
"""

from __future__ import annotations

import math

import pytest
import torch
from helpers import TOL, randn
from torch import nn
from torch.nn import functional
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from course_lib.regularization import (
    Dropout,
    StochasticDepthResidual,
    WeightEMA,
    dropout,
    dropout_mask,
    label_smoothing_targets,
    seeds_to_pytorch_epsilon,
    smoothed_cross_entropy,
    survival_probabilities,
)
from course_lib.training import fit

pytestmark = pytest.mark.ch06


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_equals_torch_given_the_same_mask(p):
    x = randn(6, 7, seed=1).abs() + 0.1  # no zeros: torch's zeros are exactly its mask
    torch.manual_seed(3)
    ref = functional.dropout(x, p, training=True)
    mask = (ref != 0).to(x.dtype)
    torch.testing.assert_close(dropout(x, p, mask=mask), ref, **TOL)


def test_dropout_expectation_and_mask_statistics():
    x = torch.full((200_000,), 2.0, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    out = dropout(x, 0.3, generator=g)
    kept = (out != 0).double().mean()
    assert abs(float(kept) - 0.7) < 0.005  # 4 standard errors ≈ 0.004
    assert abs(float(out.mean()) - 2.0) < 0.02  # inverted: E[r x / (1 − p)] = x
    torch.testing.assert_close(out[out != 0], torch.full_like(out[out != 0], 2.0 / 0.7), **TOL)
    ref = functional.dropout(x, 0.3, training=True)
    assert abs(float(ref.mean()) - float(out.mean())) < 0.03


def test_dropout_eval_edges_and_gradient():
    x = randn(4, 5, seed=2, requires_grad=True)
    assert dropout(x, 0.5, training=False) is x
    assert torch.equal(Dropout(0.5).eval()(x), x)
    assert torch.equal(dropout(x, 1.0), x * 0)
    assert torch.equal(dropout(x, 0.0), x)
    mask = dropout_mask(x.shape, 0.5, generator=torch.Generator().manual_seed(1), dtype=x.dtype)
    (grad,) = torch.autograd.grad(dropout(x, 0.5, mask=mask).sum(), x)
    torch.testing.assert_close(grad, mask / 0.5, **TOL)
    with pytest.raises(ValueError, match="p must"):
        dropout(x, 1.5)
    with pytest.raises(ValueError, match="mask"):
        dropout(x, 0.5, mask=torch.ones(3))


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.4, 0.9])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smoothed_cross_entropy_equals_torch(epsilon, reduction):
    logits = randn(9, 5, seed=1, scale=4.0, requires_grad=True)
    y = torch.randint(0, 5, (9,), generator=torch.Generator().manual_seed(2))
    ours = smoothed_cross_entropy(logits, y, epsilon=epsilon, reduction=reduction)
    ref = functional.cross_entropy(logits, y, label_smoothing=epsilon, reduction=reduction)
    torch.testing.assert_close(ours, ref, **TOL)
    torch.testing.assert_close(torch.autograd.grad(ours.sum(), logits)[0],
                               torch.autograd.grad(ref.sum(), logits)[0], **TOL)  # fmt: skip


def test_smoothed_cross_entropy_is_stable_for_huge_logits():
    logits = torch.tensor([[1e4, -1e4, 0.0]], dtype=torch.float64)
    y = torch.tensor([1])
    ours = smoothed_cross_entropy(logits, y, epsilon=0.1)
    assert math.isfinite(float(ours))
    torch.testing.assert_close(
        ours, functional.cross_entropy(logits, y, label_smoothing=0.1), **TOL
    )


@pytest.mark.parametrize("k", [2, 3, 10])
@pytest.mark.parametrize("epsilon", [0.05, 0.1, 0.3])
def test_seeds_convention_is_pytorch_with_converted_epsilon(k, epsilon):
    y = torch.arange(k)
    seeds = label_smoothing_targets(y, k, epsilon, convention="seeds").double()
    assert torch.allclose(seeds.diagonal(), torch.full((k,), 1 - epsilon, dtype=torch.float64))
    assert torch.allclose(seeds.sum(dim=1), torch.ones(k, dtype=torch.float64))
    converted = seeds_to_pytorch_epsilon(epsilon, k)
    pytorch = label_smoothing_targets(y, k, converted, convention="pytorch").double()
    torch.testing.assert_close(seeds, pytorch, rtol=1e-6, atol=1e-7)
    logits = randn(k, k, seed=3)
    torch.testing.assert_close(
        smoothed_cross_entropy(logits, y, epsilon=epsilon, convention="seeds"),
        functional.cross_entropy(logits, y, label_smoothing=converted),
        rtol=1e-6,
        atol=1e-7,
    )


def test_label_smoothing_errors():
    with pytest.raises(ValueError, match="convention"):
        label_smoothing_targets(torch.tensor([0]), 3, 0.1, convention="keras")
    with pytest.raises(ValueError, match="target"):
        label_smoothing_targets(torch.tensor([0.0]), 3, 0.1)
    with pytest.raises(ValueError, match="epsilon"):
        seeds_to_pytorch_epsilon(0.95, 10)  # ε′ would exceed 1


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)).double()


def test_weight_ema_equals_averaged_model_step_by_step():
    net = small_net()
    ours = WeightEMA(net, decay=0.8)
    ref = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.8), use_buffers=True)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for step in range(6):
        x, y = randn(16, 4, seed=step), torch.arange(16) % 3
        opt.zero_grad()
        functional.cross_entropy(net(x), y).backward()
        opt.step()
        ours.update(net)
        ref.update_parameters(net)
        for (key, a), b in zip(ours.module.state_dict().items(), ref.module.state_dict().values(),
                               strict=True):  # fmt: skip
            torch.testing.assert_close(a, b, **TOL, msg=f"step {step}, {key}")
    x = randn(5, 4, seed=99)
    torch.testing.assert_close(ours.module.eval()(x), ref.module.eval()(x), **TOL)


def test_weight_ema_first_update_copies_and_fit_logs():
    net = small_net()
    ema = WeightEMA(net, decay=0.99)
    with torch.no_grad():
        net[0].weight.add_(1.0)
    ema.update(net)
    torch.testing.assert_close(ema.module[0].weight, net[0].weight, **TOL)
    X, y = randn(32, 4, seed=1), torch.arange(32) % 3
    ema = WeightEMA(net, decay=0.9, eval_data={"val": (X, y)})
    history = fit(net, (X, y), batch_size=8, num_epochs=2, callbacks=[ema], progress=False, seed=0)
    assert len(history["ema_val_accuracy"]) == 2 and ema.num_updates == 8


def test_survival_probabilities_follow_the_linear_rule():
    assert survival_probabilities(1, 0.5) == [0.5]
    probs = survival_probabilities(10, 0.2)
    assert probs[-1] == pytest.approx(0.2) and probs[0] == pytest.approx(1 - 0.08)
    assert probs == sorted(set(probs), reverse=True)  # strictly decreasing


class Constant(nn.Module):
    def forward(self, h):
        return torch.ones_like(h)


def test_stochastic_depth_inverted_form_by_hand_and_by_statistics():
    h = torch.zeros(100_000, 1, dtype=torch.float64)
    block = StochasticDepthResidual(Constant(), 0.8, generator=torch.Generator().manual_seed(0))
    out = block(h)  # each row is 0 (dropped) or 1 / 0.8 (kept, inverted scaling)
    values = set(out.flatten().tolist())
    assert values == {0.0, 1 / 0.8}
    assert abs(float((out != 0).double().mean()) - 0.8) < 0.005
    assert abs(float(out.mean()) - 1.0) < 0.01  # expectation = evaluation output
    torch.testing.assert_close(block.eval()(h), h + 1, **TOL)


def test_stochastic_depth_batch_mode_drops_the_whole_batch():
    block = StochasticDepthResidual(Constant(), 0.5, mode="batch",
                                    generator=torch.Generator().manual_seed(1))  # fmt: skip
    outs = [block(torch.zeros(4, 2)) for _ in range(50)]
    assert all(len(set(o.flatten().tolist())) == 1 for o in outs)
    assert {float(o[0, 0]) for o in outs} == {0.0, 2.0}
    with pytest.raises(ValueError, match="mode"):
        StochasticDepthResidual(Constant(), 0.5, mode="sample")
