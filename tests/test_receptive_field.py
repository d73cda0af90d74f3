"""Tests for course_lib.receptive_field: the recurrence against the measured field.

The formula is compared with the receptive field measured from input gradients on
stacks of convolutions and pooling layers; bad layers must raise a clear error.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.conv import (
    conv_param_count,
)
from course_lib.receptive_field import measured_receptive_field, receptive_field

pytestmark = [
    pytest.mark.ch05,
    # torch's own padding="same" with an even kernel pads a copy; it says so once
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning"),
]


# --------------------------------------------------------------------------- #
# Receptive field
# --------------------------------------------------------------------------- #
def gradient_extent(net: nn.Module, size: int = 61) -> int:
    """Rows of the input with a non-zero gradient of the central output unit.

    Positive weights and inputs keep every path alive; nets here use average
    pooling, so no element of a window is ignored.
    """
    net = net.double()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.uniform_(0.5, 1.5).div_(m.weight[0].numel())  # no tanh saturates
                if m.bias is not None:
                    m.bias.zero_()
    x = torch.rand(1, 1, size, size, dtype=torch.float64) + 0.5
    x.requires_grad_(True)
    y = net(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    assert 0 < rows[0] and rows[-1] < size - 1, "raise size: the field reaches the border"
    return int(rows[-1] - rows[0] + 1)


STACKS = {
    "one 3x3": [nn.Conv2d(1, 1, 3)],
    "two 3x3 (= one 5x5)": [nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 1, 3)],
    "one 5x5": [nn.Conv2d(1, 1, 5)],
    "three 3x3 (= one 7x7)": [nn.Conv2d(1, 1, 3)] * 1 + [nn.Conv2d(1, 1, 3, padding=1)] * 2,
    "stride 2 then 3x3": [nn.Conv2d(1, 2, 3, stride=2), nn.Conv2d(2, 1, 3)],
    "LeNet-5 features": [
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 1, 5),
        nn.AvgPool2d(2),
    ],
    "VGG-like, BN": [
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1),
        nn.AvgPool2d(2), nn.Conv2d(4, 1, 3, padding=1),
    ],
    "dilated 3x3, d = 2": [nn.Conv2d(1, 1, 3, dilation=2), nn.Conv2d(1, 1, 3)],
    "pool 3 stride 2": [nn.Conv2d(1, 1, 3), nn.AvgPool2d(3, 2), nn.Conv2d(1, 1, 3, stride=2),
                        nn.Conv2d(1, 1, 3)],
}  # fmt: skip


@pytest.mark.parametrize("name", list(STACKS))
def test_receptive_field_equals_the_measured_one(name):
    """Does the r_l = r_(l-1) + (F - 1) j_(l-1) recursion give the measured extent?"""
    torch.manual_seed(0)
    net = nn.Sequential(*STACKS[name]).eval()
    expected = gradient_extent(net)
    assert receptive_field(STACKS[name]) == expected
    assert receptive_field([net]) == expected  # a Sequential is unrolled
    assert measured_receptive_field(net) == expected


def test_two_3x3_see_what_one_5x5_sees_with_fewer_parameters():
    three = [nn.Conv2d(8, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3)]
    five = [nn.Conv2d(8, 8, 5)]
    assert receptive_field(three) == receptive_field(five) == 5
    assert 2 * conv_param_count(3, 8, 8) < conv_param_count(5, 8, 8)  # 2 (9·8+1)·8 = 1168 < 1608


def test_receptive_field_tuples_and_errors():
    assert receptive_field([(3, 1), (2, 2), (3, 1), (3, 1, 2)]) == 16
    assert receptive_field([]) == 1
    with pytest.raises(TypeError, match="receptive_field takes Conv2d"):
        receptive_field([nn.Linear(3, 3)])
    with pytest.raises(ValueError, match="square layers only"):
        receptive_field([nn.Conv2d(1, 1, (3, 5))])
    with pytest.raises(ValueError, match="kernel_size must be an integer >= 1"):
        receptive_field([(0, 1)])
    with pytest.raises(ValueError, match="raise input_size"):
        measured_receptive_field(nn.Sequential(nn.Conv2d(1, 1, 9)), input_size=9)
