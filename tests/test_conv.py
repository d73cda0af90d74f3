"""Tests for course_lib.conv: convolution, im2col, sizes and parameter counts, in float64.

Values and gradients (through autograd) are compared with torch.nn.functional and scipy
with rtol = atol = 1e-12 over grids of channel counts, kernel sizes, strides and paddings;
the output-size formula with the shapes torch produces; bad input must raise an error that
names the argument.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from helpers import TOL, assert_same_values_and_grads, randn
from hypothesis import given
from hypothesis import strategies as st
from scipy import signal
from torch import nn
from torch.nn import functional

from course_lib.conv import (
    conv2d,
    conv2d_naive,
    conv_output_size,
    conv_param_count,
    convolve2d,
    correlate2d,
    im2col,
)
from course_lib.pooling import max_pool2d, max_unpool2d
from course_lib.upsampling import conv_transpose2d

pytestmark = [
    pytest.mark.ch05,
    # torch's own padding="same" with an even kernel pads a copy; it says so once
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning"),
]


# --------------------------------------------------------------------------- #
# Convolution against F.conv2d
# --------------------------------------------------------------------------- #
CHANNELS = [(1, 1), (3, 2), (2, 5)]


CONV_CASES = [
    (d, k, f, s, p, bias)
    for (d, k), f, s, p, bias in itertools.product(
        CHANNELS, [1, 2, 3, 5], [1, 2], [0, 1, "same"], [True, False]
    )
    if not (p == "same" and s != 1)
]


def conv_case(d, k, f, bias, seed=0, size=(9, 8), n=2):
    x = randn(n, d, *size, seed=seed, requires_grad=True)
    w = randn(k, d, f, f, seed=seed + 1, requires_grad=True)
    b = randn(k, seed=seed + 2, requires_grad=True) if bias else None
    return x, w, b


@pytest.mark.parametrize(("d", "k", "f", "stride", "padding", "bias"), CONV_CASES)
def test_conv2d_matches_torch_values_and_gradients(d, k, f, stride, padding, bias):
    """Is the im2col conv2d torch's conv2d, in values and in the gradients of x, W and b?"""
    x, w, b = conv_case(d, k, f, bias)
    assert_same_values_and_grads(
        lambda *t: conv2d(*t, stride=stride, padding=padding),
        lambda *t: functional.conv2d(*t, stride=stride, padding=padding),
        x,
        w,
        b,
    )


@pytest.mark.parametrize(
    ("d", "k", "f", "stride", "padding", "bias"),
    [case for case in CONV_CASES if case[2] in (2, 3)],
)
def test_conv2d_naive_matches_torch_values_and_gradients(d, k, f, stride, padding, bias):
    """Do the loops of conv2d_naive give torch's conv2d and its gradients?"""
    x, w, b = conv_case(d, k, f, bias, size=(7, 6))
    assert_same_values_and_grads(
        lambda *t: conv2d_naive(*t, stride=stride, padding=padding),
        lambda *t: functional.conv2d(*t, stride=stride, padding=padding),
        x,
        w,
        b,
    )


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
def test_conv2d_rectangular_kernels_pairs_and_noncontiguous_input(fn):
    """Rectangular filters, (S_h, S_w) and (P_h, P_w) pairs, a transposed (non-contiguous) view."""
    x = randn(1, 3, 10, 7, seed=3).transpose(2, 3)  # (1, 3, 7, 10), not contiguous
    assert not x.is_contiguous()
    w = randn(4, 3, 2, 3, seed=4)
    for stride, padding in [((1, 2), (0, 1)), ((2, 1), (1, 0)), (3, 2), (1, "same")]:
        torch.testing.assert_close(
            fn(x, w, stride=stride, padding=padding),
            functional.conv2d(x, w, stride=stride, padding=padding),
            **TOL,
        )


def test_conv2d_gradcheck_and_batch_of_one():
    """Does torch.autograd.gradcheck accept both convolutions on a batch of one?"""
    x, w, b = conv_case(2, 3, 3, True, size=(5, 5), n=1)
    for fn in (conv2d, conv2d_naive):
        assert torch.autograd.gradcheck(lambda *t, fn=fn: fn(*t, stride=2, padding=1), (x, w, b))


def test_im2col_is_unfold():
    """Is im2col torch's unfold (the same column order)?"""
    x = randn(2, 3, 6, 7)
    for kernel, stride, padding in [(3, 1, 0), (2, 2, 1), ((2, 3), (1, 2), (1, 0))]:
        torch.testing.assert_close(
            im2col(x, kernel, stride, padding),
            functional.unfold(x, kernel, padding=padding, stride=stride),
            **TOL,
        )


def test_conv2d_hand_worked_example():
    """A 4x4 ramp and a 2x2 box filter of stride 2: four sums of four numbers each."""
    x = torch.arange(16.0, dtype=torch.float64).reshape(1, 1, 4, 4)
    # windows {0,1,4,5} {2,3,6,7} {8,9,12,13} {10,11,14,15}
    expected = torch.tensor([[[[10.0, 18.0], [42.0, 50.0]]]], dtype=torch.float64)
    for fn in (conv2d, conv2d_naive):
        torch.testing.assert_close(fn(x, torch.ones(1, 1, 2, 2).double(), stride=2), expected)


def test_correlation_and_convolution_against_scipy():
    """Are correlate2d and convolve2d scipy's 'valid' correlate2d and convolve2d?"""
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(6, 7)), rng.normal(size=(3, 2))
    A, K = torch.tensor(image), torch.tensor(kernel)
    np.testing.assert_allclose(
        correlate2d(A, K).numpy(), signal.correlate2d(image, kernel, mode="valid"), rtol=1e-12
    )
    np.testing.assert_allclose(
        convolve2d(A, K).numpy(), signal.convolve2d(image, kernel, mode="valid"), rtol=1e-12
    )
    # a symmetric kernel makes the two agree; an asymmetric one does not
    sym = torch.tensor([[1.0, 2.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(correlate2d(A, sym), convolve2d(A, sym))
    assert not torch.allclose(correlate2d(A, K), convolve2d(A, K))


def test_conv2d_is_translation_equivariant():
    """Shifting the input shifts the output by the same amount (away from the borders)."""
    x, w = torch.zeros(1, 1, 12, 12, dtype=torch.float64), randn(1, 1, 3, 3)
    x[0, 0, 3:6, 2:4] = randn(3, 2, seed=5)
    shifted = torch.roll(x, shifts=(2, 3), dims=(2, 3))
    torch.testing.assert_close(
        conv2d(shifted, w), torch.roll(conv2d(x, w), shifts=(2, 3), dims=(2, 3)), **TOL
    )


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(x=randn(1, 1, 2, 2), w=randn(1, 1, 3, 3)), "kernel_size F=3 is larger"),
        (dict(x=randn(1, 2, 5, 5), w=randn(1, 3, 3, 3)), "D = input channels = 2"),
        (dict(x=randn(2, 5, 5), w=randn(1, 2, 3, 3)), r"input must be 4-D \(N, C, H, W\)"),
        (dict(x=randn(1, 1, 5, 5), w=randn(1, 1, 3, 3), b=randn(2)), r"bias must be None"),
        (dict(x=randn(1, 1, 5, 5), w=randn(1, 1, 3, 3), stride=2, padding="same"), "stride 1"),
        (dict(x=randn(1, 1, 5, 5), w=randn(1, 1, 3, 3), stride=0), "stride must be"),
        (dict(x=randn(1, 1, 5, 5), w=randn(1, 1, 3, 3), padding="full"), "padding must be"),
    ],
)
def test_conv2d_bad_input_raises_a_clear_error(kwargs, pattern):
    """Does a shape or argument that cannot work raise ValueError naming what was wrong?"""
    for fn in (conv2d, conv2d_naive):
        args = dict(kwargs)
        with pytest.raises(ValueError, match=pattern):
            fn(args.pop("x"), args.pop("w"), args.pop("b", None), **args)


def test_conv2d_rejects_integer_tensors():
    with pytest.raises(TypeError, match="floating"):
        conv2d(torch.ones(1, 1, 3, 3, dtype=torch.int64), randn(1, 1, 2, 2))


# --------------------------------------------------------------------------- #
# Output size and parameter count
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("n", "f", "s", "p"),
    [
        (n, f, s, p)
        for n, f, s, p in itertools.product([5, 7, 8, 28], [1, 3, 5], [1, 2, 3], [0, 1, 2])
        if n + 2 * p >= f
    ],
)
def test_conv_output_size_is_the_shape_torch_produces(n, f, s, p):
    """Is floor((N - F + 2P) / S) + 1 the size of torch's convolution and pooling outputs?"""
    x = torch.zeros(1, 1, n, n)
    assert (
        conv_output_size(n, f, stride=s, padding=p)
        == functional.conv2d(x, torch.zeros(1, 1, f, f), stride=s, padding=p).shape[-1]
    )
    if p <= f // 2:
        assert (
            conv_output_size(n, f, stride=s, padding=p)
            == functional.max_pool2d(x, f, s, p).shape[-1]
        )


@given(n=st.integers(1, 40), f=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4))
def test_conv_output_size_property(n, f, s, p):
    """For any N, F, S, P: the formula, or an error exactly when no window fits."""
    if n + 2 * p < f:
        with pytest.raises(ValueError, match="no position of the filter fits"):
            conv_output_size(n, f, stride=s, padding=p)
        return
    got = conv_output_size(n, f, stride=s, padding=p)
    assert got == (n - f + 2 * p) // s + 1
    # the last window ends inside the padded input and one more stride would leave it
    last_end = (got - 1) * s + f
    assert last_end <= n + 2 * p < last_end + s
    # strict mode accepts exactly the strides that tile the padded input
    if (n - f + 2 * p) % s == 0:
        assert conv_output_size(n, f, stride=s, padding=p, strict=True) == got
    else:
        with pytest.raises(ValueError, match=f"stride S={s} does not divide"):
            conv_output_size(n, f, stride=s, padding=p, strict=True)


def test_conv_output_size_seed_examples_and_same():
    """The seed's 7x7 input with a 3x3 filter; 'same' padding; the seed's wrong rule."""
    assert conv_output_size(7, 3) == 5
    assert conv_output_size(7, 3, stride=2) == 3
    assert conv_output_size(7, 3, stride=3, padding=0) == 2  # 4 / 3: floor, one column unused
    with pytest.raises(ValueError, match="leaves 1 row"):
        conv_output_size(7, 3, stride=3, strict=True)
    # the seeds' rule "N + F must be a multiple of S" would accept N=7, F=3, S=2 ... and N=7,
    # F=5, S=3 (12 = 4 * 3), where (7 - 5) / 3 is not an integer:
    with pytest.raises(ValueError, match="does not divide"):
        conv_output_size(7, 5, stride=3, strict=True)
    assert conv_output_size(28, 5, padding="same") == 28
    assert conv_output_size(28, 5, padding="valid") == 24
    with pytest.raises(ValueError, match="stride 1"):
        conv_output_size(28, 5, stride=2, padding="same")


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "3"])
def test_conv_output_size_rejects_bad_numbers(value):
    with pytest.raises(ValueError, match="input_size must be an integer >= 1"):
        conv_output_size(value, 3)
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        conv_output_size(5, 3, stride=value)


@pytest.mark.parametrize(
    ("d", "k", "f", "bias"),
    [
        (1, 6, 5, True),
        (3, 64, 3, True),
        (64, 128, 3, False),
        (16, 8, 1, True),
        (3, 5, (2, 4), True),
    ],
)
def test_conv_param_count_is_numel_of_nn_conv2d(d, k, f, bias):
    """Is (F·F·D + 1)·K the number of parameters of nn.Conv2d(D, K, F)?"""
    layer = nn.Conv2d(d, k, f, bias=bias)
    assert conv_param_count(f, d, k, bias=bias) == sum(p.numel() for p in layer.parameters())


def test_conv_param_count_rejects_bad_input():
    with pytest.raises(ValueError, match="in_channels"):
        conv_param_count(3, 0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        conv_param_count((3, 0), 3, 3)


# --------------------------------------------------------------------------- #
# On a GPU machine
# --------------------------------------------------------------------------- #
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_operations_on_cuda_match_the_cpu():
    """On CUDA in float64 (no TF32) every operation equals the CPU; float32 within TF32 error."""
    x, w = randn(2, 3, 9, 9), randn(4, 3, 3, 3, seed=1)
    cuda = torch.device("cuda")
    torch.testing.assert_close(conv2d(x.to(cuda), w.to(cuda)).cpu(), conv2d(x, w), **TOL)
    torch.testing.assert_close(
        conv_transpose2d(x.to(cuda), w.transpose(0, 1).to(cuda)).cpu(),
        conv_transpose2d(x, w.transpose(0, 1)),
        **TOL,
    )
    values, indices = max_pool2d(x.to(cuda), 2, return_indices=True)
    torch.testing.assert_close(values.cpu(), functional.max_pool2d(x, 2))
    torch.testing.assert_close(
        max_unpool2d(values, indices, 2).cpu(),
        functional.max_unpool2d(*functional.max_pool2d(x, 2, return_indices=True), 2),
    )
    # float32 on the GPU: cuDNN may use TF32 (10-bit mantissa), hence the loose tolerance
    got = functional.conv2d(x.float().to(cuda), w.float().to(cuda)).cpu().double()
    torch.testing.assert_close(got, conv2d(x, w), rtol=1e-2, atol=1e-2)
