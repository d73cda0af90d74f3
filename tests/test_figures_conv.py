"""Tests for course_lib.figures.conv: filters, feature maps, window positions, the calculator.

Every figure is titled, labelled and shows what it says; the calculator follows its
sliders and reports impossible sizes instead of raising.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.patches import Rectangle

from course_lib.figures.conv import (
    ConvArithmeticCalculator,
    plot_window_positions,
    show_feature_maps,
    show_filters,
)

pytestmark = pytest.mark.ch05


def test_show_filters_and_feature_maps_draw_one_panel_each():
    fig = show_filters(torch.randn(6, 1, 3, 3), title="learned")
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 6 and fig._suptitle.get_text() == "learned"
    assert len([ax for ax in show_filters(torch.randn(4, 3, 5, 5)).axes if ax.images]) == 4
    fig = show_feature_maps(torch.rand(1, 20, 7, 7), max_maps=12)
    assert len([ax for ax in fig.axes if ax.images]) == 12
    assert "20 maps of 7 x 7" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"shape \(K, D, F, F\)"):
        show_filters(torch.randn(3, 3, 3))
    with pytest.raises(ValueError, match=r"shape \(C, H, W\)"):
        show_feature_maps(torch.randn(2, 3, 4, 4))


@pytest.mark.parametrize(("n", "f", "s", "p", "windows", "red"), [
    (7, 3, 2, 0, 3, 0), (7, 3, 3, 0, 2, 1), (8, 3, 2, 1, 4, 1), (5, 5, 1, 0, 1, 0),
])  # fmt: skip
def test_plot_window_positions_draws_the_output_size_and_the_uncovered_cells(n, f, s, p, windows,
                                                                             red):  # fmt: skip
    ax = plot_window_positions(n, f, s, p)
    patches = [r for r in ax.patches if isinstance(r, Rectangle)]
    cells = [r for r in patches if r.get_height() == 1]
    assert len(cells) == n + 2 * p
    assert len(patches) - len(cells) == windows
    uncovered = [r for r in cells if np.allclose(r.get_facecolor()[:3], (0.839, 0.153, 0.157),
                                                 atol=0.01)]  # fmt: skip
    assert len(uncovered) == red
    assert f"= {windows} positions" in ax.get_title() and ax.get_xlabel()


def test_calculator_follows_its_sliders_and_reports_impossible_sizes():
    calc = ConvArithmeticCalculator(n=28, f=5, padding=2, stride=1, d=1, k=6)
    assert calc.result == {"output": 28, "params": 156, "uncovered": 0}
    calc.sliders["stride"].value = 2
    assert calc.result["output"] == 14 and calc.result["uncovered"] == 1
    assert "floor" in calc.summary.value
    calc.sliders["n"].value, calc.sliders["padding"].value = 2, 0
    assert calc.result["output"] is None and "no position of the filter fits" in calc.summary.value
    assert len(calc.widget.children) == 4
