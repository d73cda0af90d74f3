"""Chapter 05 upsampling from scratch: nearest neighbour, bed of nails, transposed convolution.

The transposed convolution copies ``torch.nn.functional.conv_transpose2d``:
every input value paints a scaled copy of the filter into the output (Dumoulin
& Visin 2016, "A guide to convolution arithmetic for deep learning").

See the book: 05_cnn.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.conv import IntPair, _check_bias, _check_maps, _pair
from course_lib.validation import check_int

__all__ = ["conv_transpose2d", "upsample_bed_of_nails", "upsample_nearest"]


def upsample_nearest(input: Tensor, scale_factor: int) -> Tensor:  # noqa: A002
    """Nearest-neighbour upsampling: repeat each value in an s x s block.

    Equal to ``F.interpolate(input, scale_factor=s, mode="nearest")``.

    Shape: (N, C, H, W) -> (N, C, s·H, s·W).

    >>> upsample_nearest(torch.tensor([[[[1.0, 2.0]]]]), 2)
    tensor([[[[1., 1., 2., 2.],
              [1., 1., 2., 2.]]]])

    See the book: 05_cnn.
    """
    _check_maps(input)
    s = check_int(scale_factor, "scale_factor", 1)
    return input.repeat_interleave(s, dim=2).repeat_interleave(s, dim=3)


def upsample_bed_of_nails(input: Tensor, scale_factor: int) -> Tensor:  # noqa: A002
    """Bed-of-nails upsampling: each value at the top-left of an s x s block of zeros.

    The same as max unpooling with every maximum at the top-left corner, and as
    the zero-insertion step inside a transposed convolution of stride s.

    Shape: (N, C, H, W) -> (N, C, s·H, s·W).

    >>> upsample_bed_of_nails(torch.tensor([[[[1.0, 2.0]]]]), 2)
    tensor([[[[1., 0., 2., 0.],
              [0., 0., 0., 0.]]]])

    See the book: 05_cnn.
    """
    _check_maps(input)
    s = check_int(scale_factor, "scale_factor", 1)
    n, c, h, w = input.shape
    out = input.new_zeros(n, c, h, s, w, s)
    out[:, :, :, 0, :, 0] = input  # (N, C, H, W) into the first slot of every block
    return out.reshape(n, c, h * s, w * s)


def conv_transpose2d(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> Tensor:
    """Transposed convolution: every input value paints a scaled copy of the filter.

    Input pixel (i, j) adds x[n, c, i, j] · W[c, :, :, :] to the output block
    whose top-left corner is (i·S, j·S); overlapping contributions add up.
    Then P rows and columns are cropped from each side (and ``output_padding``
    extra ones kept at the bottom and right), as
    ``torch.nn.functional.conv_transpose2d``:
    H_out = (H - 1)·S - 2P + F + output_padding.

    Shape: input (N, C_in, H, W), weight (C_in, C_out, F_h, F_w), bias (C_out,)
    -> (N, C_out, H_out, W_out).

    >>> conv_transpose2d(torch.tensor([[[[1.0, 2.0]]]]), torch.ones(1, 1, 1, 3), stride=2)
    tensor([[[[1., 1., 3., 2., 2.]]]])

    See the book: 05_cnn.
    """
    _check_maps(input)
    _check_maps(weight, "weight")
    if weight.shape[0] != input.shape[1]:
        raise ValueError(
            f"weight must have shape (C_in, C_out, F, F) with C_in = input channels = "
            f"{input.shape[1]}, got {tuple(weight.shape)}"
        )
    c_out, fh, fw = weight.shape[1:]
    _check_bias(bias, c_out)
    stride, pads = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    extra = _pair(output_padding, "output_padding", 0)
    if extra[0] >= stride[0] or extra[1] >= stride[1]:
        raise ValueError(f"output_padding must be smaller than stride {stride}, got {extra}")
    n, _, h, w = input.shape
    h_out = (h - 1) * stride[0] - 2 * pads[0] + fh + extra[0]
    w_out = (w - 1) * stride[1] - 2 * pads[1] + fw + extra[1]
    if h_out < 1 or w_out < 1:
        raise ValueError(f"padding {pads} crops everything: the output would be {h_out} x {w_out}")
    canvas = input.new_zeros(
        n, c_out, (h - 1) * stride[0] + fh + extra[0], (w - 1) * stride[1] + fw + extra[1]
    )
    for u in range(fh):  # one shifted, strided copy of the input per filter tap (u, v)
        for v in range(fw):
            tap = torch.einsum("nchw,co->nohw", input, weight[:, :, u, v])  # (N, C_out, H, W)
            canvas[
                :,
                :,
                u : u + (h - 1) * stride[0] + 1 : stride[0],
                v : v + (w - 1) * stride[1] + 1 : stride[1],
            ] += tap
    out = canvas[:, :, pads[0] : pads[0] + h_out, pads[1] : pads[1] + w_out]
    return out if bias is None else out + bias[:, None, None]
