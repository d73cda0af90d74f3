"""Chapter 05 convolution from scratch, equal to torch's layers: sizes, parameters, im2col.

The symbols are the book's: an input of side N with D channels, K filters of
side F, padding P and stride S, so that a convolution has output side
floor((N - F + 2P) / S) + 1 and (F·F·D + 1)·K parameters. Every function
takes and returns tensors that autograd differentiates and copies the
signature of its ``torch.nn.functional`` counterpart, so a test can swap the
built-in in. ``conv2d_naive`` loops over output positions as the formula
does; ``conv2d`` unrolls the patches into columns (im2col, Chellapilla et al.
2006) and does one matrix product. Pooling is in :mod:`course_lib.pooling`,
upsampling in :mod:`course_lib.upsampling`, the receptive field in
:mod:`course_lib.receptive_field`, the networks in :mod:`course_lib.models`.

See the book: 05_cnn.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.nn import functional

from course_lib.validation import check_int

__all__ = [
    *("conv_output_size", "conv_param_count", "im2col", "conv2d_naive", "conv2d"),
    *("correlate2d", "convolve2d"),
]

IntPair = int | tuple[int, int]


# --------------------------------------------------------------------------- #
# Validation shared by every operation
# --------------------------------------------------------------------------- #
def _pair(value: Any, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a pair (shared with pooling, upsampling)."""
    items = tuple(value) if isinstance(value, tuple | list) else (value, value)
    try:
        if len(items) != 2:
            raise ValueError(name)
        return check_int(items[0], name, minimum), check_int(items[1], name, minimum)
    except ValueError:
        raise ValueError(
            f"{name} must be an integer >= {minimum} or a pair of them, got {value!r}"
        ) from None


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


def conv_output_size(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | str = 0,
    *,
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

    >>> conv_output_size(7, 3, stride=2)
    3
    >>> conv_output_size(32, 5, stride=1, padding=2)
    32
    >>> conv_output_size(8, 3, stride=2)  # (8 - 3) / 2 + 1 = 3.5: floor, the last column is dropped
    3

    See the book: 05_cnn.
    """
    n, f = check_int(input_size, "input_size", 1), check_int(kernel_size, "kernel_size", 1)
    s = check_int(stride, "stride", 1)
    if padding == "same":
        if s != 1:
            raise ValueError(f"padding='same' needs stride 1 (as in torch), got stride {s}")
        return n
    p = 0 if padding == "valid" else check_int(padding, "padding", 0)
    return _span_size(n, f, s, 2 * p, strict)


def conv_param_count(
    kernel_size: IntPair, in_channels: int, out_channels: int, bias: bool = True
) -> int:
    """Number of learnable parameters of a convolution layer: (F·F·D + 1)·K.

    The arguments come in the formula's order F, D, K (as in the chapter's
    exercise), not in ``nn.Conv2d``'s order (D, K, F).

    Parameters
    ----------
    kernel_size : int or (int, int)
        F, or (F_h, F_w) for a rectangular filter.
    in_channels, out_channels : int
        D, the depth of the input, and K, the number of filters.
    bias : bool
        Without a bias (as before a BatchNorm) the count is F·F·D·K.

    >>> conv_param_count(3, 3, 64)  # VGG's first layer: F = 3, D = 3, K = 64
    1792
    >>> sum(p.numel() for p in torch.nn.Conv2d(3, 64, 3).parameters())
    1792

    See the book: 05_cnn.
    """
    D, K = check_int(in_channels, "in_channels", 1), check_int(out_channels, "out_channels", 1)
    fh, fw = _pair(kernel_size, "kernel_size", 1)
    return (fh * fw * D + int(bool(bias))) * K


# --------------------------------------------------------------------------- #
# Convolution: loops, im2col, true convolution
# --------------------------------------------------------------------------- #
def _conv_geometry(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding):  # noqa: A002
    """Check a convolution's arguments; return kernel, stride, paddings and (H_out, W_out)."""
    _check_conv(input, weight, bias)
    kernel, stride = tuple(weight.shape[2:]), _pair(stride, "stride", 1)
    pads = _paddings(padding, kernel, stride)
    return kernel, stride, pads, _sizes(tuple(input.shape[2:]), kernel, stride, pads)


def _check_conv(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:  # noqa: A002
    _check_maps(input, "input")
    _check_maps(weight, "weight")
    if weight.shape[1] != input.shape[1]:
        raise ValueError(
            f"weight must have shape (K, D, F, F) with D = input channels = {input.shape[1]}, "
            f"got {tuple(weight.shape)}"
        )
    _check_bias(bias, weight.shape[0])


def _check_bias(bias: Any, n_out: int) -> None:
    """None or a tensor of shape (n_out,), one bias per output channel (shared with upsampling)."""
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (n_out,)):
        got = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise ValueError(f"bias must be None or a tensor of shape ({n_out},), got {got}")


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
    kernel, stride, pads, (h_out, w_out) = _conv_geometry(input, weight, bias, stride, padding)
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
    kernel, stride, _, (h_out, w_out) = _conv_geometry(input, weight, bias, stride, padding)
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
