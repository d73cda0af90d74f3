"""Tests for course_lib.blocks: the residual block and the Inception module.

The residual block is checked against its equation h^(l+2) = g(F(h^(l)) + W_s h^(l))
written out with torch.nn.functional, and both blocks' parameter counts against the
chapter's formula (F·F·D + 1)·K summed layer by layer.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional

from course_lib.blocks import InceptionModule, ResidualBlock
from course_lib.conv import conv_param_count
from course_lib.models import (
    count_parameters,
)

pytestmark = pytest.mark.ch05


# --------------------------------------------------------------------------- #
# Residual block
# --------------------------------------------------------------------------- #
def residual_by_hand(block: ResidualBlock, x: torch.Tensor) -> torch.Tensor:
    """g(BN(conv2(g(BN(conv1(x))))) + W_s x), in eval mode, with torch.nn.functional."""

    def bn(layer, t):
        return functional.batch_norm(
            t, layer.running_mean, layer.running_var, layer.weight, layer.bias, eps=layer.eps
        )

    c1, c2 = block.conv1, block.conv2
    h = functional.relu(bn(block.bn1, functional.conv2d(x, c1.weight, stride=c1.stride, padding=1)))
    a = bn(block.bn2, functional.conv2d(h, c2.weight, padding=1))
    if isinstance(block.shortcut, nn.Identity):
        skip = x
    else:
        proj, proj_bn = block.shortcut
        skip = bn(proj_bn, functional.conv2d(x, proj.weight, stride=proj.stride))
    return functional.relu(a + skip)


@pytest.mark.parametrize(("c_in", "c_out", "stride"), [(4, 4, 1), (4, 8, 1), (4, 8, 2), (6, 6, 2)])
def test_residual_block_is_its_formula(c_in, c_out, stride):
    """Is the block g(F(x) + x) with an identity, and g(F(x) + W_s x) with a projection?"""
    torch.manual_seed(0)
    block = ResidualBlock(c_in, c_out, stride).double()
    for module in block.modules():  # non-trivial BatchNorm statistics and affine parameters
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.5, 0.5)
    block.eval()
    x = torch.randn(3, c_in, 8, 7, dtype=torch.float64)
    identity = stride == 1 and c_in == c_out
    assert isinstance(block.shortcut, nn.Identity) == identity
    torch.testing.assert_close(block(x), residual_by_hand(block, x), rtol=1e-12, atol=1e-12)
    assert block(x).shape == (3, c_out, -(-8 // stride), -(-7 // stride))


def test_residual_block_with_zero_residual_is_the_identity():
    """With the last BN's gamma and beta at 0, F(x) = 0 and the block passes relu(x) through."""
    block = ResidualBlock(4, 4).double().eval()
    nn.init.zeros_(block.bn2.weight)
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(block(x), functional.relu(x))


def test_plain_block_has_no_skip_and_the_same_layers():
    plain, residual = ResidualBlock(4, 4, shortcut=False), ResidualBlock(4, 4)
    assert plain.shortcut is None
    assert count_parameters(plain) == count_parameters(residual)
    # a projection adds exactly a 1x1 convolution and a BatchNorm: D·K + 2K
    assert (
        count_parameters(ResidualBlock(4, 8, 2))
        - count_parameters(ResidualBlock(4, 8, 2, shortcut=False))
        == 4 * 8 + 2 * 8
    )


def test_residual_block_without_batch_norm_uses_biases():
    block = ResidualBlock(3, 5, 2, batch_norm=False)
    assert block.conv1.bias is not None and isinstance(block.bn1, nn.Identity)
    # 2 convolutions 3x3 and a 1x1 projection, all with biases
    expected = conv_param_count(3, 3, 5) + conv_param_count(3, 5, 5) + conv_param_count(1, 3, 5)
    assert count_parameters(block) == expected


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(in_channels=0, out_channels=4), "in_channels must be an integer >= 1"),
        (dict(in_channels=4, out_channels=4, stride=3), "stride must be 1 or 2"),
    ],
)
def test_residual_block_rejects_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        ResidualBlock(**kwargs)


# --------------------------------------------------------------------------- #
# Inception
# --------------------------------------------------------------------------- #
def test_inception_bottleneck_saves_parameters_as_computed_by_hand():
    """Inception (3a): 1x1 reductions before the 3x3 and 5x5 cut the parameters about 2.2x."""
    naive = InceptionModule(192, 64, 96, 128, 16, 32, 32, bottleneck=False)
    reduced = InceptionModule(192, 64, 96, 128, 16, 32, 32)
    expected_naive = (
        conv_param_count(1, 192, 64) + conv_param_count(3, 192, 128) + conv_param_count(5, 192, 32)
    )
    expected_reduced = (
        conv_param_count(1, 192, 64)
        + conv_param_count(1, 192, 96) + conv_param_count(3, 96, 128)
        + conv_param_count(1, 192, 16) + conv_param_count(5, 16, 32)
        + conv_param_count(1, 192, 32)
    )  # fmt: skip
    assert count_parameters(naive) == expected_naive == 387_296
    assert count_parameters(reduced) == expected_reduced == 163_696
    x = torch.randn(1, 192, 7, 7)
    assert naive(x).shape == (1, 64 + 128 + 32 + 192, 7, 7) == (1, naive.out_channels, 7, 7)
    assert reduced(x).shape == (1, 256, 7, 7)
