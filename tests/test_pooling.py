"""Tests for course_lib.pooling: max and average pooling, max unpooling, in float64.

Values, indices and gradients are compared with torch.nn.functional with
rtol = atol = 1e-12; bad input must raise an error that names the argument.
"""

from __future__ import annotations

import pytest
import torch
from helpers import TOL, assert_same_values_and_grads, randn
from torch import nn
from torch.nn import functional

from course_lib.pooling import avg_pool2d, max_pool2d, max_unpool2d
from course_lib.receptive_field import measured_receptive_field, receptive_field
from course_lib.upsampling import upsample_bed_of_nails

pytestmark = [
    pytest.mark.ch05,
    # torch's own padding="same" with an even kernel pads a copy; it says so once
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning"),
]


# --------------------------------------------------------------------------- #
# Pooling and unpooling
# --------------------------------------------------------------------------- #
POOL_CASES = [(2, None, 0), (2, 1, 0), (3, 2, 1), (3, None, 1), ((2, 3), (1, 2), (1, 0))]


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CASES)
def test_max_pool2d_matches_torch_values_indices_and_gradients(kernel, stride, padding):
    x = randn(2, 3, 7, 8, requires_grad=True)
    assert_same_values_and_grads(
        lambda t: max_pool2d(t, kernel, stride, padding),
        lambda t: functional.max_pool2d(t, kernel, stride, padding),
        x,
    )
    _, ours = max_pool2d(x, kernel, stride, padding, return_indices=True)
    _, theirs = functional.max_pool2d(x, kernel, stride, padding, return_indices=True)
    torch.testing.assert_close(ours, theirs)


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum_like_torch():
    """With equal values in a window, which element gets the gradient? The first, as in torch."""
    x = torch.tensor([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0]]]], requires_grad=True)
    assert_same_values_and_grads(
        lambda t: max_pool2d(t, 2), lambda t: functional.max_pool2d(t, 2), x
    )


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(kernel, stride, padding, count_include_pad):
    x = randn(2, 3, 7, 8, requires_grad=True)
    assert_same_values_and_grads(
        lambda t: avg_pool2d(t, kernel, stride, padding, count_include_pad),
        lambda t: functional.avg_pool2d(
            t, kernel, stride, padding, count_include_pad=count_include_pad
        ),
        x,
    )


def test_pooling_rejects_too_much_padding_and_bad_kernels():
    x = randn(1, 1, 6, 6)
    for pool in (max_pool2d, avg_pool2d):
        with pytest.raises(ValueError, match="at most half the kernel size"):
            pool(x, 2, 2, 2)
        with pytest.raises(ValueError, match="kernel_size must be"):
            pool(x, 0)
        with pytest.raises(ValueError, match="larger than the padded input"):
            pool(x, 7)


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "size"),
    [
        (2, None, 0, (6, 8)),
        (3, 2, 1, (7, 7)),
        (2, 2, 0, (7, 9)),
        (3, 1, 0, (5, 6)),
    ],
)
def test_max_unpool2d_matches_torch(kernel, stride, padding, size):
    """Does max_unpool2d put the values where torch does, with the gradient routed back?"""
    x = randn(2, 3, *size)
    pooled, indices = functional.max_pool2d(x, kernel, stride, padding, return_indices=True)
    pooled.requires_grad_(True)
    default = ((size[0] + 2 * padding - kernel) // (stride or kernel)) * (stride or kernel)
    fits = default - 2 * padding + kernel == size[0]  # odd sizes need output_size
    for out_size in (None, size) if fits else (size,):
        assert_same_values_and_grads(
            lambda t, o=out_size: max_unpool2d(t, indices, kernel, stride, padding, o),
            lambda t, o=out_size: functional.max_unpool2d(t, indices, kernel, stride, padding, o),
            pooled,
        )
    if not fits:  # without output_size the indices point outside the default output
        with pytest.raises(ValueError, match="indices must lie in"):
            max_unpool2d(pooled, indices, kernel, stride, padding)


def test_max_unpool2d_rejects_mismatched_indices():
    x = randn(1, 1, 2, 2)
    with pytest.raises(ValueError, match="indices must be an integer tensor of shape"):
        max_unpool2d(x, torch.zeros(1, 1, 2, 3, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 16\)"):
        max_unpool2d(x, torch.full((1, 1, 2, 2), 16), 2)


@pytest.mark.parametrize("s", [2, 3])
def test_bed_of_nails_is_unpooling_at_the_corner_and_a_one_hot_transposed_conv(s):
    """Bed of nails = max-unpool with every index top-left = transposed conv, kernel e_00."""
    x = randn(2, 3, 4, 5, requires_grad=True)
    rows = torch.arange(4)[:, None] * s
    cols = torch.arange(5)[None, :] * s
    corner = (rows * 5 * s + cols).expand(2, 3, 4, 5)
    assert_same_values_and_grads(
        lambda t: upsample_bed_of_nails(t, s),
        lambda t: functional.max_unpool2d(t, corner, s),
        x,
    )
    one_hot = torch.zeros(3, 3, s, s, dtype=torch.float64)
    one_hot[range(3), range(3), 0, 0] = 1.0  # channel c -> channel c, at the corner only
    torch.testing.assert_close(
        upsample_bed_of_nails(x, s), functional.conv_transpose2d(x, one_hot, stride=s), **TOL
    )


def test_measured_receptive_field_sees_through_max_pooling():
    """A max-pool routes one input's gradient through one element; the measurement must not."""
    layers = [nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 1, 3)]
    assert measured_receptive_field(nn.Sequential(*layers)) == receptive_field(layers) == 8
