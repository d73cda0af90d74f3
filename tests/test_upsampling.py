"""Tests for course_lib.upsampling: nearest, bed of nails, transposed convolution.

Values and gradients are compared with torch.nn.functional in float64 with
rtol = atol = 1e-12; bad input must raise an error that names the argument.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from helpers import TOL, assert_same_values_and_grads, randn
from torch.nn import functional

from course_lib.conv import (
    conv2d,
)
from course_lib.upsampling import conv_transpose2d, upsample_bed_of_nails, upsample_nearest

pytestmark = [
    pytest.mark.ch05,
    # torch's own padding="same" with an even kernel pads a copy; it says so once
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning"),
]


# --------------------------------------------------------------------------- #
# Upsampling and transposed convolution
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("s", [1, 2, 3])
def test_upsample_nearest_is_interpolate_nearest(s):
    x = randn(2, 3, 4, 5, requires_grad=True)
    assert_same_values_and_grads(
        lambda t: upsample_nearest(t, s),
        lambda t: functional.interpolate(t, scale_factor=s, mode="nearest"),
        x,
    )


@pytest.mark.parametrize("bad", [0, 1.5, True])
def test_upsampling_rejects_bad_scale(bad):
    for fn in (upsample_nearest, upsample_bed_of_nails):
        with pytest.raises(ValueError, match="scale_factor must be an integer >= 1"):
            fn(randn(1, 1, 2, 2), bad)


TRANSPOSED_CASES = [
    (c_in, c_out, f, s, p, op, bias)
    for (c_in, c_out), f, s, p, op, bias in itertools.product(
        [(1, 1), (3, 2)], [1, 2, 3, 4], [1, 2, 3], [0, 1], [0, 1], [True, False]
    )
    if op < s and (f - 1 - p) + 1 > 0
]


@pytest.mark.parametrize(("c_in", "c_out", "f", "s", "p", "op", "bias"), TRANSPOSED_CASES)
def test_conv_transpose2d_matches_torch(c_in, c_out, f, s, p, op, bias):
    x = randn(2, c_in, 4, 5, requires_grad=True)
    w = randn(c_in, c_out, f, f, seed=1, requires_grad=True)
    b = randn(c_out, seed=2, requires_grad=True) if bias else None
    assert_same_values_and_grads(
        lambda *t: conv_transpose2d(*t, stride=s, padding=p, output_padding=op),
        lambda *t: functional.conv_transpose2d(*t, stride=s, padding=p, output_padding=op),
        x,
        w,
        b,
    )


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)>: the transposed matrix, as the name says."""
    x, w = randn(2, 3, 9, 9), randn(4, 3, 3, 3, seed=1)
    y = randn(2, 4, 4, 4, seed=2)  # the shape of conv2d(x, w, stride=2)
    lhs = (conv2d(x, w, stride=2) * y).sum()
    rhs = (x * conv_transpose2d(y, w, stride=2)).sum()
    torch.testing.assert_close(lhs, rhs, **TOL)


def test_conv_transpose2d_hand_worked_and_errors():
    """Input (1, 2), filter (1, 1, 1), stride 2: the overlap in the middle adds 1 + 2 = 3."""
    x = torch.tensor([[[[1.0, 2.0]]]])
    torch.testing.assert_close(
        conv_transpose2d(x, torch.ones(1, 1, 1, 3), stride=2),
        torch.tensor([[[[1.0, 1.0, 3.0, 2.0, 2.0]]]]),
    )
    with pytest.raises(ValueError, match="output_padding must be smaller than stride"):
        conv_transpose2d(x, torch.ones(1, 1, 1, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="C_in = input channels = 1"):
        conv_transpose2d(x, torch.ones(2, 1, 1, 3))
    with pytest.raises(ValueError, match="crops everything"):
        conv_transpose2d(x, torch.ones(1, 1, 1, 1), padding=1)
