"""Tests for course_lib.cnn: every operation against torch.nn.functional, in float64.

Values and gradients (through autograd) are compared with rtol = atol = 1e-12
over grids of channel counts, kernel sizes, strides and paddings; the
receptive field is compared with the one measured from input gradients; the
output-size formula with the shapes torch produces; and bad input must raise an
error that names the argument.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import signal
from torch import nn
from torch.nn import functional

from course_lib.cnn import (
    avg_pool2d,
    conv2d,
    conv2d_naive,
    conv_params,
    conv_transpose2d,
    convolve2d,
    correlate2d,
    im2col,
    max_pool2d,
    max_unpool2d,
    measured_receptive_field,
    output_size,
    receptive_field,
    upsample_bed_of_nails,
    upsample_nearest,
)

pytestmark = [
    pytest.mark.ch05,
    # torch's own padding="same" with an even kernel pads a copy; it says so once
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning"),
]

TOL = {"rtol": 1e-12, "atol": 1e-12}


def randn(*shape, seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_(requires_grad)


def grads(fn, *tensors):
    """Value of fn(*tensors) and the gradients of sum(value * fixed random weights)."""
    out = fn(*tensors)
    probe = randn(*out.shape, seed=99)
    gs = torch.autograd.grad((out * probe).sum(), [t for t in tensors if t is not None])
    return out.detach(), gs


def assert_same_values_and_grads(ours, theirs, *tensors):
    out_ours, g_ours = grads(ours, *tensors)
    out_theirs, g_theirs = grads(theirs, *tensors)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    for a, b in zip(g_ours, g_theirs, strict=True):
        torch.testing.assert_close(a, b, **TOL)


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
def test_output_size_is_the_shape_torch_produces(n, f, s, p):
    """Is floor((N - F + 2P) / S) + 1 the size of torch's convolution and pooling outputs?"""
    x = torch.zeros(1, 1, n, n)
    assert (
        output_size(n, f, stride=s, padding=p)
        == functional.conv2d(x, torch.zeros(1, 1, f, f), stride=s, padding=p).shape[-1]
    )
    if p <= f // 2:
        assert output_size(n, f, stride=s, padding=p) == functional.max_pool2d(x, f, s, p).shape[-1]


@given(n=st.integers(1, 40), f=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4))
def test_output_size_property(n, f, s, p):
    """For any N, F, S, P: the formula, or an error exactly when no window fits."""
    if n + 2 * p < f:
        with pytest.raises(ValueError, match="no position of the filter fits"):
            output_size(n, f, stride=s, padding=p)
        return
    got = output_size(n, f, stride=s, padding=p)
    assert got == (n - f + 2 * p) // s + 1
    # the last window ends inside the padded input and one more stride would leave it
    last_end = (got - 1) * s + f
    assert last_end <= n + 2 * p < last_end + s
    # strict mode accepts exactly the strides that tile the padded input
    if (n - f + 2 * p) % s == 0:
        assert output_size(n, f, stride=s, padding=p, strict=True) == got
    else:
        with pytest.raises(ValueError, match=f"stride S={s} does not divide"):
            output_size(n, f, stride=s, padding=p, strict=True)


def test_output_size_seed_examples_and_same():
    """The seed's 7x7 input with a 3x3 filter; 'same' padding; the seed's wrong rule."""
    assert output_size(7, 3) == 5
    assert output_size(7, 3, stride=2) == 3
    assert output_size(7, 3, stride=3, padding=0) == 2  # 4 / 3: floor, one column unused
    with pytest.raises(ValueError, match="leaves 1 row"):
        output_size(7, 3, stride=3, strict=True)
    # the seeds' rule "N + F must be a multiple of S" would accept N=7, F=3, S=2 ... and N=7,
    # F=5, S=3 (12 = 4 * 3), where (7 - 5) / 3 is not an integer:
    with pytest.raises(ValueError, match="does not divide"):
        output_size(7, 5, stride=3, strict=True)
    assert output_size(28, 5, padding="same") == 28
    assert output_size(28, 5, padding="valid") == 24
    with pytest.raises(ValueError, match="stride 1"):
        output_size(28, 5, stride=2, padding="same")


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "3"])
def test_output_size_rejects_bad_numbers(value):
    with pytest.raises(ValueError, match="input_size must be an int >= 1"):
        output_size(value, 3)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        output_size(5, 3, stride=value)


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
def test_conv_params_is_numel_of_nn_conv2d(d, k, f, bias):
    """Is (F·F·D + 1)·K the number of parameters of nn.Conv2d(D, K, F)?"""
    layer = nn.Conv2d(d, k, f, bias=bias)
    assert conv_params(d, k, f, bias=bias) == sum(p.numel() for p in layer.parameters())


def test_conv_params_rejects_bad_input():
    with pytest.raises(ValueError, match="in_channels"):
        conv_params(0, 3, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        conv_params(3, 3, (3, 0))


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


@pytest.mark.parametrize("bad", [0, 1.5, True])
def test_upsampling_rejects_bad_scale(bad):
    for fn in (upsample_nearest, upsample_bed_of_nails):
        with pytest.raises(ValueError, match="scale_factor must be an int >= 1"):
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


# --------------------------------------------------------------------------- #
# Receptive field
# --------------------------------------------------------------------------- #
def gradient_extent(net: nn.Module, size: int = 61) -> int:
    """Rows of the input with a non-zero gradient of the central output unit.

    Positive weights and inputs keep every path alive; nets here use average
    pooling, so no element of a window is ignored.
    """
    net = net.double()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.uniform_(0.5, 1.5).div_(m.weight[0].numel())  # no tanh saturates
                if m.bias is not None:
                    m.bias.zero_()
    x = torch.rand(1, 1, size, size, dtype=torch.float64) + 0.5
    x.requires_grad_(True)
    y = net(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    assert 0 < rows[0] and rows[-1] < size - 1, "raise size: the field reaches the border"
    return int(rows[-1] - rows[0] + 1)


STACKS = {
    "one 3x3": [nn.Conv2d(1, 1, 3)],
    "two 3x3 (= one 5x5)": [nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 1, 3)],
    "one 5x5": [nn.Conv2d(1, 1, 5)],
    "three 3x3 (= one 7x7)": [nn.Conv2d(1, 1, 3)] * 1 + [nn.Conv2d(1, 1, 3, padding=1)] * 2,
    "stride 2 then 3x3": [nn.Conv2d(1, 2, 3, stride=2), nn.Conv2d(2, 1, 3)],
    "LeNet-5 features": [
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 1, 5),
        nn.AvgPool2d(2),
    ],
    "VGG-like, BN": [
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1),
        nn.AvgPool2d(2), nn.Conv2d(4, 1, 3, padding=1),
    ],
    "dilated 3x3, d = 2": [nn.Conv2d(1, 1, 3, dilation=2), nn.Conv2d(1, 1, 3)],
    "pool 3 stride 2": [nn.Conv2d(1, 1, 3), nn.AvgPool2d(3, 2), nn.Conv2d(1, 1, 3, stride=2),
                        nn.Conv2d(1, 1, 3)],
}  # fmt: skip


@pytest.mark.parametrize("name", list(STACKS))
def test_receptive_field_equals_the_measured_one(name):
    """Does the r_l = r_(l-1) + (F - 1) j_(l-1) recursion give the measured extent?"""
    torch.manual_seed(0)
    net = nn.Sequential(*STACKS[name]).eval()
    expected = gradient_extent(net)
    assert receptive_field(STACKS[name]) == expected
    assert receptive_field([net]) == expected  # a Sequential is unrolled
    assert measured_receptive_field(net) == expected


def test_two_3x3_see_what_one_5x5_sees_with_fewer_parameters():
    three = [nn.Conv2d(8, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3)]
    five = [nn.Conv2d(8, 8, 5)]
    assert receptive_field(three) == receptive_field(five) == 5
    assert 2 * conv_params(8, 8, 3) < conv_params(8, 8, 5)  # 2 (9·8+1)·8 = 1168 < 1608


def test_measured_receptive_field_sees_through_max_pooling():
    """A max-pool routes one input's gradient through one element; the measurement must not."""
    layers = [nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 1, 3)]
    assert measured_receptive_field(nn.Sequential(*layers)) == receptive_field(layers) == 8


def test_receptive_field_tuples_and_errors():
    assert receptive_field([(3, 1), (2, 2), (3, 1), (3, 1, 2)]) == 16
    assert receptive_field([]) == 1
    with pytest.raises(TypeError, match="receptive_field takes Conv2d"):
        receptive_field([nn.Linear(3, 3)])
    with pytest.raises(ValueError, match="square layers only"):
        receptive_field([nn.Conv2d(1, 1, (3, 5))])
    with pytest.raises(ValueError, match="kernel_size must be an int >= 1"):
        receptive_field([(0, 1)])
    with pytest.raises(ValueError, match="raise input_size"):
        measured_receptive_field(nn.Sequential(nn.Conv2d(1, 1, 9)), input_size=9)


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
