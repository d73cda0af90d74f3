"""Tests for course_lib.models: shapes, parameter counts and multiply-adds of the networks.

The parameter counts are checked against the published figures of each
architecture (which torchvision's models reproduce) and against the chapter's
formula (F·F·D + 1)·K summed layer by layer.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.conv import conv_param_count
from course_lib.models import (
    VGG11,
    VGG16,
    alexnet,
    count_multiply_adds,
    count_parameters,
    googlenet,
    lenet5,
    resnet,
    vgg,
)

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
            convs, depth = convs + conv_param_count(3, depth, item), item
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


def test_mlp_matches_the_layer_sizes_and_the_seed_fixes_the_weights():
    from course_lib.models import make_mlp

    net = make_mlp(64, (120, 84), 10, seed=0)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(64, 120), (120, 84), (84, 10)]
    assert count_parameters(net) == 64 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10
    twin = make_mlp(64, (120, 84), 10, seed=0)
    for p, q in zip(net.parameters(), twin.parameters(), strict=True):
        assert torch.equal(p, q)
    assert isinstance(make_mlp(2, (3,), 1, activation=nn.Tanh)[1], nn.Tanh)
    with pytest.raises(ValueError, match="each of widths must be an integer >= 1"):
        make_mlp(2, (0,), 1)
