"""Tests for course_lib.gan: the losses against their formulas, one training step, coverage.

- Do discriminator_loss and generator_loss (saturating and non-saturating) equal their
  formulas written with F.binary_cross_entropy_with_logits and with log σ, stay finite for
  huge logits, and have the gradients −D and −(1 − D) with respect to a fake's logit?
- Does gan_step take one discriminator step on detached fakes and then one generator step
  through the updated discriminator, equal to the same two steps written by hand?
- Do ring_of_gaussians, modes_covered and classes_covered count what they say, and refuse
  bad input with clear errors?
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
from helpers import TOL, gen, randn
from torch import nn
from torch.nn import functional as F  # noqa: N812

from course_lib.gan import (
    classes_covered,
    discriminator_loss,
    gan_step,
    generator_loss,
    modes_covered,
    ring_centres,
    ring_of_gaussians,
)

pytestmark = pytest.mark.ch11

F64 = torch.float64


@pytest.mark.parametrize("shape", [(6, 1), (4,), (3, 2)])
def test_discriminator_loss_equals_its_formula(shape):
    real, fake = randn(*shape, seed=1, scale=3.0), randn(*shape, seed=2, scale=3.0)
    expected = F.binary_cross_entropy_with_logits(
        real, torch.ones_like(real)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    by_hand = -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()
    torch.testing.assert_close(discriminator_loss(real, fake), expected, **TOL)
    torch.testing.assert_close(discriminator_loss(real, fake), by_hand, rtol=1e-10, atol=1e-10)


def test_discriminator_loss_with_batches_of_different_sizes_and_at_chance():
    real, fake = randn(5, 1, seed=3), randn(2, 1, seed=4)
    expected = F.softplus(-real).mean() + F.softplus(fake).mean()
    torch.testing.assert_close(discriminator_loss(real, fake), expected, **TOL)
    chance = discriminator_loss(torch.zeros(3, 1, dtype=F64), torch.zeros(3, 1, dtype=F64))
    torch.testing.assert_close(chance, torch.tensor(2 * math.log(2), dtype=F64))


@pytest.mark.parametrize("saturating", [False, True])
def test_generator_losses_equal_their_formulas(saturating):
    fake = randn(7, 1, seed=5, scale=4.0)
    d = torch.sigmoid(fake)
    expected = torch.log(1 - d).mean() if saturating else -torch.log(d).mean()
    torch.testing.assert_close(
        generator_loss(fake, saturating=saturating), expected, rtol=1e-10, atol=1e-10
    )
    reference = (
        -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        if saturating
        else F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    )
    torch.testing.assert_close(generator_loss(fake, saturating=saturating), reference, **TOL)


def test_losses_stay_finite_for_huge_logits():
    huge = torch.tensor([[500.0], [-500.0]], dtype=F64)
    for value in (
        discriminator_loss(huge, huge),
        generator_loss(huge),
        generator_loss(huge, saturating=True),
    ):
        assert torch.isfinite(value)
    torch.testing.assert_close(discriminator_loss(huge, huge), torch.tensor(500.0, dtype=F64))
    torch.testing.assert_close(generator_loss(huge), torch.tensor(250.0, dtype=F64))


def test_the_saturating_gradient_vanishes_when_the_discriminator_wins():
    fake = torch.tensor([-8.0, -4.0, 0.0, 4.0], dtype=F64, requires_grad=True)
    d = torch.sigmoid(fake.detach())
    (g_sat,) = torch.autograd.grad(generator_loss(fake, saturating=True), fake)
    (g_non,) = torch.autograd.grad(generator_loss(fake), fake)
    torch.testing.assert_close(g_sat, -d / 4, **TOL)
    torch.testing.assert_close(g_non, -(1 - d) / 4, **TOL)
    assert abs(g_non[0]) > 1000 * abs(g_sat[0])


def small_networks(seed=0):
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    return G, D


@pytest.mark.parametrize("saturating", [False, True])
def test_gan_step_equals_the_two_steps_written_by_hand(saturating):
    G, D = small_networks()
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    real, z = randn(16, 2, seed=1), randn(16, 2, seed=2)
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    logged = gan_step(G, D, real, z, opt_g, opt_d, saturating=saturating)
    # by hand: D's step on detached fakes, then G's through the updated D
    fake = G2(z)
    d_loss = F.softplus(-D2(real)).mean() + F.softplus(D2(fake.detach())).mean()
    d_grads = torch.autograd.grad(d_loss, list(D2.parameters()))
    with torch.no_grad():
        for p, g in zip(D2.parameters(), d_grads, strict=True):
            p -= 0.1 * g
    logits = D2(fake)
    g_loss = -F.softplus(logits).mean() if saturating else F.softplus(-logits).mean()
    g_grads = torch.autograd.grad(g_loss, list(G2.parameters()))
    with torch.no_grad():
        for p, g in zip(G2.parameters(), g_grads, strict=True):
            p -= 0.1 * g
    for a, b in zip(
        [*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()], strict=True
    ):
        torch.testing.assert_close(a, b, **TOL)
    assert logged["d_loss"] == pytest.approx(d_loss.item())
    assert logged["g_loss"] == pytest.approx(g_loss.item())
    assert 0 < logged["d_fake"] < 1 and 0 < logged["d_real"] < 1


def test_gan_step_leaves_the_generator_alone_in_the_discriminator_step():
    G, D = small_networks(1)
    before = [p.clone() for p in G.parameters()]
    opt_g = torch.optim.SGD(G.parameters(), lr=0.0)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    gan_step(G, D, randn(8, 2, seed=3), randn(8, 2, seed=4), opt_g, opt_d)
    for a, b in zip(G.parameters(), before, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_ring_of_gaussians_lies_on_its_modes():
    centres = ring_centres(8, radius=2.0)
    torch.testing.assert_close(centres.norm(dim=1), torch.full((8,), 2.0))
    torch.testing.assert_close(centres[2], torch.tensor([0.0, 2.0]), rtol=0, atol=1e-6)
    points = ring_of_gaussians(4000, std=0.05, generator=gen(0))
    nearest = torch.cdist(points, centres).min(1)
    assert nearest.values.max() < 0.05 * 6
    counts = torch.bincount(nearest.indices, minlength=8)
    assert counts.min() > 400 and counts.max() < 600
    assert torch.equal(points, ring_of_gaussians(4000, std=0.05, generator=gen(0)))


def test_modes_covered_by_hand():
    centres = torch.tensor([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    on_first = torch.tensor([[0.0, 0.01]]).repeat(90, 1)
    on_second = torch.tensor([[5.0, 0.05]]).repeat(9, 1)
    off = torch.tensor([[2.5, 2.5]])
    samples = torch.cat([on_first, on_second, off])  # 100 samples
    assert modes_covered(samples, centres, std=0.05) == (2, pytest.approx(0.99))
    assert modes_covered(samples, centres, std=0.05, min_share=0.1)[0] == 1
    assert modes_covered(samples, centres, std=0.01)[0] == 1  # 0.05 is 5 std away: off the mode
    assert modes_covered(off, centres, std=0.05) == (0, 0.0)


def test_classes_covered_by_hand():
    labels = torch.tensor([3] * 50 + [1] * 45 + [7] * 5)
    assert classes_covered(labels, 10) == 3
    assert classes_covered(labels, 10, min_share=0.1) == 2
    assert classes_covered(torch.zeros(20, dtype=torch.long), 10) == 1


def test_bad_inputs_get_clear_errors():
    with pytest.raises(
        ValueError, match=r"samples .* and centres .* must be points of the same space"
    ):
        modes_covered(torch.zeros(5, 3), torch.zeros(2, 2), std=0.1)
    with pytest.raises(ValueError, match="std must be a number > 0"):
        modes_covered(torch.zeros(5, 2), torch.zeros(2, 2), std=0.0)
    with pytest.raises(ValueError, match="num_modes must be an integer >= 1"):
        ring_of_gaussians(10, num_modes=0)
    with pytest.raises(TypeError, match=r"fake_logits must be a torch\.Tensor"):
        generator_loss([0.0])
    with pytest.raises(ValueError, match=r"min_share must be a number in \[0, 1\]"):
        classes_covered(torch.zeros(3, dtype=torch.long), 10, min_share=2.0)
