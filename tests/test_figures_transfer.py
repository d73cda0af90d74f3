"""Tests for course_lib.figures.transfer: the figures draw what they say."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.figures.transfer import (
    TemperatureExplorer,
    plot_accuracy_vs_labels,
    plot_domain_features,
    plot_soft_targets,
)

pytestmark = pytest.mark.ch08


def test_accuracy_vs_labels_draws_one_line_per_strategy_in_percent():
    acc = {"scratch": np.array([[0.5, 0.8], [0.6, 0.9]]), "fine-tuned": np.array([[0.7, 0.9]] * 2)}
    ax = plot_accuracy_vs_labels([1, 10], acc)
    lines = ax.get_lines()
    assert len(lines) == 2 and np.allclose(lines[0].get_ydata(), [55, 85])
    assert "%" in ax.get_ylabel() and ax.get_title()
    plt.close(ax.figure)


def test_domain_features_has_one_titled_panel_each():
    rng = np.random.default_rng(0)
    f, y = rng.normal(size=(20, 5)), rng.integers(0, 2, 20)
    fig = plot_domain_features({"before": (f, y, f + 1, y), "after": (f, y, f, y)})
    assert [ax.get_title() for ax in fig.axes] == ["before", "after"]
    plt.close(fig)


def test_soft_targets_bars_sum_to_one_per_temperature_and_explorer_updates():
    ax = plot_soft_targets(torch.tensor([5.0, 1.0, -2.0]), [1.0, 4.0])
    heights = [p.get_height() for p in ax.patches]
    assert np.isclose(sum(heights[:3]), 1) and np.isclose(sum(heights[3:]), 1)
    plt.close(ax.figure)
    explorer = TemperatureExplorer(torch.tensor([5.0, 1.0, -2.0]))
    explorer.slider.value = 10.0
    assert "T = 10.00" in explorer.summary.value
