"""Tests for course_lib.figures.activations: softmax bars and the temperature explorer.

The bars must be the probabilities softmax(h / T) (checked against torch.softmax) and the
explorer must follow its slider (no kernel).
"""

from itertools import pairwise

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes

from course_lib.figures.activations import SoftmaxTemperatureExplorer, plot_softmax_temperatures

pytestmark = pytest.mark.ch01


# --------------------------------------------------------------------------- #
# plot_softmax_temperatures (chapter 01)
# --------------------------------------------------------------------------- #
@pytest.mark.ch01
def test_softmax_temperatures_bars_are_the_probabilities():
    """Is each bar softmax(logits / T) of its class, one colour and legend entry per T?"""
    logits, temperatures = np.array([2.0, 1.0, 0.1, -1.0]), [0.5, 1.0, 5.0]
    ax = plot_softmax_temperatures(logits, temperatures, class_names=["a", "b", "c", "d"])
    assert isinstance(ax, Axes)
    assert len(ax.patches) == 12
    for j, container in enumerate(ax.containers):
        heights = [bar.get_height() for bar in container]
        expected = torch.softmax(torch.from_numpy(logits) / temperatures[j], dim=0).numpy()
        np.testing.assert_allclose(heights, expected, rtol=1e-12, atol=0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 0.5", "T = 1", "T = 5"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert ax.get_title() == "Softmax with temperature"
    assert ax.get_xlabel() == "class" and ax.get_ylabel().startswith("probability")
    assert ax.get_ylim() == (0.0, 1.05)


@pytest.mark.ch01
def test_softmax_temperatures_bars_of_a_class_sit_together():
    """Are the bars of one class side by side around its tick, without overlapping?"""
    ax = plot_softmax_temperatures([1.0, 0.0], [0.5, 2.0])
    first, second = ax.containers
    for k in range(2):
        left, right = first[k], second[k]
        assert left.get_x() + left.get_width() == pytest.approx(right.get_x())
        assert (left.get_x() + right.get_x() + right.get_width()) / 2 == pytest.approx(k)


@pytest.mark.ch01
@pytest.mark.parametrize(
    ("args", "kwargs", "pattern"),
    [
        (([[1.0, 2.0]], [1.0]), {}, "logits must be 1-D with at least 2 classes"),
        (([1.0], [1.0]), {}, "logits must be 1-D with at least 2 classes"),
        (([1.0, np.nan], [1.0]), {}, "logits must hold finite numbers"),
        (([1.0, 2.0], []), {}, "temperatures must list at least one"),
        (([1.0, 2.0], [0.0]), {}, "T must be a number > 0"),
        (([1.0, 2.0], [1.0]), {"class_names": ["a"]}, "class_names must name 2 classes"),
    ],
)
def test_softmax_temperatures_validation(args, kwargs, pattern):
    """Are bad logits, temperatures and class names ValueErrors naming them?"""
    with pytest.raises(ValueError, match=pattern):
        plot_softmax_temperatures(*args, **kwargs)


# --------------------------------------------------------------------------- #
# SoftmaxTemperatureExplorer (chapter 01)
# --------------------------------------------------------------------------- #
LOGITS = np.array([2.0, 1.0, 0.1, -1.5])


def torch_softmax(logits, T):
    return torch.softmax(torch.from_numpy(np.asarray(logits)) / T, dim=0).numpy()


@pytest.fixture
def softmax_explorer():
    return SoftmaxTemperatureExplorer(LOGITS, T=1.0, class_names=["cat", "dog", "bird", "fish"])


@pytest.mark.ch01
def test_softmax_explorer_starts_at_softmax_of_the_logits(softmax_explorer):
    """Does the explorer start at T = 1 with softmax(logits), on a log slider from 0.05 to 20?"""
    slider = softmax_explorer.slider
    assert isinstance(slider, widgets.FloatLogSlider)
    assert slider.value == 1.0 and slider.base == 10
    assert slider.min == pytest.approx(np.log10(0.05)) and slider.max == pytest.approx(np.log10(20))
    np.testing.assert_allclose(
        softmax_explorer.probabilities, torch_softmax(LOGITS, 1.0), rtol=1e-12, atol=0
    )


@pytest.mark.ch01
@pytest.mark.parametrize("T", [0.05, 0.2, 3.0, 20.0])
def test_softmax_explorer_slider_updates_probabilities_summary_and_bars(softmax_explorer, T):
    """Does moving the slider recompute softmax(logits, T), the summary and the bars?"""
    softmax_explorer.slider.value = T
    T = softmax_explorer.slider.value  # the value the slider settled on
    expected = torch_softmax(LOGITS, T)
    np.testing.assert_allclose(softmax_explorer.probabilities, expected, rtol=1e-12, atol=0)
    summary = softmax_explorer.summary.value
    assert f"T = {T:.2f}" in summary and f"largest probability {expected.max():.3f}" in summary
    assert "(cat)" in summary
    ax = softmax_explorer._fig.axes[0]  # no public accessor: the figure lives in the Output
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], expected, rtol=1e-12)
    assert ax.get_title() == f"softmax(h / T) at T = {T:.2f}"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird", "fish"]


@pytest.mark.ch01
def test_softmax_explorer_higher_temperature_flattens(softmax_explorer):
    """Does raising T lower the largest probability and raise the entropy towards log k?"""
    maxima = []
    for T in (0.1, 0.5, 1.0, 4.0, 16.0):
        softmax_explorer.slider.value = T
        maxima.append(softmax_explorer.probabilities.max())
    assert all(a > b for a, b in pairwise(maxima))
    assert maxima[0] > 0.99 and maxima[-1] < 0.35


@pytest.mark.ch01
def test_softmax_explorer_assembly_and_no_stray_figure(softmax_explorer):
    """Is the widget a VBox of slider, summary and output, with one redrawn axes, no open figure?"""
    box = softmax_explorer.widget
    assert isinstance(box, widgets.VBox)
    assert box.children == (
        softmax_explorer.slider,
        softmax_explorer.summary,
        softmax_explorer.output,
    )
    softmax_explorer.slider.value = 2.0
    assert len(softmax_explorer._fig.axes) == 1  # redrawn, not stacked
    assert plt.get_fignums() == []


@pytest.mark.ch01
def test_softmax_explorer_accepts_tensors_and_default_names():
    """Do tensor logits work, with the classes named 0, 1, ... by default?"""
    explorer = SoftmaxTemperatureExplorer(torch.tensor([0.5, -0.5]), T=0.5)
    np.testing.assert_allclose(
        explorer.probabilities, torch_softmax([0.5, -0.5], 0.5), rtol=1e-6, atol=0
    )
    labels = [t.get_text() for t in explorer._fig.axes[0].get_xticklabels()]
    assert labels == ["0", "1"]


@pytest.mark.ch01
@pytest.mark.parametrize(
    ("args", "kwargs", "pattern"),
    [
        (([1.0, 2.0],), {"T": 100.0}, r"T must be a number in \[0.05, 20\]"),
        (([1.0, 2.0],), {"T": 0.0}, r"T must be a number in \[0.05, 20\]"),
        (([1.0],), {}, "logits must be 1-D with at least 2 classes"),
        (([1.0, np.inf],), {}, "logits must hold finite numbers"),
        (([1.0, 2.0],), {"class_names": ["a", "b", "c"]}, "class_names must name 2 classes"),
    ],
)
def test_softmax_explorer_validation(args, kwargs, pattern):
    """Are a temperature off the slider, bad logits and bad class names rejected by name?"""
    with pytest.raises(ValueError, match=pattern):
        SoftmaxTemperatureExplorer(*args, **kwargs)
