"""Tests for course_lib.architectures: shapes, parameter counts, and the blocks' formulas.

The parameter counts are checked against the published figures of each
architecture (which torchvision's models reproduce) and against the chapter's
formula (F·F·D + 1)·K summed layer by layer; the residual block against its
equation h^(l+2) = g(F(h^(l)) + W_s h^(l)) written out with torch.nn.functional.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional

from course_lib.architectures import (
    VGG11,
    VGG16,
    InceptionModule,
    ResidualBlock,
    alexnet,
    count_multiply_adds,
    count_parameters,
    googlenet,
    lenet5,
    resnet,
    vgg,
)
from course_lib.cnn import conv_params

pytestmark = pytest.mark.ch05


def on_meta(build, *args, **kwargs) -> nn.Module:
    with torch.device("meta"):
        return build(*args, **kwargs)


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        ("LeNet-5", lambda: lenet5(), 61_706),
        ("AlexNet, two groups", lambda: alexnet(), 60_965_224),
        ("AlexNet, one GPU", lambda: alexnet(groups=1), 62_378_344),
        ("VGG-11", lambda: vgg(VGG11), 132_863_336),
        ("VGG-16", lambda: vgg(VGG16), 138_357_544),
        ("VGG-16 with BN", lambda: vgg(VGG16, batch_norm=True), 138_365_992),
        ("ResNet-18", lambda: resnet((2, 2, 2, 2)), 11_689_512),
        ("ResNet-34", lambda: resnet((3, 4, 6, 3)), 21_797_672),
    ],
)
def test_parameter_counts_match_the_published_ones(name, build, expected):
    """Do our builders have the parameter counts of the published networks?"""
    assert count_parameters(on_meta(build)) == expected, name


def test_vgg16_count_is_the_formula_summed_layer_by_layer():
    """VGG-16 = sum of (F·F·D + 1)·K over its 13 convolutions + 3 FC layers."""
    convs, depth = 0, 3
    for item in VGG16:
        if item != "M":
            convs, depth = convs + conv_params(depth, item, 3), item
    fc = (512 * 7 * 7 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    assert count_parameters(on_meta(vgg, VGG16)) == convs + fc == 138_357_544
    assert convs == 14_714_688  # the convolutions hold about a tenth of the parameters


@pytest.mark.parametrize(
    ("build", "size", "classes"),
    [
        (lambda: lenet5(), 28, 10),
        (lambda: lenet5(7, activation="relu"), 28, 7),
        (lambda: vgg((8, "M", 16, "M"), in_channels=1, num_classes=10, input_size=28), 28, 10),
        (lambda: resnet((1, 1), (8, 16), in_channels=1, num_classes=10, stem="small"), 28, 10),
        (lambda: resnet((1, 1), (8, 16), in_channels=1, num_classes=3, shortcut=False), 64, 3),
    ],
)
def test_small_builders_take_digits_and_return_logits(build, size, classes):
    torch.manual_seed(0)
    net = build()
    assert net(torch.randn(2, 1, size, size)).shape == (2, classes)


def test_alexnet_and_googlenet_shapes():
    torch.manual_seed(0)
    assert alexnet(5)(torch.randn(1, 3, 227, 227)).shape == (1, 5)
    net = googlenet(7)
    logits, aux1, aux2 = net.train()(torch.randn(2, 3, 224, 224))
    assert logits.shape == aux1.shape == aux2.shape == (2, 7)
    assert net.eval()(torch.randn(1, 3, 224, 224)).shape == (1, 7)  # no side heads at test time
    plain = googlenet(7, aux_logits=False).train()
    assert plain(torch.randn(1, 3, 224, 224)).shape == (1, 7)


def test_googlenet_aux_heads_add_their_parameters():
    with_aux, without = on_meta(googlenet), on_meta(googlenet, aux_logits=False)
    head = (128 * 512 + 128) + (2048 * 1024 + 1024) + (1024 * 1000 + 1000)
    head2 = head + 128 * (528 - 512)
    assert count_parameters(with_aux) - count_parameters(without) == head + head2


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
    expected = conv_params(3, 5, 3) + conv_params(5, 5, 3) + conv_params(3, 5, 1)
    assert count_parameters(block) == expected


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(in_channels=0, out_channels=4), "in_channels must be an int >= 1"),
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
    expected_naive = conv_params(192, 64, 1) + conv_params(192, 128, 3) + conv_params(192, 32, 5)
    expected_reduced = (
        conv_params(192, 64, 1)
        + conv_params(192, 96, 1) + conv_params(96, 128, 3)
        + conv_params(192, 16, 1) + conv_params(16, 32, 5)
        + conv_params(192, 32, 1)
    )  # fmt: skip
    assert count_parameters(naive) == expected_naive == 387_296
    assert count_parameters(reduced) == expected_reduced == 163_696
    x = torch.randn(1, 192, 7, 7)
    assert naive(x).shape == (1, 64 + 128 + 32 + 192, 7, 7) == (1, naive.out_channels, 7, 7)
    assert reduced(x).shape == (1, 256, 7, 7)


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="activation must be"):
        lenet5(activation="sigmoid")
    with pytest.raises(ValueError, match="groups must be 1 or 2"):
        alexnet(groups=4)
    with pytest.raises(ValueError, match="pools a 4-pixel input below 1"):
        vgg((8, "M", "M", "M"), input_size=4)
    with pytest.raises(ValueError, match="each width in config"):
        vgg((8, "X"))
    with pytest.raises(ValueError, match="stem must be"):
        resnet(stem="tiny")
    with pytest.raises(ValueError, match="of one length"):
        resnet((2, 2), (8,))


# --------------------------------------------------------------------------- #
# Multiply-adds
# --------------------------------------------------------------------------- #
def test_count_multiply_adds_by_hand():
    """LeNet-5: each conv costs H_out·W_out·K·F·F·D, each linear in·out."""
    expected = (
        28 * 28 * 6 * 5 * 5 * 1  # C1, "same" on 28 x 28
        + 10 * 10 * 16 * 5 * 5 * 6  # C3 on 14 x 14 -> 10 x 10
        + 400 * 120
        + 120 * 84
        + 84 * 10
    )
    net = lenet5()
    assert count_multiply_adds(net, (1, 28, 28)) == expected == 416_520
    assert net.training  # the mode is restored


def test_count_multiply_adds_grouped_strided_and_on_meta():
    conv = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2)
    assert count_multiply_adds(conv, (8, 10, 10)) == 5 * 5 * 16 * 9 * 4
    vgg16 = on_meta(vgg, VGG16)
    assert count_multiply_adds(vgg16, (3, 224, 224)) == 15_470_264_320  # the familiar 15.5 G
    assert count_multiply_adds(on_meta(resnet), (3, 224, 224)) == 1_814_073_344
