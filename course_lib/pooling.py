"""Chapter 05 pooling from scratch: max and average pooling, and max unpooling.

Each function copies the signature of its ``torch.nn.functional`` counterpart
(``max_pool2d``, ``avg_pool2d``, ``max_unpool2d``) and returns the same
tensors, gradients included; the window geometry is the convolution's, with
the stride defaulting to the kernel size (Scherer et al. 2010 compare max and
average pooling).

See the book: 05_cnn.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional

from course_lib.conv import IntPair, _check_maps, _pair, _sizes

__all__ = ["avg_pool2d", "max_pool2d", "max_unpool2d"]


def _window_args(input: Tensor, kernel_size, stride, padding):  # noqa: A002
    """Check the input; return kernel, stride (the kernel by default) and padding as pairs."""
    _check_maps(input)
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    return kernel, stride, _pair(padding, "padding", 0)


def _pool_geometry(input: Tensor, kernel_size, stride, padding):  # noqa: A002
    kernel, stride, pads = _window_args(input, kernel_size, stride, padding)
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
    kernel, stride, pads = _window_args(input, kernel_size, stride, padding)
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
