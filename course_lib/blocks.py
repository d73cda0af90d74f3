"""Reusable building blocks of convolutional networks: the residual block and the Inception module.

The residual block is He et al. (2016)'s, with an identity or a projection
shortcut; the Inception module is Szegedy et al. (2015)'s, naive or with 1x1
reductions. The networks of :mod:`course_lib.models` stack them, and later
chapters reuse them.

See the book: 05_cnn.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from course_lib.validation import check_int

__all__ = ["InceptionModule", "ResidualBlock"]


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
        check_int(in_channels, "in_channels", 1)
        check_int(out_channels, "out_channels", 1)
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
    >>> module.out_channels, sum(p.numel() for p in module.parameters())
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
            check_int(value, name, 1)

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
