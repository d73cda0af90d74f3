"""Tests for course_lib.widgets.ThresholdExplorer, driven without a kernel."""

import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib import metrics
from course_lib.data import make_scores
from course_lib.widgets import ThresholdExplorer

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
