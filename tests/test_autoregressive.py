"""Tests for course_lib.autoregressive: MADE's masks, its likelihood and its sampler.

- Is MADE autoregressive: does the Jacobian of its logits with respect to its inputs vanish on
  and above the diagonal, for any weights, with one or two hidden layers, with and without the
  direct connection, and is it non-zero below it?
- Is the product of the masks strictly lower triangular, and do the masks match a hand-worked
  case?
- Do its probabilities sum to 1 over every binary image of a tiny size, and is log_prob the
  chain rule computed one conditional at a time?
- Does the sampler draw from that distribution (frequencies of all 8 images of 3 pixels), and
  follow a hand-made conditional exactly?
- Do binarize, bits_per_dim and MaskedLinear compute what they say, and do bad inputs get clear
  errors?
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from helpers import TOL, gen, randn
from torch import nn
from torch.distributions import Bernoulli

from course_lib.autoregressive import (
    MADE,
    MaskedLinear,
    autoregressive_masks,
    binarize,
    bits_per_dim,
    sample_autoregressive,
)

pytestmark = pytest.mark.ch11

F64 = torch.float64


def every_image(num_pixels: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=num_pixels)), dtype=F64)


def randomized(model: nn.Module, seed: int) -> nn.Module:
    """The model with large random weights (so that every unmasked path matters)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 1)
    return model


@pytest.mark.parametrize("hidden", [[16], [12, 12], [5]])
@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_output_i_depends_only_on_the_pixels_before_i(hidden, direct, seed):
    made = randomized(MADE(8, hidden, direct=direct, seed=seed).double(), seed)
    x = torch.rand(1, 8, generator=gen(seed), dtype=F64)
    jacobian = torch.autograd.functional.jacobian(lambda v: made(v)[0], x)[:, 0, :]  # (8, 8)
    assert torch.all(jacobian.triu() == 0), jacobian
    if direct:  # the direct connection reaches every earlier pixel
        assert torch.all(jacobian.tril(-1)[torch.tril_indices(8, 8, -1).unbind()] != 0)
    else:
        assert jacobian.tril(-1).abs().sum() > 0


@pytest.mark.parametrize("hidden", [[6], [10, 7], [4, 4, 4]])
def test_the_product_of_the_masks_is_strictly_lower_triangular(hidden):
    masks = autoregressive_masks(5, hidden, generator=gen(2))
    assert [tuple(m.shape) for m in masks] == list(zip([*hidden, 5], [5, *hidden], strict=True))
    paths = masks[0]
    for mask in masks[1:]:
        paths = mask @ paths
    assert torch.equal(paths.triu(), torch.zeros(5, 5))
    assert set(torch.unique(torch.cat([m.flatten() for m in masks])).tolist()) <= {0.0, 1.0}


def test_masks_by_hand():
    # hidden degrees drawn from {1, 2} for D = 3: unit k sees pixels 1..m(k)
    mask_in, mask_out = autoregressive_masks(3, [4], generator=gen(5))
    degrees = mask_in.sum(1)  # a unit of degree m sees exactly m pixels
    expected_in = (degrees[:, None] >= torch.arange(1, 4)[None, :]).float()
    torch.testing.assert_close(mask_in, expected_in)
    expected_out = (torch.arange(1, 4)[:, None] > degrees[None, :]).float()
    torch.testing.assert_close(mask_out, expected_out)
    assert torch.all(mask_out[0] == 0)  # the first pixel's logit is a constant
    assert degrees.min() >= 1 and degrees.max() <= 2


@pytest.mark.parametrize("direct", [True, False])
def test_probabilities_sum_to_one_over_every_binary_image(direct):
    made = randomized(MADE(8, [20, 20], direct=direct, seed=3).double(), 3)
    with torch.no_grad():
        total = made.log_prob(every_image(8)).exp().sum()
    torch.testing.assert_close(total, torch.tensor(1.0, dtype=F64), **TOL)


def test_log_prob_is_the_chain_rule_one_conditional_at_a_time():
    made = randomized(MADE(6, [10], seed=4).double(), 4)
    images = every_image(6)[::7]
    with torch.no_grad():
        logits = made(images)
        expected = Bernoulli(logits=logits).log_prob(images).sum(1)
        by_hand = torch.zeros(len(images), dtype=F64)
        for i in range(6):
            visible = images.clone()
            visible[:, i:] = torch.rand(len(images), 6 - i, generator=gen(i), dtype=F64)  # ignored
            p = torch.sigmoid(made(visible)[:, i])
            by_hand += torch.where(images[:, i] == 1, p.log(), (1 - p).log())
        torch.testing.assert_close(made.log_prob(images), expected, **TOL)
        torch.testing.assert_close(by_hand, expected, **TOL)


def test_samples_follow_the_model_distribution():
    made = randomized(MADE(3, [8], seed=6), 6)
    with torch.no_grad():
        images = every_image(3).float()
        probabilities = made.log_prob(images).exp()
        samples = made.sample(40_000, generator=gen(0))
    codes = (samples * torch.tensor([4.0, 2.0, 1.0])).sum(1).long()
    frequencies = torch.bincount(codes, minlength=8).double() / len(samples)
    torch.testing.assert_close(frequencies, probabilities.double(), rtol=0, atol=0.01)
    assert set(torch.unique(samples).tolist()) <= {0.0, 1.0}


class CopyPrevious(nn.Module):
    """p(x_1 = 1) ≈ 1, then p(x_i = 1) ≈ x_{i-1}: every sample is all ones."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(40.0))

    def forward(self, x):
        previous = torch.cat([torch.ones_like(x[:, :1]), x[:, :-1]], dim=1)
        return self.scale * (2 * previous - 1)


def test_the_sampler_conditions_each_pixel_on_the_ones_drawn_before():
    samples = sample_autoregressive(CopyPrevious(), 5, 7, generator=gen(1))
    assert torch.equal(samples, torch.ones(5, 7))


def test_sampling_is_reproducible_with_a_generator():
    made = MADE(10, [16], seed=0)
    assert torch.equal(made.sample(4, generator=gen(3)), made.sample(4, generator=gen(3)))


def test_masked_linear_equals_linear_with_masked_weights_and_masks_its_gradient():
    mask = (torch.rand(4, 3, generator=gen(1)) > 0.5).to(F64)
    layer = MaskedLinear(3, 4, mask).double()
    x = randn(5, 3, seed=2)
    torch.testing.assert_close(
        layer(x), nn.functional.linear(x, layer.weight * mask, layer.bias), **TOL
    )
    layer(x).sum().backward()
    assert torch.all(layer.weight.grad[mask == 0] == 0)
    with pytest.raises(ValueError, match=r"mask must have shape \(4, 3\)"):
        MaskedLinear(3, 4, torch.ones(3, 4))


def test_binarize_and_bits_per_dim():
    x = torch.tensor([[0.0, 0.49, 0.5, 0.51, 1.0]])
    torch.testing.assert_close(binarize(x), torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0]]))
    torch.testing.assert_close(
        binarize(x, threshold=0.0), torch.tensor([[0.0, 1.0, 1.0, 1.0, 1.0]])
    )
    assert bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)
    assert bits_per_dim(100.0, 784) == pytest.approx(100 / (784 * math.log(2)))
    with pytest.raises(ValueError, match="num_dims must be an integer >= 1"):
        bits_per_dim(1.0, 0)


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="num_inputs must be an integer >= 2"):
        autoregressive_masks(1, [4])
    with pytest.raises(ValueError, match="each of hidden_sizes must be an integer >= 1"):
        MADE(4, [0])
    with pytest.raises(ValueError, match="x must have 4 values per image, got 5"):
        MADE(4, [8])(torch.zeros(2, 5))
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        binarize([0.3, 0.7])


def test_made_accepts_images_and_trains_on_binary_data():
    from course_lib.training import fit

    X = binarize(
        torch.rand(128, 1, 3, 3, generator=gen(0)) * 0.5
        + 0.5 * (torch.arange(9).reshape(1, 1, 3, 3) % 2)
    )
    made = MADE(9, [16], seed=0)
    assert made(X).shape == (128, 9)

    def nll(logits, x):
        return nn.functional.binary_cross_entropy_with_logits(
            logits, x.flatten(1), reduction="sum"
        ) / len(x)

    history = fit(
        made, (X, X), num_epochs=20, batch_size=32, lr=1e-2, loss_fn=nll, progress=False, seed=0
    )
    assert history["train_loss"][-1] < history["train_loss"][0] - 1.0
