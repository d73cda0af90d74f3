"""Chapter 05 convolution, pooling and upsampling from scratch, equal to torch's layers.

The symbols are the book's: an input of side N with D channels, K filters of
side F, padding P and stride S, so that a convolution has output side
floor((N - F + 2P) / S) + 1 and (F·F·D + 1)·K parameters. Every function
takes and returns tensors that autograd differentiates and copies the
signature of its ``torch.nn.functional`` counterpart (``conv2d``,
``max_pool2d``, ``avg_pool2d``, ``max_unpool2d``, ``conv_transpose2d``), so a
test can swap the built-in in. ``conv2d_naive`` loops over output positions
as the formula does; ``conv2d`` unrolls the patches into columns (im2col,
Chellapilla et al. 2006) and does one matrix product. The architectures
(residual blocks, LeNet, VGG, ResNet, ...) live in ``course_lib.architectures``.

See the book: 05_cnn.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional

__all__ = [
    *("output_size", "conv_params", "im2col", "conv2d_naive", "conv2d"),
    *("correlate2d", "convolve2d", "max_pool2d", "avg_pool2d", "max_unpool2d"),
    *("upsample_nearest", "upsample_bed_of_nails", "conv_transpose2d"),
    *("receptive_field", "measured_receptive_field"),
]

IntPair = int | tuple[int, int]


# --------------------------------------------------------------------------- #
# Validation shared by every operation
# --------------------------------------------------------------------------- #
def _pair(value: Any, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a pair."""
    items = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in items
    ):
        raise ValueError(f"{name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return items[0], items[1]


def _check_maps(x: Any, name: str = "input") -> Tensor:
    """A floating 4-D tensor (N, C, H, W)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor, got dtype {x.dtype}")
    return x


def _paddings(padding: Any, kernel: tuple[int, int], stride: tuple[int, int]) -> tuple[int, ...]:
    """(top, bottom, left, right) for an int, a pair, "valid" or "same" (as torch splits it)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1 (as in torch), got stride {stride}")
        # total F - 1; an even kernel puts the extra row and column at the bottom and right
        (top, left), (fh, fw) = ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2), kernel
        return (top, fh - 1 - top, left, fw - 1 - left)
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    ph, pw = _pair(padding, "padding", 0)
    return (ph, ph, pw, pw)


def _int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _span_size(n: int, f: int, s: int, total_pad: int, strict: bool, axis: str = "") -> int:
    """floor((n - f + total_pad) / s) + 1, or a clear error when no window fits."""
    span = n + total_pad - f  # N - F + 2P
    where = f" along {axis}" if axis else ""
    if span < 0:
        raise ValueError(
            f"kernel_size F={f} is larger than the padded input N + 2P = {n + total_pad}{where}: "
            "no position of the filter fits (pad more or use a smaller F)"
        )
    if strict and span % s:
        raise ValueError(
            f"stride S={s} does not divide N - F + 2P = {span}{where}: the filter's last position "
            f"leaves {span % s} row(s) of the padded input uncovered (choose S dividing {span}, "
            "or change P)"
        )
    return span // s + 1


def _sizes(shape: tuple[int, int], kernel, stride, pads) -> tuple[int, int]:
    """Output (H_out, W_out) of a window sliding over an (H, W) input padded by pads."""
    return (
        _span_size(shape[0], kernel[0], stride[0], pads[0] + pads[1], False, "the height"),
        _span_size(shape[1], kernel[1], stride[1], pads[2] + pads[3], False, "the width"),
    )


def output_size(
    input_size: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: int | str = 0,
    strict: bool = False,
) -> int:
    """Side of a convolution's (or pooling's) output: floor((N - F + 2P) / S) + 1.

    Parameters
    ----------
    input_size, kernel_size : int
        N and F, the sides of the input and of the filter.
    stride : int
        S >= 1.
    padding : int or {"valid", "same"}
        P >= 0 zeros on each side; "same" (stride 1 only) keeps N.
    strict : bool
        When True, also refuse a stride that does not tile the padded input
        exactly, that is when (N - F + 2P) is not a multiple of S. PyTorch (and
        the default here) then takes the floor and ignores the last rows.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the filter is larger than the padded input (no position fits), or,
        with ``strict=True``, if S does not divide N - F + 2P.

    >>> output_size(7, 3, stride=2)
    3
    >>> output_size(32, 5, stride=1, padding=2)
    32
    >>> output_size(8, 3, stride=2)  # (8 - 3) / 2 + 1 = 3.5: floor, the last column is dropped
    3

    See the book: 05_cnn.
    """
    n, f = _int(input_size, "input_size", 1), _int(kernel_size, "kernel_size", 1)
    s = _int(stride, "stride", 1)
    if padding == "same":
        if s != 1:
            raise ValueError(f"padding='same' needs stride 1 (as in torch), got stride {s}")
        return n
    p = 0 if padding == "valid" else _int(padding, "padding", 0)
    return _span_size(n, f, s, 2 * p, strict)


def conv_params(
    in_channels: int, out_channels: int, kernel_size: IntPair, *, bias: bool = True
) -> int:
    """Number of learnable parameters of a convolution layer: (F·F·D + 1)·K.

    Parameters
    ----------
    in_channels, out_channels : int
        D, the depth of the input, and K, the number of filters.
    kernel_size : int or (int, int)
        F, or (F_h, F_w) for a rectangular filter.
    bias : bool
        Without a bias (as before a BatchNorm) the count is F·F·D·K.

    >>> conv_params(3, 64, 3)  # VGG's first layer
    1792
    >>> sum(p.numel() for p in torch.nn.Conv2d(3, 64, 3).parameters())
    1792

    See the book: 05_cnn.
    """
    D, K = _int(in_channels, "in_channels", 1), _int(out_channels, "out_channels", 1)
    fh, fw = _pair(kernel_size, "kernel_size", 1)
    return (fh * fw * D + int(bool(bias))) * K


# --------------------------------------------------------------------------- #
# Convolution: loops, im2col, true convolution
# --------------------------------------------------------------------------- #
def _check_conv(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:  # noqa: A002
    _check_maps(input, "input")
    _check_maps(weight, "weight")
    if weight.shape[1] != input.shape[1]:
        raise ValueError(
            f"weight must have shape (K, D, F, F) with D = input channels = {input.shape[1]}, "
            f"got {tuple(weight.shape)}"
        )
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (weight.shape[0],)):
        got = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise ValueError(f"bias must be None or a tensor of shape ({weight.shape[0]},), got {got}")


def im2col(
    input: Tensor,  # noqa: A002 - torch's name
    kernel_size: IntPair,
    stride: IntPair = 1,
    padding: Any = 0,
) -> Tensor:
    """Unroll every F_h x F_w patch into a column, as ``torch.nn.functional.unfold``.

    Shape: input (N, D, H, W) -> (N, D·F_h·F_w, H_out·W_out); a column lists
    channel 0's patch row by row, then channel 1's, ...

    >>> im2col(torch.arange(9.0).reshape(1, 1, 3, 3), 2)[0]
    tensor([[0., 1., 3., 4.],
            [1., 2., 4., 5.],
            [3., 4., 6., 7.],
            [4., 5., 7., 8.]])

    See the book: 05_cnn.
    """
    _check_maps(input)
    kernel, stride = _pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1)
    pads = _paddings(padding, kernel, stride)
    n, d = input.shape[:2]
    h_out, w_out = _sizes(tuple(input.shape[2:]), kernel, stride, pads)
    x = functional.pad(input, (pads[2], pads[3], pads[0], pads[1]))
    # a strided view, no copy: (N, D, H_out, W_out, F_h, F_w)
    patches = x.unfold(2, kernel[0], stride[0]).unfold(3, kernel[1], stride[1])
    patches = patches[:, :, :h_out, :w_out]
    return patches.permute(0, 1, 4, 5, 2, 3).reshape(n, d * kernel[0] * kernel[1], h_out * w_out)


def conv2d_naive(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: Any = 0,
) -> Tensor:
    """2-D cross-correlation by loops over the output positions, mirroring the formula.

    Z[n, k, i, j] = sum_{d, u, v} W[k, d, u, v] · A[n, d, i·S + u, j·S + v] + b[k],
    with A the zero-padded input. Slow (a Python loop per output pixel): for
    teaching and testing; use :func:`conv2d`.

    Shape: input (N, D, H, W), weight (K, D, F_h, F_w), bias (K,) ->
    (N, K, H_out, W_out).

    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_naive(x, torch.ones(1, 1, 2, 2), stride=2)[0, 0]
    tensor([[10., 18.],
            [42., 50.]])

    See the book: 05_cnn.
    """
    _check_conv(input, weight, bias)
    kernel, stride = tuple(weight.shape[2:]), _pair(stride, "stride", 1)
    pads = _paddings(padding, kernel, stride)
    h_out, w_out = _sizes(tuple(input.shape[2:]), kernel, stride, pads)
    A = functional.pad(input, (pads[2], pads[3], pads[0], pads[1]))
    rows = []
    for i in range(h_out):
        row = []
        for j in range(w_out):
            top, left = i * stride[0], j * stride[1]
            patch = A[:, :, top : top + kernel[0], left : left + kernel[1]]  # (N, D, F_h, F_w)
            # sum over d, u, v of W[k, d, u, v] * patch[n, d, u, v], for every n and k
            row.append((patch[:, None] * weight[None]).sum(dim=(2, 3, 4)))  # (N, K)
        rows.append(torch.stack(row, dim=-1))  # (N, K, W_out)
    Z = torch.stack(rows, dim=-2)  # (N, K, H_out, W_out)
    return Z if bias is None else Z + bias[:, None, None]


def conv2d(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: Any = 0,
) -> Tensor:
    """2-D cross-correlation as one matrix product: (K, D·F·F) @ im2col(input).

    The same result as :func:`conv2d_naive` and ``torch.nn.functional.conv2d``
    (without dilation and groups). ``padding`` is an int, a pair, "valid" or
    "same" (stride 1; an even filter gets the extra zero at the bottom and right,
    as in torch).

    Shape: input (N, D, H, W), weight (K, D, F_h, F_w), bias (K,) ->
    (N, K, H_out, W_out) with H_out = floor((H - F_h + 2P) / S) + 1.

    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, torch.ones(1, 1, 2, 2), stride=2)[0, 0]
    tensor([[10., 18.],
            [42., 50.]])

    See the book: 05_cnn.
    """
    _check_conv(input, weight, bias)
    kernel, stride = tuple(weight.shape[2:]), _pair(stride, "stride", 1)
    pads = _paddings(padding, kernel, stride)
    h_out, w_out = _sizes(tuple(input.shape[2:]), kernel, stride, pads)
    cols = im2col(input, kernel, stride, padding)  # (N, D·F_h·F_w, L)
    Z = weight.reshape(weight.shape[0], -1) @ cols  # (K, D·F·F) @ (N, D·F·F, L) -> (N, K, L)
    if bias is not None:
        Z = Z + bias[:, None]
    return Z.reshape(input.shape[0], weight.shape[0], h_out, w_out)


def _check_image(x: Any, name: str) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim != 2 or not x.is_floating_point():
        got = f"shape {tuple(x.shape)}, {x.dtype}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a 2-D floating tensor, got {got}")
    return x


def correlate2d(image: Tensor, kernel: Tensor) -> Tensor:
    """Cross-correlation of one image with one kernel, 'valid' mode: K ⊗ A.

    Z[i, j] = sum_{u, v} K[u, v] A[i + u, j + v]: what deep-learning libraries
    call convolution. Equal to ``scipy.signal.correlate2d(A, K, mode="valid")``.

    >>> correlate2d(torch.arange(9.0).reshape(3, 3), torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
    tensor([[-4., -4.],
            [-4., -4.]])

    See the book: 05_cnn.
    """
    _check_image(image, "image")
    _check_image(kernel, "kernel")
    return conv2d(image[None, None], kernel[None, None])[0, 0]


def convolve2d(image: Tensor, kernel: Tensor) -> Tensor:
    """True convolution of one image with one kernel, 'valid' mode: K * A.

    Z[i, j] = sum_{u, v} K[u, v] A[i - u, j - v]: the cross-correlation with the
    kernel flipped in both axes. Equal to ``scipy.signal.convolve2d(A, K,
    mode="valid")``. Convolution is commutative; cross-correlation is not.

    >>> convolve2d(torch.arange(9.0).reshape(3, 3), torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
    tensor([[4., 4.],
            [4., 4.]])

    See the book: 05_cnn.
    """
    _check_image(kernel, "kernel")
    return correlate2d(image, kernel.flip(0, 1))


# --------------------------------------------------------------------------- #
# Pooling and unpooling
# --------------------------------------------------------------------------- #
def _pool_geometry(input: Tensor, kernel_size, stride, padding):  # noqa: A002
    _check_maps(input)
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    pads = _pair(padding, "padding", 0)
    if pads[0] > kernel[0] // 2 or pads[1] > kernel[1] // 2:
        raise ValueError(
            f"padding must be at most half the kernel size (as in torch), got padding {pads} "
            f"for kernel_size {kernel}"
        )
    h_out, w_out = _sizes(tuple(input.shape[2:]), kernel, stride, (pads[0],) * 2 + (pads[1],) * 2)
    return kernel, stride, pads, h_out, w_out


def _windows(x: Tensor, kernel, stride, h_out: int, w_out: int) -> Tensor:
    """(N, C, H_out, W_out, F_h·F_w): every pooling window, flattened row by row."""
    win = x.unfold(2, kernel[0], stride[0]).unfold(3, kernel[1], stride[1])[:, :, :h_out, :w_out]
    return win.reshape(*win.shape[:4], kernel[0] * kernel[1])


def max_pool2d(
    input: Tensor,  # noqa: A002 - torch's name
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling: the largest value of each F x F window, as ``torch.nn.functional.max_pool2d``.

    ``stride`` defaults to the kernel size (windows that do not overlap);
    padding adds -inf, never chosen. With ``return_indices`` also returns where
    each maximum was, as a flat index h·W + w into the (unpadded) input plane,
    which :func:`max_unpool2d` needs. On ties the first maximum in reading order
    wins, and the gradient flows to that one element only.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out), indices int64 of the same shape.

    >>> max_pool2d(torch.tensor([[[[1.0, 3.0], [2.0, 0.0]]]]), 2, return_indices=True)
    (tensor([[[[3.]]]]), tensor([[[[1]]]]))

    See the book: 05_cnn.
    """
    kernel, stride, pads, h_out, w_out = _pool_geometry(input, kernel_size, stride, padding)
    x = functional.pad(input, (pads[1], pads[1], pads[0], pads[0]), value=float("-inf"))
    windows = _windows(x, kernel, stride, h_out, w_out)  # (N, C, H_out, W_out, F·F)
    local = windows.argmax(dim=-1, keepdim=True)  # first maximum of each window
    values = windows.gather(-1, local).squeeze(-1)
    if not return_indices:
        return values
    u, v = local.squeeze(-1) // kernel[1], local.squeeze(-1) % kernel[1]
    i = torch.arange(h_out, device=input.device)[:, None]
    j = torch.arange(w_out, device=input.device)[None, :]
    row, col = i * stride[0] - pads[0] + u, j * stride[1] - pads[1] + v
    return values, row * input.shape[3] + col


def avg_pool2d(
    input: Tensor,  # noqa: A002 - torch's name
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    count_include_pad: bool = True,
) -> Tensor:
    """Average pooling: the mean of each F x F window, as ``torch.nn.functional.avg_pool2d``.

    With ``count_include_pad`` (torch's default) the padded zeros count in the
    mean; otherwise only the real input values do.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out).

    >>> avg_pool2d(torch.tensor([[[[1.0, 3.0], [2.0, 0.0]]]]), 2)
    tensor([[[[1.5000]]]])

    See the book: 05_cnn.
    """
    kernel, stride, pads, h_out, w_out = _pool_geometry(input, kernel_size, stride, padding)
    zero_pad = (pads[1], pads[1], pads[0], pads[0])
    sums = _windows(functional.pad(input, zero_pad), kernel, stride, h_out, w_out).sum(dim=-1)
    if count_include_pad:
        return sums / (kernel[0] * kernel[1])
    ones = functional.pad(
        torch.ones_like(input[:1, :1]), zero_pad
    )  # 1 on real pixels, 0 on padding
    counts = _windows(ones, kernel, stride, h_out, w_out).sum(dim=-1)
    return sums / counts


def max_unpool2d(
    input: Tensor,  # noqa: A002 - torch's name
    indices: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    output_size: tuple[int, ...] | None = None,
) -> Tensor:
    """Max unpooling: put each value back where :func:`max_pool2d` found it, zeros elsewhere.

    The output side is (H_in - 1)·S - 2P + F unless ``output_size`` (the last
    two entries count) gives it, as ``torch.nn.functional.max_unpool2d``.

    Shape: input and indices (N, C, H_in, W_in) -> (N, C, H_out, W_out).

    >>> pooled, where = max_pool2d(torch.tensor([[[[1.0, 3.0], [2.0, 0.0]]]]), 2,
    ...                            return_indices=True)
    >>> max_unpool2d(pooled, where, 2)
    tensor([[[[0., 3.],
              [0., 0.]]]])

    See the book: 05_cnn.
    """
    _check_maps(input)
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    pads = _pair(padding, "padding", 0)
    if (
        not isinstance(indices, Tensor)
        or indices.shape != input.shape
        or indices.is_floating_point()
    ):
        got = tuple(indices.shape) if isinstance(indices, Tensor) else type(indices).__name__
        raise ValueError(
            f"indices must be an integer tensor of shape {tuple(input.shape)}, got {got}"
        )
    if output_size is None:
        h_out = (input.shape[2] - 1) * stride[0] - 2 * pads[0] + kernel[0]
        w_out = (input.shape[3] - 1) * stride[1] - 2 * pads[1] + kernel[1]
    else:
        h_out, w_out = (int(s) for s in tuple(output_size)[-2:])
    if indices.numel() and (indices.min() < 0 or indices.max() >= h_out * w_out):
        raise ValueError(
            f"indices must lie in [0, {h_out * w_out}) for an output of {h_out} x {w_out}, got "
            f"values from {indices.min().item()} to {indices.max().item()}"
        )
    n, c = input.shape[:2]
    flat = input.new_zeros(n, c, h_out * w_out)
    flat = flat.scatter(2, indices.reshape(n, c, -1), input.reshape(n, c, -1))
    return flat.reshape(n, c, h_out, w_out)


# --------------------------------------------------------------------------- #
# Upsampling
# --------------------------------------------------------------------------- #
def _check_scale(scale_factor: Any) -> int:
    if isinstance(scale_factor, bool) or not isinstance(scale_factor, int) or scale_factor < 1:
        raise ValueError(f"scale_factor must be an int >= 1, got {scale_factor!r}")
    return scale_factor


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
    s = _check_scale(scale_factor)
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
    s = _check_scale(scale_factor)
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
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (c_out,)):
        got = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise ValueError(f"bias must be None or a tensor of shape ({c_out},), got {got}")
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


# --------------------------------------------------------------------------- #
# Receptive field
# --------------------------------------------------------------------------- #
_POINTWISE = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Tanh,
    nn.Sigmoid,
    nn.Identity,
    nn.BatchNorm2d,
    nn.Dropout,
    nn.Dropout2d,
)
_WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _layer_geometry(layer: Any) -> list[tuple[int, int, int]]:
    """(F, S, dilation) of one layer; [] for a pointwise one; a Sequential is unrolled."""
    if isinstance(layer, nn.Sequential):
        return [g for sub in layer for g in _layer_geometry(sub)]
    if isinstance(layer, _POINTWISE):
        return []
    if isinstance(layer, _WINDOWED):
        f, s = _pair(layer.kernel_size, "kernel_size", 1), _pair(layer.stride, "stride", 1)
        d = _pair(getattr(layer, "dilation", 1), "dilation", 1)
        if f[0] != f[1] or s[0] != s[1] or d[0] != d[1]:
            raise ValueError(f"receptive_field handles square layers only, got {layer}")
        return [(f[0], s[0], d[0])]
    if isinstance(layer, tuple | list) and len(layer) in (2, 3):
        f, s, d = (*layer, 1)[:3]
        for value, name in ((f, "kernel_size"), (s, "stride"), (d, "dilation")):
            _int(value, name, 1)
        return [(f, s, d)]
    raise TypeError(
        f"receptive_field takes Conv2d, MaxPool2d, AvgPool2d, pointwise layers (ReLU, BatchNorm2d, "
        f"...), nn.Sequential or (kernel_size, stride[, dilation]) tuples; got {layer!r}"
    )


def receptive_field(layers: Iterable[Any]) -> int:
    """Side of the input region that one output unit of a stack of layers can see.

    With r_0 = 1 and j_0 = 1 (the jump: input pixels between neighbouring units),
    each layer of filter side F, stride S and dilation d gives
    r_l = r_{l-1} + d·(F - 1)·j_{l-1} and j_l = j_{l-1}·S. Padding changes
    where the region sits, not its size; pointwise layers change nothing.

    Parameters
    ----------
    layers : iterable
        ``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d``, pointwise modules,
        ``nn.Sequential`` (unrolled), or (kernel_size, stride[, dilation]) tuples.

    >>> receptive_field([(3, 1), (3, 1)])  # two 3x3 convolutions see 5x5, like one 5x5
    5
    >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])  # LeNet-5's conv, pool, conv, pool
    16

    See the book: 05_cnn.
    """
    r, jump = 1, 1
    for layer in layers:
        for f, s, d in _layer_geometry(layer):
            r, jump = r + d * (f - 1) * jump, jump * s
    return r


def measured_receptive_field(net: nn.Module, input_size: int = 64, *, in_channels: int = 1) -> int:
    """Receptive field measured from gradients: rows of the input that move one output unit.

    A copy of ``net`` gets all-positive weights, zero biases and average
    pooling in place of max pooling (a max routes the gradient of one input
    through one element per window, though any element of the window could
    win); the input is all ones, so no ReLU is off. The gradient of the
    central output unit with respect to the input is then non-zero exactly on
    the receptive field, whose height is returned.

    >>> measured_receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)))
    5

    See the book: 05_cnn.
    """
    probe = _positive_copy(net)
    x = torch.ones(1, in_channels, input_size, input_size, dtype=torch.float64, requires_grad=True)
    y = probe(x)
    if y.ndim != 4:
        raise ValueError(f"net must return feature maps (N, C, H, W), got shape {tuple(y.shape)}")
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2)) > 0).flatten()
    touched = (rows[0].item() == 0, rows[-1].item() == input_size - 1)
    if any(touched):
        raise ValueError(
            f"the receptive field reaches the border of a {input_size} x {input_size} input: "
            "raise input_size"
        )
    return int(rows[-1] - rows[0] + 1)


def _positive_copy(net: nn.Module) -> nn.Module:
    """A float64 copy of net with weights 1/fan-in, no biases and max pooling made average."""
    probe = copy.deepcopy(net).double().eval()

    def swap(module: nn.Module) -> None:
        for name, child in module.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(module, name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding))
            else:
                swap(child)

    swap(probe)
    with torch.no_grad():
        for module in probe.modules():
            if isinstance(module, nn.Conv2d):
                module.weight.fill_(1.0 / module.weight[0].numel())
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()  # running mean 0, variance 1, gamma 1, beta 0
    return probe
