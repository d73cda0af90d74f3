"""Chapter 05 architectures: residual and Inception blocks, LeNet, AlexNet, VGG, GoogLeNet, ResNet.

The builders follow the papers' layer tables so that the book can count
their parameters: LeCun et al. (1998) for LeNet-5, Krizhevsky et al. (2012)
for AlexNet, Simonyan & Zisserman (2015) for VGG, Szegedy et al. (2015) for
GoogLeNet and its Inception modules, He et al. (2016) for ResNet. The same
builders make small versions for 28 x 28 digits. To count the parameters of
a large network without allocating its weights, build it on the meta device:

>>> with torch.device("meta"):
...     net = vgg(VGG16)
>>> count_parameters(net)
138357544

See the book: 05_cnn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor, nn

__all__ = [
    *("VGG11", "VGG16", "count_parameters", "count_multiply_adds"),
    *("ResidualBlock", "InceptionModule"),
    *("lenet5", "alexnet", "vgg", "googlenet", "GoogLeNet", "resnet"),
]

VGG11 = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")
VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


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


# --------------------------------------------------------------------------- #
# Blocks
# --------------------------------------------------------------------------- #
class ResidualBlock(nn.Module):
    """Two 3x3 convolutions and a skip connection: h^(l+2) = g(F(h^(l)) + W_s h^(l)).

    F(h) = BN(conv2(g(BN(conv1(h))))) with g = ReLU; ``conv1`` has stride S.
    The shortcut W_s is the identity when the shapes agree (same channels,
    stride 1) and otherwise a projection, a 1x1 convolution of stride S
    followed by BatchNorm (He et al. 2016, option B). With
    ``shortcut=False`` the block is the same two layers without the skip (a
    "plain" block), for the degradation experiment.

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int
        1 keeps the size; 2 halves it (and forces a projection).
    shortcut : bool
        Add the skip connection.
    batch_norm : bool
        Put a BatchNorm2d after each convolution (the convolutions then have
        no bias, since BatchNorm's beta plays that role).

    Shape: (N, in_channels, H, W) -> (N, out_channels, ceil(H / S), ceil(W / S)).

    >>> block = ResidualBlock(16, 32, stride=2)
    >>> block(torch.randn(2, 16, 8, 8)).shape
    torch.Size([2, 32, 4, 4])
    >>> type(ResidualBlock(16, 16).shortcut).__name__
    'Identity'

    See the book: 05_cnn.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        *,
        shortcut: bool = True,
        batch_norm: bool = True,
    ):
        super().__init__()
        _positive_int(in_channels, "in_channels")
        _positive_int(out_channels, "out_channels")
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride!r}")
        norm = nn.BatchNorm2d if batch_norm else (lambda _: nn.Identity())
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=not batch_norm)
        self.bn1 = norm(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=not batch_norm)
        self.bn2 = norm(out_channels)
        self.relu = nn.ReLU()
        if not shortcut:
            self.shortcut = None
        elif stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:  # W_s: match the channels and the size of F(h)
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=not batch_norm),
                norm(out_channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))  # h^(l+1)
        out = self.bn2(self.conv2(out))  # a^(l+2) = W^(l+2) h^(l+1) + b^(l+2)
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # + W_s h^(l)
        return self.relu(out)


class InceptionModule(nn.Module):
    """Four parallel branches concatenated along the channels (GoogLeNet's module).

    Branches: a 1x1 convolution; a 3x3; a 5x5; a 3x3 max-pool of stride 1.
    With ``bottleneck=True`` (the paper's "dimension reduction" version) 1x1
    convolutions first shrink the depth before the 3x3 and 5x5 and project
    the pooled maps; with ``bottleneck=False`` (the "naive" version) the 3x3
    and 5x5 see the whole input and the pooled maps pass unchanged, so the
    output keeps all ``in_channels`` of the pool branch too. Every
    convolution is followed by a ReLU; "same" padding keeps H and W.

    Shape: (N, in_channels, H, W) -> (N, out_channels, H, W).

    >>> module = InceptionModule(192, 64, 96, 128, 16, 32, 32)  # inception (3a)
    >>> module.out_channels, count_parameters(module)
    (256, 163696)

    See the book: 05_cnn.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3_reduce: int,
        ch3x3: int,
        ch5x5_reduce: int,
        ch5x5: int,
        pool_proj: int,
        *,
        bottleneck: bool = True,
    ):
        super().__init__()
        sizes = dict(in_channels=in_channels, ch1x1=ch1x1, ch3x3=ch3x3, ch5x5=ch5x5)
        if bottleneck:
            sizes |= dict(ch3x3_reduce=ch3x3_reduce, ch5x5_reduce=ch5x5_reduce, pool_proj=pool_proj)
        for name, value in sizes.items():
            _positive_int(value, name)

        def conv(c_in: int, c_out: int, f: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, c_out, f, padding=f // 2), nn.ReLU())

        self.branch1 = conv(in_channels, ch1x1, 1)
        if bottleneck:
            self.branch3 = nn.Sequential(
                conv(in_channels, ch3x3_reduce, 1), conv(ch3x3_reduce, ch3x3, 3)
            )
            self.branch5 = nn.Sequential(
                conv(in_channels, ch5x5_reduce, 1), conv(ch5x5_reduce, ch5x5, 5)
            )
            self.branch_pool = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv(in_channels, pool_proj, 1))
            pooled = pool_proj
        else:
            self.branch3, self.branch5 = conv(in_channels, ch3x3, 3), conv(in_channels, ch5x5, 5)
            self.branch_pool, pooled = nn.MaxPool2d(3, 1, 1), in_channels
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pooled

    def forward(self, x: Tensor) -> Tensor:
        branches = (self.branch1, self.branch3, self.branch5, self.branch_pool)
        return torch.cat([branch(x) for branch in branches], dim=1)


# --------------------------------------------------------------------------- #
# Whole networks
# --------------------------------------------------------------------------- #
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
        _positive_int(in_channels, "in_channels"),
        _positive_int(input_size, "input_size"),
    )
    for item in config:
        if item == "M":
            if size < 2:
                raise ValueError(f"config {tuple(config)} pools a {input_size}-pixel input below 1")
            layers.append(nn.MaxPool2d(2))
            size //= 2
            continue
        width = _positive_int(item, "each width in config")
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
    return GoogLeNet(_positive_int(num_classes, "num_classes"), aux_logits=aux_logits)


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
        for b in range(_positive_int(n_blocks, "each entry of blocks")):
            stride = 2 if stage > 0 and b == 0 else 1
            layers.append(ResidualBlock(channels, width, stride, shortcut=shortcut))
            channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)
