"""Tests for course_lib.figures.rnn: the figures draw what they say."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.figures.rnn import plot_forecasts, plot_gradient_norms, plot_learning_curves

pytestmark = pytest.mark.ch09


def test_gradient_norm_figure_has_one_log_line_per_model():
    fig = plot_gradient_norms({"RNN": np.logspace(-20, 0, 50), "LSTM": np.ones(50)})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    np.testing.assert_allclose(ax.lines[0].get_xdata(), np.arange(1, 51))
    plt.close(fig)


def test_forecast_and_learning_curve_figures_label_their_lines():
    fig = plot_forecasts([1, 2, 3], [0.0, 1.0, 0.5], {"AR": ([2, 3], [0.9, 0.4])}, split_year=2)
    assert fig.axes[0].get_legend_handles_labels()[1] == ["observed", "AR"]
    plt.close(fig)
    fig = plot_learning_curves({"LSTM": [(100, 0.2), (200, 0.01)]}, baseline=1 / 6)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[0] == "LSTM" and labels[1].startswith("predict the mean")
    plt.close(fig)
