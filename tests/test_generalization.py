"""Tests for course_lib.generalization: the squares experiment, corruptions, equivariance and
the curse of dimensionality, in float64 against hand-worked values and independent oracles."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional

from course_lib.data import make_squares
from course_lib.generalization import (
    CORRUPTIONS,
    accuracy_under_corruption,
    ball_cube_ratio,
    ball_volume,
    bce_loss,
    binary_accuracy,
    circular_conv2d,
    corrupt,
    digit_cnn,
    equivariance_error,
    invariance_error,
    random_distances,
    relative_contrast,
    shell_fraction,
    squares_experiment,
    squares_mlp,
    summarize_runs,
)

pytestmark = pytest.mark.ch07


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- #
# The squares experiment
# --------------------------------------------------------------------------- #
def test_squares_mlp_is_the_seeds_network():
    """Is it 2 -> 4 x (256, ReLU) -> 1 logit, with (2·256 + 256) + 3·(256² + 256) + 257 weights?"""
    net = squares_mlp()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (2, 256), (256, 256), (256, 256), (256, 256), (256, 1)]  # fmt: skip
    assert sum(isinstance(m, nn.ReLU) for m in net) == 4
    assert sum(p.numel() for p in net.parameters()) == 3 * 256 + 3 * (256 * 256 + 256) + 257


def test_bce_loss_is_the_negative_log_likelihood_of_a_sigmoid():
    """Does bce_loss equal −mean[y log σ(z) + (1 − y) log(1 − σ(z))], computed by hand?"""
    z = torch.tensor([[2.0], [-1.0], [0.5], [-3.0]], dtype=torch.float64)
    y = torch.tensor([1, 0, 0, 1])
    p = 1 / (1 + np.exp(-z.numpy().ravel()))
    t = y.numpy()
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(bce_loss(z, y).item(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="output and y"):
        bce_loss(z, y[:3])


def test_binary_accuracy_thresholds_the_logit_at_zero():
    """Is a logit of 0.3 class 1 (σ > 1/2) and shape (N, 1) against (N,) not broadcast?"""
    logits = torch.tensor([[0.3], [-0.2], [4.0], [-4.0]])
    assert binary_accuracy(logits, torch.tensor([1, 0, 1, 0])) == 1.0
    assert binary_accuracy(logits, torch.tensor([0, 0, 0, 0])) == 0.5
    with pytest.raises(ValueError, match="same number"):
        binary_accuracy(logits, torch.tensor([1, 0]))


def test_squares_experiment_runs_and_separates_in_from_out():
    """With a small budget, is each record complete, the step budget exact, and the network
    better in distribution than out of it (where the pattern it never saw continues)?"""
    records = squares_experiment((256,), (0,), num_steps=120, n_test=200)
    (record,) = records
    assert record["n_train"] == 256 and record["steps"] == 120
    assert 0.0 <= record["ood_accuracy"] <= 1.0
    assert record["id_accuracy"] > record["ood_accuracy"]
    with_ood = squares_experiment((128,), (1,), num_steps=10, extra_ood=9, n_test=50)
    assert with_ood[0]["n_train"] == 137


def test_summarize_runs_mean_and_sample_spread():
    """Are the mean, the sample standard deviation (ddof=1), min and max per group right?"""
    records = [{"n_train": 5, "a": v} for v in (0.5, 0.7, 0.9)] + [{"n_train": 9, "a": 0.4}]
    rows = summarize_runs(records, "a")
    assert rows[0][0] == 5
    np.testing.assert_allclose(rows[0][1:], [0.7, 0.2, 0.5, 0.9], rtol=1e-12)
    assert rows[1] == (9, 0.4, 0.0, 0.4, 0.4)


# --------------------------------------------------------------------------- #
# Corruptions
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_corruptions_keep_shape_range_dtype_and_are_the_identity_at_zero(kind, dtype):
    """Does every corruption keep the shape and dtype, stay in [0, 1], and do nothing at 0?"""
    x = torch.rand(3, 1, 12, 12, generator=gen(0), dtype=dtype)
    strength = {"noise": 0.3, "blur": 1.0, "rotation": 30.0, "contrast": 0.5,
                "brightness": 0.4}[kind]  # fmt: skip
    y = corrupt(x, kind, strength, generator=gen(1))
    assert y.shape == x.shape and y.dtype == dtype
    assert y.min() >= 0 and y.max() <= 1
    assert not torch.equal(y, x)
    torch.testing.assert_close(corrupt(x, kind, 0.0), x, rtol=0, atol=0)


def test_contrast_strength_one_is_a_uniform_grey_at_the_mean():
    """Does removing all contrast leave every pixel at the image's own mean?"""
    x = torch.rand(2, 1, 5, 5, generator=gen(2), dtype=torch.float64)
    y = corrupt(x, "contrast", 1.0)
    torch.testing.assert_close(y, x.mean(dim=(1, 2, 3), keepdim=True).expand_as(x))


def test_corrupt_rejects_bad_kinds_and_strengths():
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(ValueError, match="kind"):
        corrupt(x, "fog", 0.1)
    with pytest.raises(ValueError, match="strength"):
        corrupt(x, "contrast", 1.5)
    with pytest.raises(ValueError, match="strength"):
        corrupt(x, "noise", -0.1)


def test_accuracy_under_corruption_matches_evaluate_by_hand():
    """Is the clean accuracy the plain accuracy, and the noisy one reproducible by seed?"""
    torch.manual_seed(0)
    model = digit_cnn().eval()
    X = torch.rand(40, 1, 28, 28, generator=gen(3))
    y = torch.randint(0, 10, (40,), generator=gen(4))
    clean, noisy = accuracy_under_corruption(model, X, y, "noise", [0.0, 0.5], seed=7)
    with torch.no_grad():
        assert clean == (model(X).argmax(1) == y).double().mean().item()
        X_noisy = corrupt(X, "noise", 0.5, generator=gen(7))
        assert noisy == (model(X_noisy).argmax(1) == y).double().mean().item()


# --------------------------------------------------------------------------- #
# Equivariance
# --------------------------------------------------------------------------- #
def test_circular_convolution_is_exactly_equivariant_to_circular_shifts():
    """Is equivariance_error ~1e-16 for a circular convolution under torch.roll?"""
    x = torch.randn(2, 3, 16, 16, generator=gen(5), dtype=torch.float64)
    w = torch.randn(4, 3, 3, 3, generator=gen(6), dtype=torch.float64)
    for shift in [(1, 0), (3, -5), (8, 8)]:
        error = equivariance_error(lambda t: circular_conv2d(t, w),
                                   lambda t, s=shift: torch.roll(t, s, dims=(2, 3)), x)  # fmt: skip
        assert error < 1e-14


def test_zero_padded_convolution_is_equivariant_up_to_borders():
    """With zero padding, is the error small but not zero, and zero away from the border?"""
    x = torch.randn(1, 1, 32, 32, generator=gen(7), dtype=torch.float64)
    w = torch.randn(1, 1, 3, 3, generator=gen(8), dtype=torch.float64)

    def conv(t):
        return functional.conv2d(t, w, padding=1)

    def shift(t):
        return torch.roll(t, 2, dims=3)

    error = equivariance_error(conv, shift, x)
    assert 1e-3 < error < 0.5
    inner = (conv(shift(x)) - shift(conv(x)))[..., 3:-3]
    assert inner.abs().max() < 1e-12


def test_convolution_is_not_rotation_equivariant_unless_the_filter_is_symmetric():
    """Is the error under a 90° rotation clearly > 0 for a random filter, ~0 for a filter that
    is itself invariant to the rotation?"""
    x = torch.randn(1, 1, 16, 16, generator=gen(9), dtype=torch.float64)
    random_w = torch.randn(1, 1, 3, 3, generator=gen(10), dtype=torch.float64)
    symmetric_w = torch.tensor([[[[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]]], dtype=torch.float64)

    def rot(t):
        return torch.rot90(t, 1, dims=(2, 3))

    assert equivariance_error(lambda t: circular_conv2d(t, random_w), rot, x) > 0.3
    assert equivariance_error(lambda t: circular_conv2d(t, symmetric_w), rot, x) < 1e-14


def test_invariance_error_of_a_global_sum_and_of_the_identity():
    """Is a global sum invariant to shifts (error 0), and the identity map not (error > 0)?"""
    x = torch.rand(2, 1, 8, 8, generator=gen(11), dtype=torch.float64)

    def shift(t):
        return torch.roll(t, 3, dims=2)

    assert invariance_error(lambda t: t.sum(dim=(2, 3)), shift, x) < 1e-15
    np.testing.assert_allclose(
        invariance_error(lambda t: t, shift, x),
        ((shift(x) - x).norm() / x.norm()).item(), rtol=1e-12)  # fmt: skip


def test_equivariance_error_is_relative_and_checks_shapes():
    """Does scaling f leave the error unchanged, and does a shape mismatch raise?"""
    x = torch.randn(1, 1, 8, 8, generator=gen(12), dtype=torch.float64)

    def shift(t):
        return torch.roll(t, 1, dims=3)

    def f(t):
        return functional.conv2d(t, torch.ones(1, 1, 3, 3, dtype=torch.float64), padding=1)

    np.testing.assert_allclose(equivariance_error(lambda t: 1e6 * f(t), shift, x),
                               equivariance_error(f, shift, x), rtol=1e-10)  # fmt: skip
    with pytest.raises(ValueError, match="output_transform"):
        equivariance_error(lambda t: t[..., :4], shift, x, output_transform=lambda y: y[..., :2])
    with pytest.raises(ValueError, match="zero"):
        equivariance_error(lambda t: 0 * t, shift, x)


def test_circular_conv2d_matches_an_explicit_wrap_around_sum():
    """Is circular_conv2d the cross-correlation over indices taken modulo the size?"""
    x = torch.randn(1, 1, 5, 6, generator=gen(13), dtype=torch.float64)
    w = torch.randn(1, 1, 3, 3, generator=gen(14), dtype=torch.float64)
    out = circular_conv2d(x, w)
    expected = torch.zeros_like(x)
    for i in range(5):
        for j in range(6):
            for u in range(3):
                for v in range(3):
                    row, col = (i + u - 1) % 5, (j + v - 1) % 6
                    expected[0, 0, i, j] += w[0, 0, u, v] * x[0, 0, row, col]
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="odd"):
        circular_conv2d(x, torch.zeros(1, 1, 2, 2))


# --------------------------------------------------------------------------- #
# The curse of dimensionality
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(("d", "volume"), [
    (1, 2.0), (2, math.pi), (3, 4 * math.pi / 3), (4, math.pi**2 / 2),
    (5, 8 * math.pi**2 / 15), (6, math.pi**3 / 6)])  # fmt: skip
def test_ball_volume_hand_checked(d, volume):
    """V_1 = 2, V_2 = π, V_3 = 4π/3, V_4 = π²/2, V_5 = 8π²/15, V_6 = π³/6, and V_d(r) = r^d V_d."""
    np.testing.assert_allclose(ball_volume(d), volume, rtol=1e-13)
    np.testing.assert_allclose(ball_volume(d, 0.5), volume * 0.5**d, rtol=1e-13)


def test_ball_cube_ratio_hand_checked_and_by_monte_carlo():
    """Is the share 1, π/4, π/6 in 1, 2, 3 dimensions, the Monte Carlo share in 5, and does it
    vanish (below 1e-10 at d = 50)?"""
    np.testing.assert_allclose([ball_cube_ratio(d) for d in (1, 2, 3)],
                               [1.0, math.pi / 4, math.pi / 6], rtol=1e-13)  # fmt: skip
    points = torch.rand(200_000, 5, generator=gen(15), dtype=torch.float64) * 2 - 1
    inside = (points.norm(dim=1) <= 1).double().mean().item()
    np.testing.assert_allclose(inside, ball_cube_ratio(5), atol=4e-3)  # 4 standard errors
    ratios = [ball_cube_ratio(d) for d in range(1, 51)]
    assert all(b < a for a, b in itertools.pairwise(ratios))
    assert ratios[-1] < 1e-10


def test_shell_fraction_hand_checked():
    """1 − (1 − ε)^d: 0.1 for d = 1, 0.19 for d = 2, all of it at ε = 1, none at ε = 0."""
    np.testing.assert_allclose(shell_fraction(1, 0.1), 0.1, rtol=1e-12)
    np.testing.assert_allclose(shell_fraction(2, 0.1), 0.19, rtol=1e-12)
    assert shell_fraction(7, 1.0) == 1.0 and shell_fraction(7, 0.0) == 0.0


def test_distances_concentrate_as_dimension_grows():
    """Does the relative contrast (max − min) / min fall by orders of magnitude from d = 2 to
    d = 1000, and is the mean squared distance d/6 (the oracle for uniform points)?"""
    contrast = {d: relative_contrast(random_distances(d, 500, generator=gen(d)))
                for d in (2, 1000)}  # fmt: skip
    assert contrast[2] > 10 and contrast[1000] < 0.5
    distances = random_distances(600, 4000, generator=gen(16))
    # E|x - q|² = d/6 for x uniform and q fixed is d(1/12 + (q - 1/2)²) averaged over q
    np.testing.assert_allclose((distances**2).mean().item(), 600 / 6, rtol=0.05)


def test_relative_contrast_validates():
    with pytest.raises(ValueError, match="> 0"):
        relative_contrast(torch.tensor([0.0, 1.0]))


def test_make_squares_feeds_the_experiment():
    """The runner's data source: in [−1, 1)² by default (checked fully in test_data.py)."""
    X, _ = make_squares(50)
    assert X.min() >= -1 and X.max() < 1
