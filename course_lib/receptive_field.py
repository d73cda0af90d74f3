"""The receptive field of a stack of layers: by the recurrence, and measured by gradients.

With r_0 = 1 and the jump j_0 = 1, a layer of filter side F, stride S and
dilation d gives r_l = r_{l-1} + d·(F - 1)·j_{l-1} and j_l = j_{l-1}·S
(Araujo et al. 2019, "Computing Receptive Fields of Convolutional Neural
Networks"). :func:`measured_receptive_field` checks the formula on a real
network with autograd.

See the book: 05_cnn.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from course_lib.conv import _pair
from course_lib.validation import check_int

__all__ = ["measured_receptive_field", "receptive_field"]

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
            check_int(value, name, 1)
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
