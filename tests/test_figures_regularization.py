"""Tests for course_lib.figures.regularization: the figures draw what they say."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch

from course_lib.figures.regularization import (
    augmentation_gallery,
    plot_early_stopping,
)

pytestmark = pytest.mark.ch06


def test_early_stopping_figure_marks_each_stop_and_the_best_epoch():
    history = {"epoch": [1, 2, 3, 4], "train_loss": [1.0, 0.5, 0.3, 0.2],
               "val_loss": [1.0, 0.6, 0.7, 0.9]}  # fmt: skip
    fig = plot_early_stopping(history, {"GL_5": (3, 2), "patience 2": (4, 2)})
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "GL_5: stops at epoch 3" in labels and "best epoch 2" in labels
    plt.close(fig)


def test_gallery_shows_eight_titled_panels():
    fig = augmentation_gallery(torch.rand(1, 32, 32))
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert len(titles) == 8 and titles[0] == "original"
    plt.close(fig)
