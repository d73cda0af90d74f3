"""Chapter 05 networks: LeNet, AlexNet, VGG, GoogLeNet, ResNet, and how to count their cost.

The builders follow the papers' layer tables so that the book can count
their parameters: LeCun et al. (1998) for LeNet-5, Krizhevsky et al. (2012)
for AlexNet, Simonyan & Zisserman (2015) for VGG, Szegedy et al. (2015) for
GoogLeNet, He et al. (2016) for ResNet; the blocks they stack are in
:mod:`course_lib.blocks`. The same builders make small versions for 28 x 28
digits. To count the parameters of a large network without allocating its
weights, build it on the meta device:

>>> with torch.device("meta"):
...     net = vgg(VGG16)
>>> count_parameters(net)
138357544

See the book: 05_cnn.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor, nn

from course_lib.blocks import InceptionModule, ResidualBlock
from course_lib.validation import check_int

__all__ = [
    *("VGG11", "VGG16", "count_parameters", "count_multiply_adds", "make_mlp"),
    *("lenet5", "alexnet", "vgg", "googlenet", "GoogLeNet", "resnet"),
]

VGG11 = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")
VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def make_mlp(
    in_features: int,
    widths: Sequence[int],
    out_features: int,
    *,
    activation: type[nn.Module] = nn.ReLU,
    seed: int | None = None,
) -> nn.Sequential:
    """A fully connected network in_features → widths… → out_features, in PyTorch.

    h^(l) = g(W^(l) h^(l−1) + b^(l)) for each hidden width, then a linear output layer
    (logits). ``seed`` calls ``torch.manual_seed`` first, so that runs which must start
    from the same initial weights say so. Chapter 04's experiments use
    ``make_mlp(64, (120, 84), 10)``, the lecture's network for 8 × 8 digits
    (:mod:`course_lib.mlp` is chapter 01's MLP written from scratch in NumPy).

    >>> make_mlp(64, (120, 84), 10)
    Sequential(
      (0): Linear(in_features=64, out_features=120, bias=True)
      (1): ReLU()
      (2): Linear(in_features=120, out_features=84, bias=True)
      (3): ReLU()
      (4): Linear(in_features=84, out_features=10, bias=True)
    )

    See the book: 01_foundations (the MLP in matrix form), 04_optimization.
    """
    sizes = [check_int(in_features, "in_features", 1)]
    sizes += [check_int(w, "each of widths", 1) for w in widths]
    check_int(out_features, "out_features", 1)
    if seed is not None:
        torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), activation()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], out_features))


def count_parameters(model: nn.Module, *, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters: the sum of ``numel`` over ``model.parameters()``.

    >>> count_parameters(nn.Conv2d(3, 64, 3))  # (3·3·3 + 1)·64
    1792
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_multiply_adds(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of one forward pass of one input, in the convolutions and linear layers.

    A convolution costs (F_h·F_w·D / groups) multiply-adds per output value, a
    linear layer in·out; biases, normalisation, activations and pooling are
    not counted (they are cheap next to these). ``input_shape`` is (C, H, W)
    or (features,), without the batch. The count runs a forward pass on a
    zero input, on the model's device: build a large model on the meta device
    to count without memory or time.

    >>> count_multiply_adds(nn.Conv2d(3, 64, 3, padding=1), (3, 224, 224))  # 224·224·64·27
    86704128

    See the book: 05_cnn.
    """
    total = 0

    def add(module: nn.Module, _inputs: object, output: Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            per_value = module.in_channels // module.groups * module.weight[0, 0].numel()
            total += output[0].numel() * per_value
        else:
            total += output[0].numel() * module.in_features

    layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    handles = [m.register_forward_hook(add) for m in layers]
    device = next(iter(model.parameters())).device
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total


def lenet5(
    num_classes: int = 10, *, in_channels: int = 1, activation: str = "tanh"
) -> nn.Sequential:
    """LeNet-5 for 28 x 28 grey images: 61,706 parameters.

    conv 5x5 (6) - avg-pool 2 - conv 5x5 (16) - avg-pool 2 - FC 120 - FC 84 - FC classes,
    with tanh (or "relu"). The first convolution pads by 2, so a 28 x 28 digit
    is treated as the original's 32 x 32 input. Every C3 map here sees all six
    S2 maps (the original connected each to a subset, and its output layer was
    RBF units rather than a linear layer).

    >>> count_parameters(lenet5())
    61706

    See the book: 05_cnn.
    """
    if activation not in ("tanh", "relu"):
        raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
    act = nn.Tanh if activation == "tanh" else nn.ReLU
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=2), act(), nn.AvgPool2d(2),  # (6, 14, 14)
        nn.Conv2d(6, 16, 5), act(), nn.AvgPool2d(2),  # (16, 5, 5)
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), act(),
        nn.Linear(120, 84), act(),
        nn.Linear(84, num_classes),
    )  # fmt: skip


def alexnet(num_classes: int = 1000, *, groups: int = 2, dropout: float = 0.5) -> nn.Sequential:
    """AlexNet (Krizhevsky et al. 2012) for 227 x 227 colour images.

    Five convolutions (96 11x11/4, 256 5x5, 384, 384, 256 3x3), overlapping
    3x3/2 max-pools, ReLU, then FC 4096 - 4096 - classes with dropout. With
    ``groups=2`` the 2nd, 4th and 5th convolutions are split in two halves as
    on the paper's two GPUs (60,965,224 parameters for 1000 classes);
    ``groups=1`` connects every channel (62,378,344).

    >>> with torch.device("meta"):
    ...     print(count_parameters(alexnet()))
    60965224

    See the book: 05_cnn.
    """
    if groups not in (1, 2):
        raise ValueError(f"groups must be 1 or 2, got {groups!r}")
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),  # (96, 27, 27)
        nn.Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),  # (384, 13, 13)
        nn.Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),  # 256 * 6 * 6 = 9216
        nn.Dropout(dropout), nn.Linear(9216, 4096), nn.ReLU(),
        nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes),
    )  # fmt: skip


def vgg(
    config: Sequence[int | str] = VGG16,
    *,
    in_channels: int = 3,
    num_classes: int = 1000,
    input_size: int = 224,
    hidden: Sequence[int] = (4096, 4096),
    batch_norm: bool = False,
    dropout: float = 0.5,
) -> nn.Sequential:
    """A VGG network: 3x3 "same" convolutions (+ ReLU) and 2x2 max-pools, then FC layers.

    ``config`` lists the widths of the convolutions and "M" for a max-pool:
    :data:`VGG16` is the 13 convolutions of VGG-16, whose 3 FC layers come from
    ``hidden``. A small version for digits:
    ``vgg((16, "M", 32, "M"), in_channels=1, num_classes=10, input_size=28, hidden=(64,))``.

    >>> net = vgg((8, "M", 16, "M"), in_channels=1, num_classes=10, input_size=28, hidden=(32,))
    >>> net(torch.zeros(1, 1, 28, 28)).shape, count_parameters(net)
    (torch.Size([1, 10]), 26698)

    See the book: 05_cnn.
    """
    layers: list[nn.Module] = []
    channels, size = (
        check_int(in_channels, "in_channels", 1),
        check_int(input_size, "input_size", 1),
    )
    for item in config:
        if item == "M":
            if size < 2:
                raise ValueError(f"config {tuple(config)} pools a {input_size}-pixel input below 1")
            layers.append(nn.MaxPool2d(2))
            size //= 2
            continue
        width = check_int(item, "each width in config", 1)
        layers.append(nn.Conv2d(channels, width, 3, padding=1))
        layers += [nn.BatchNorm2d(width), nn.ReLU()] if batch_norm else [nn.ReLU()]
        channels = width
    layers.append(nn.Flatten())
    features = channels * size * size
    for width in hidden:
        layers += [nn.Linear(features, width), nn.ReLU(), nn.Dropout(dropout)]
        features = width
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)


class _AuxiliaryHead(nn.Module):
    """GoogLeNet's side classifier: avg-pool 5/3, 1x1 conv 128, FC 1024, dropout 0.7, FC."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.AdaptiveAvgPool2d(4), nn.Conv2d(in_channels, 128, 1), nn.ReLU(), nn.Flatten(),
            nn.Linear(128 * 4 * 4, 1024), nn.ReLU(), nn.Dropout(0.7), nn.Linear(1024, num_classes),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class GoogLeNet(nn.Module):
    """GoogLeNet (Szegedy et al. 2015): a stem, nine Inception modules, two auxiliary heads.

    In training mode with ``aux_logits`` the forward pass returns
    ``(logits, aux1, aux2)``: the side classifiers after inception (4a) and
    (4d) push a gradient straight into the middle of the network; the paper
    adds their losses with weight 0.3 and drops them at test time. In eval mode
    it returns the logits only. Build it with :func:`googlenet`.
    """

    # (in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj): Table 1 of the paper
    TABLE: ClassVar[dict[str, tuple[int, ...]]] = {
        "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
        "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
        "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
        "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
        "5b": (832, 384, 192, 384, 48, 128, 128),
    }  # fmt: skip

    def __init__(self, num_classes: int = 1000, *, aux_logits: bool = True):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Conv2d(64, 64, 1), nn.ReLU(),
            nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
        )  # fmt: skip
        self.inception = nn.ModuleDict({k: InceptionModule(*v) for k, v in self.TABLE.items()})
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.aux1 = _AuxiliaryHead(512, num_classes) if aux_logits else None
        self.aux2 = _AuxiliaryHead(528, num_classes) if aux_logits else None
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4), nn.Linear(1024, num_classes)
        )

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor, Tensor]:
        x = self.stem(x)
        aux = []
        for name, module in self.inception.items():
            x = module(x)
            if name in ("3b", "4e"):
                x = self.pool(x)
            head = {"4a": self.aux1, "4d": self.aux2}.get(name)
            if head is not None and self.training:
                aux.append(head(x))
        logits = self.head(x)
        return (logits, *aux) if aux else logits


def googlenet(num_classes: int = 1000, *, aux_logits: bool = True) -> GoogLeNet:
    """GoogLeNet for 224 x 224 colour images (see :class:`GoogLeNet`).

    >>> with torch.device("meta"):
    ...     print(count_parameters(googlenet()), count_parameters(googlenet(aux_logits=False)))
    13378280 6998552

    See the book: 05_cnn.
    """
    return GoogLeNet(check_int(num_classes, "num_classes", 1), aux_logits=aux_logits)


def resnet(
    blocks: Sequence[int] = (2, 2, 2, 2),
    widths: Sequence[int] = (64, 128, 256, 512),
    *,
    in_channels: int = 3,
    num_classes: int = 1000,
    stem: str = "imagenet",
    shortcut: bool = True,
) -> nn.Sequential:
    """A ResNet of :class:`ResidualBlock` stages: (2, 2, 2, 2) is ResNet-18, (3, 4, 6, 3) ResNet-34.

    ``stem="imagenet"`` starts with a 7x7/2 convolution and a 3x3/2 max-pool
    (for 224 x 224 images); ``stem="small"`` with one 3x3 convolution of stride
    1 (for 28 x 28 digits). Each stage after the first halves the size in its
    first block (with a projection shortcut W_s). Global average pooling and
    one linear layer end the network. ``shortcut=False`` builds the "plain"
    network of the same depth.

    >>> with torch.device("meta"):
    ...     print(count_parameters(resnet()))
    11689512

    See the book: 05_cnn.
    """
    if len(blocks) != len(widths) or not blocks:
        raise ValueError(
            f"blocks and widths must be non-empty and of one length, got {blocks}, {widths}"
        )
    if stem == "imagenet":
        layers = [nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False), nn.BatchNorm2d(widths[0]),
                  nn.ReLU(), nn.MaxPool2d(3, 2, 1)]  # fmt: skip
    elif stem == "small":
        layers = [nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]),
                  nn.ReLU()]  # fmt: skip
    else:
        raise ValueError(f"stem must be 'imagenet' or 'small', got {stem!r}")
    channels = widths[0]
    for stage, (n_blocks, width) in enumerate(zip(blocks, widths, strict=True)):
        for b in range(check_int(n_blocks, "each entry of blocks", 1)):
            stride = 2 if stage > 0 and b == 0 else 1
            layers.append(ResidualBlock(channels, width, stride, shortcut=shortcut))
            channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)
