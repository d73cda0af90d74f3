"""Tests for course_lib.figures.trajectories: optimizer paths drawn and animated."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib import optim
from course_lib.figures.trajectories import animate_trajectories, plot_trajectories
from course_lib.trajectories import (
    quadratic,
    trajectory,
)

pytestmark = pytest.mark.ch04


def test_plot_trajectories_draws_one_line_per_path_on_contours():
    paths = {
        "SGD": trajectory(quadratic, (1.0, 1.0), torch.optim.SGD, num_steps=5, lr=0.05),
        "Adam": trajectory(quadratic, (1.0, 1.0), torch.optim.Adam, num_steps=5, lr=0.1),
    }
    ax = plot_trajectories(quadratic, paths, title="valley")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels.count("SGD") == 1 and labels.count("Adam") == 1
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), paths["SGD"][:, 0])
    assert ax.collections, "no contour lines were drawn"
    assert ax.get_title() == "valley" and ax.get_xlabel() and ax.get_ylabel()
    plt.close(ax.figure)


def test_animation_walks_every_path_to_its_end():
    paths = {
        "SGD": trajectory(quadratic, (1.5, 1.0), torch.optim.SGD, num_steps=40, lr=0.05),
        "Adam": trajectory(quadratic, (1.5, 1.0), optim.Adam, num_steps=40, lr=0.1),
    }
    anim = animate_trajectories(quadratic, paths, frames=9)
    assert not plt.get_fignums(), "the animation must not leave an open figure"
    ax = anim._fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label() in paths]
    anim._func(0)
    for line in lines:
        assert len(line.get_xdata()) == 1
    anim._func(8)  # the last frame shows the whole path
    for line, path in zip(lines, paths.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), path[:, 1])
    anim._func(4)
    assert len(lines[0].get_xdata()) == 21
    html = anim.to_jshtml()
    assert "<script" in html and "data:image/png;base64" in html


def test_animation_validation():
    with pytest.raises(ValueError, match="at least one"):
        animate_trajectories(quadratic, {})
    with pytest.raises(ValueError, match="same number of steps"):
        animate_trajectories(quadratic, {"a": np.zeros((3, 2)), "b": np.zeros((4, 2))})
    with pytest.raises(ValueError, match=r"must have shape \(steps, 2\)"):
        animate_trajectories(quadratic, {"a": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="frames must be an integer >= 1"):
        animate_trajectories(quadratic, {"a": np.zeros((3, 2))}, frames=0)
