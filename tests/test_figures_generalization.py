"""Tests for course_lib.figures.generalization: titles, labels, what is drawn, the explorer."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.data import make_squares
from course_lib.figures.generalization import (
    CorruptionExplorer,
    plot_corruption_curves,
    plot_squares,
    plot_squares_regions,
)
from course_lib.generalization import squares_mlp

pytestmark = pytest.mark.ch07


def test_plot_squares_draws_both_classes_and_both_boxes():
    """Two scatter sets (one per class), two outlined squares, labelled axes."""
    X, y = make_squares(100)
    ax = plot_squares(X, y, title="train")
    assert ax.get_title() == "train" and ax.get_xlabel() == "$x_1$"
    assert len(ax.collections) == 2 and len(ax.patches) == 2
    plt.close("all")


def test_plot_squares_regions_colours_by_probability():
    """Is the image the model's σ(z) on a grid, in [0, 1], with the boxes drawn?"""
    torch.manual_seed(0)
    model = squares_mlp(num_hiddens=8, num_layers=1)
    ax = plot_squares_regions(model, resolution=20, title="regions")
    image = ax.images[0].get_array()
    assert image.shape == (20, 20) and 0 <= image.min() and image.max() <= 1
    assert len(ax.patches) == 2 and ax.get_title() == "regions"
    plt.close("all")


def test_plot_corruption_curves_one_panel_per_kind():
    fig = plot_corruption_curves({"noise": [0, 0.5], "blur": [0, 1]}, {"noise": [0.9, 0.5],
                                 "blur": [0.9, 0.7]}, units={"noise": "σ", "blur": "px"},
                                 chance=0.1)  # fmt: skip
    axes = fig.axes
    assert len(axes) == 2 and axes[0].get_ylabel() == "test accuracy"
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), [0.9, 0.7])
    plt.close("all")


def test_corruption_explorer_follows_its_controls():
    """Does changing the kind and the strength index update the summary with the measured value?"""
    strengths = {"blur": [0.0, 1.0, 2.0], "noise": [0.0, 0.4]}
    accuracies = {"blur": [0.9, 0.6, 0.3], "noise": [0.9, 0.2]}
    explorer = CorruptionExplorer(torch.rand(2, 1, 28, 28), strengths, accuracies,
                                  units={"blur": "px", "noise": "σ"})  # fmt: skip
    explorer.slider.value = 2
    assert "accuracy 30.0%" in explorer.summary.value
    explorer.kind.value = "noise"
    assert explorer.slider.max == 1 and "noise" in explorer.summary.value
    plt.close("all")
