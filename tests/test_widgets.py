"""Tests for course_lib.widgets: ThresholdExplorer, SoftmaxTemperatureExplorer, no kernel."""

import re
from itertools import pairwise

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib import metrics
from course_lib.data import make_scores
from course_lib.schedules import SCHEDULE_NAMES, schedule_curve
from course_lib.widgets import ScheduleExplorer, SoftmaxTemperatureExplorer, ThresholdExplorer

pytestmark = pytest.mark.ch02


@pytest.fixture(scope="module")
def scores():
    return make_scores(200, positive_fraction=0.4, random_state=1)


@pytest.fixture
def explorer(scores):
    y_true, y_score = scores
    return ThresholdExplorer(y_true, y_score, threshold=0.5)


def assert_same_point(point, expected):
    assert point.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_allclose(point[key], value, rtol=1e-12, atol=0, err_msg=key)


def test_initial_point_is_threshold_metrics(explorer, scores):
    """Does the explorer start at the given threshold, with threshold_metrics' point?"""
    assert explorer.slider.value == 0.5
    assert (explorer.slider.min, explorer.slider.max) == (0.0, 1.0)
    assert_same_point(explorer.point, metrics.threshold_metrics(*scores, 0.5))


@pytest.mark.parametrize("threshold", [0.8, 0.23, 0.0, 1.0])
def test_moving_the_slider_updates_point_and_summary(explorer, scores, threshold):
    """Does setting slider.value recompute the point and show the new counts?"""
    explorer.slider.value = threshold
    expected = metrics.threshold_metrics(*scores, threshold)
    assert_same_point(explorer.point, expected)
    summary = explorer.summary.value
    assert f"threshold {threshold:.2f}" in summary
    for name in ("tp", "fp", "fn", "tn"):
        assert re.search(rf"\b{name.upper()} = {expected[name]}\b", summary), name
    assert f"F1 {expected['f1']:.3f}" in summary


def test_slider_changes_the_counts(explorer):
    """Does a higher threshold predict fewer positives (the counts really change)?"""
    low = dict(explorer.point)
    explorer.slider.value = 0.9
    high = explorer.point
    assert high["tp"] + high["fp"] < low["tp"] + low["fp"]
    assert high["tp"] + high["fn"] == low["tp"] + low["fn"]  # the positives do not move


def test_slider_redraws_the_figure(explorer, scores):
    """Is the confusion-matrix panel redrawn with the counts at the new threshold?"""
    explorer.slider.value = 0.7
    expected = metrics.threshold_metrics(*scores, 0.7)
    fig = explorer._fig  # no public accessor: the figure lives inside the Output widget
    ax_cm = fig.axes[2]
    assert ax_cm.get_title() == "Confusion matrix at threshold 0.70"
    texts = sorted(ax_cm.texts, key=lambda t: (t.get_position()[1], t.get_position()[0]))
    assert [t.get_text() for t in texts] == [str(expected[k]) for k in ("tn", "fp", "fn", "tp")]


def test_widget_assembly_and_no_stray_figure(explorer):
    """Is the widget a VBox of slider, summary and output, with no figure left open?"""
    box = explorer.widget
    assert isinstance(box, widgets.VBox)
    assert box.children == (explorer.slider, explorer.summary, explorer.output)
    assert plt.get_fignums() == []


def test_accepts_tensors(scores):
    """Do torch tensors work as input, giving the same point as arrays?"""
    y_true, y_score = scores
    from_tensors = ThresholdExplorer(
        torch.from_numpy(y_true), torch.from_numpy(y_score), threshold=0.4
    )
    assert_same_point(from_tensors.point, metrics.threshold_metrics(y_true, y_score, 0.4))


@pytest.mark.parametrize("bad", [1.2, -0.1], ids=["above-1", "below-0"])
def test_rejects_scores_outside_unit_interval(bad):
    """Are scores outside [0, 1] (logits) a ValueError naming y_score?"""
    with pytest.raises(ValueError, match=r"y_score must be probabilities in \[0, 1\]"):
        ThresholdExplorer([0, 1, 1], [0.2, bad, 0.9])


def test_rejects_bad_threshold_and_labels():
    """Are a threshold outside [0, 1] and non-binary labels rejected, naming the argument?"""
    with pytest.raises(ValueError, match="threshold must be in"):
        ThresholdExplorer([0, 1, 1], [0.2, 0.5, 0.9], threshold=1.5)
    with pytest.raises(ValueError, match="y_true"):
        ThresholdExplorer([0, 1, 2], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="y_score"):
        ThresholdExplorer([0, 1, 1], [0.2, np.nan, 0.9])


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
        (([1.0, 2.0],), {"T": 100.0}, r"T must be a number in \[0.05, 20.0\]"),
        (([1.0, 2.0],), {"T": 0.0}, r"T must be a number in \[0.05, 20.0\]"),
        (([1.0],), {}, "logits must be 1-D with at least 2 classes"),
        (([1.0, np.inf],), {}, "logits must hold finite numbers"),
        (([1.0, 2.0],), {"class_names": ["a", "b", "c"]}, "class_names must name 2 classes"),
    ],
)
def test_softmax_explorer_validation(args, kwargs, pattern):
    """Are a temperature off the slider, bad logits and bad class names rejected by name?"""
    with pytest.raises(ValueError, match=pattern):
        SoftmaxTemperatureExplorer(*args, **kwargs)


@pytest.fixture
def schedule_explorer():
    return ScheduleExplorer(epochs=40, schedule="cosine")


def _slider_params(explorer):
    params = {key: slider.value for key, slider in explorer.sliders.items()}
    return params, 0.1 * params.pop("batch_size") / 256


@pytest.mark.parametrize("name", list(SCHEDULE_NAMES))
def test_schedule_explorer_curve_follows_dropdown_and_sliders(schedule_explorer, name):
    schedule_explorer.schedule.value = name
    schedule_explorer.sliders["batch_size"].value = 1024
    schedule_explorer.sliders["gamma"].value = 0.7
    params, base_lr = _slider_params(schedule_explorer)
    assert base_lr == pytest.approx(0.4)
    np.testing.assert_allclose(schedule_explorer.lrs,
                               schedule_curve(name, 40, base_lr, **params), rtol=1e-15)
    assert name in schedule_explorer.summary.value
    for key, slider in schedule_explorer.sliders.items():
        assert slider.disabled == (key != "batch_size" and key not in SCHEDULE_NAMES[name])
    (ax,) = schedule_explorer._fig.axes
    bold = max(ax.get_lines(), key=lambda line: line.get_linewidth())
    assert bold.get_label() == name


def test_schedule_explorer_assembly_and_no_stray_figure(schedule_explorer):
    box = schedule_explorer.widget
    assert isinstance(box, widgets.VBox)
    assert box.children[0] is schedule_explorer.schedule
    assert len(box.children) == 1 + len(schedule_explorer.sliders) + 2
    assert not plt.get_fignums()


def test_schedule_explorer_validation():
    with pytest.raises(ValueError, match="epochs must be an integer in"):
        ScheduleExplorer(epochs=5)
    with pytest.raises(ValueError, match="schedule must be one of"):
        ScheduleExplorer(schedule="linear")
