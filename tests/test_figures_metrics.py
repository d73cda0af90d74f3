"""Tests for course_lib.figures.metrics: the metric figures and the threshold explorer.

The figures must carry titles, labels, the curves and operating points they claim and
the counts of the confusion matrix; the explorer must follow its slider (no kernel).
"""

import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib import metrics
from course_lib.data import make_scores
from course_lib.figures.metrics import (
    ThresholdExplorer,
    plot_confusion_matrix,
    plot_pr_curve,
    plot_roc_curve,
    plot_threshold_panel,
)

pytestmark = pytest.mark.ch02


def cell_texts(ax):
    """The annotations of a confusion-matrix plot, as a row-major list of strings."""
    texts = sorted(ax.texts, key=lambda t: (t.get_position()[1], t.get_position()[0]))
    return [t.get_text() for t in texts]


# --------------------------------------------------------------------------- #
# plot_confusion_matrix
# --------------------------------------------------------------------------- #
def test_confusion_matrix_annotations_are_the_counts():
    """Is each cell annotated with its count, at (column, row), with labels and title?"""
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 3, 9]])
    ax = plot_confusion_matrix(cm, labels=["cat", "dog", "bird"])
    assert isinstance(ax, Axes)
    assert cell_texts(ax) == [str(v) for v in cm.ravel()]
    for text in ax.texts:  # the text at x = j, y = i shows cm[i, j]
        j, i = text.get_position()
        assert text.get_text() == str(cm[int(i), int(j)])
    assert ax.get_title() == "Confusion matrix"
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "bird"]


def test_confusion_matrix_from_metrics_round_trip():
    """Does the figure of metrics.confusion_matrix show exactly its counts?"""
    y_true, y_pred = [0, 0, 1, 1, 1, 0, 1], [0, 1, 1, 1, 0, 0, 1]
    cm = metrics.confusion_matrix(y_true, y_pred)
    ax = plot_confusion_matrix(cm)
    assert cell_texts(ax) == ["2", "1", "1", "3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]


def test_confusion_matrix_normalized_shows_share_and_count():
    """With normalize='true', does each cell show the row share and the count?"""
    cm = np.array([[3, 1], [0, 4]])
    ax = plot_confusion_matrix(cm, normalize="true", title="Recall per class")
    assert cell_texts(ax) == ["75%\n(3)", "25%\n(1)", "0%\n(0)", "100%\n(4)"]
    assert ax.get_title() == "Recall per class"
    np.testing.assert_allclose(
        ax.images[0].get_array(), [[0.75, 0.25], [0.0, 1.0]], rtol=1e-12, atol=0
    )


def test_confusion_matrix_normalize_pred_with_empty_column():
    """Does a never-predicted class give 0% (not NaN) with normalize='pred'?"""
    cm = np.array([[2, 0], [2, 0]])
    ax = plot_confusion_matrix(cm, normalize="pred")
    assert cell_texts(ax) == ["50%\n(2)", "0%\n(0)", "50%\n(2)", "0%\n(0)"]


def test_confusion_matrix_draws_on_the_given_axes():
    """Is the given Axes used (and returned), with a colorbar beside it?"""
    fig, ax = plt.subplots()
    assert plot_confusion_matrix(np.eye(2, dtype=int), ax=ax) is ax
    assert len(fig.axes) == 2  # the matrix and its colorbar


def test_confusion_matrix_large_matrix_shows_counts():
    """Are all n * n counts written for a ten-class matrix?"""
    cm = np.arange(100).reshape(10, 10)
    ax = plot_confusion_matrix(cm)
    assert cell_texts(ax) == [str(v) for v in range(100)]


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"cm": np.zeros((2, 3), dtype=int)}, r"cm must be a square matrix, got shape \(2, 3\)"),
        ({"cm": np.zeros(4, dtype=int)}, "cm must be a square matrix"),
        ({"cm": np.eye(2, dtype=int), "normalize": "rows"}, "normalize"),
        ({"cm": np.eye(2, dtype=int), "labels": ["a", "b", "c"]}, "labels must name 2 classes"),
    ],
)
def test_confusion_matrix_validation(kwargs, pattern):
    """Is a bad matrix, normalisation or label list a ValueError naming the argument?"""
    with pytest.raises(ValueError, match=pattern):
        plot_confusion_matrix(**kwargs)


# --------------------------------------------------------------------------- #
# plot_roc_curve
# --------------------------------------------------------------------------- #
ROC = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])


def test_roc_curve_lines_labels_and_title():
    """Are the curve and the chance diagonal drawn, with axis labels, title and legend?"""
    fpr, tpr, _ = ROC
    ax = plot_roc_curve(fpr, tpr, roc_auc=0.75, label="logistic")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), fpr)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), tpr)
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 1])
    assert ax.get_title() == "ROC curve"
    assert ax.get_xlabel().startswith("false positive rate")
    assert ax.get_ylabel().startswith("true positive rate")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["logistic (AUC = 0.750)", "chance (AUC = 0.5)"]


def test_roc_curve_operating_point():
    """Is the operating point drawn as one marker exactly where asked?"""
    fpr, tpr, _ = ROC
    ax = plot_roc_curve(fpr, tpr, operating_point=(0.5, 1.0), chance=False)
    assert len(ax.lines) == 2
    point = ax.lines[-1]
    assert point.get_marker() == "o"
    np.testing.assert_array_equal(point.get_xydata(), [[0.5, 1.0]])
    assert "operating point" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_roc_curve_without_chance_or_point_has_one_line():
    """Does chance=False leave only the curve?"""
    fpr, tpr, _ = ROC
    ax = plot_roc_curve(fpr, tpr, chance=False, title="Validation")
    assert len(ax.lines) == 1 and ax.get_title() == "Validation"


def test_roc_curves_share_axes():
    """Can two curves be drawn on one Axes for a comparison?"""
    fpr, tpr, _ = ROC
    ax = plot_roc_curve(fpr, tpr, chance=False)
    assert plot_roc_curve(tpr, tpr, ax=ax, chance=False) is ax
    assert len(ax.lines) == 2


@pytest.mark.parametrize(
    ("fpr", "tpr"), [([0, 0.5, 1], [0, 1]), (np.zeros((2, 2)), np.zeros((2, 2)))]
)
def test_roc_curve_validation(fpr, tpr):
    """Is fpr/tpr of different shapes (or 2-D) a ValueError naming them?"""
    with pytest.raises(ValueError, match="fpr and tpr must be 1-D of one length"):
        plot_roc_curve(fpr, tpr)


# --------------------------------------------------------------------------- #
# plot_pr_curve
# --------------------------------------------------------------------------- #
PR = metrics.precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])


def test_pr_curve_steps_baseline_and_point():
    """Are the steps, the no-skill line at the prevalence and the point all drawn?"""
    precision, recall, _ = PR
    ax = plot_pr_curve(
        precision, recall, average_precision=0.8333, prevalence=0.5, operating_point=(0.5, 1.0)
    )
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3
    curve, baseline, point = ax.lines
    assert curve.get_drawstyle() == "steps-pre"
    np.testing.assert_array_equal(curve.get_xdata(), recall)
    np.testing.assert_array_equal(curve.get_ydata(), precision)
    np.testing.assert_array_equal(baseline.get_ydata(), [0.5, 0.5])
    np.testing.assert_array_equal(point.get_xydata(), [[0.5, 1.0]])
    assert ax.get_title() == "Precision-recall curve"
    assert ax.get_xlabel().startswith("recall") and ax.get_ylabel().startswith("precision")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["classifier (AP = 0.833)", "no skill (precision = 0.50)", "operating point"]


def test_pr_curve_alone_has_one_line():
    """Without prevalence or point, is only the curve drawn?"""
    precision, recall, _ = PR
    assert len(plot_pr_curve(precision, recall).lines) == 1


def test_pr_curve_validation():
    """Is precision/recall of different lengths a ValueError naming them?"""
    with pytest.raises(ValueError, match="precision and recall must be 1-D"):
        plot_pr_curve([1.0, 0.5], [0.0, 0.5, 1.0])


# --------------------------------------------------------------------------- #
# plot_threshold_panel
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def scores():
    return make_scores(300, positive_fraction=0.3, random_state=0)


def test_threshold_panel_layout_and_title(scores):
    """Are there three panels (plus a colorbar) and a suptitle with the point's rates?"""
    y_true, y_score = scores
    fig = plot_threshold_panel(y_true, y_score, 0.6)
    point = metrics.threshold_metrics(y_true, y_score, 0.6)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    ax_roc, ax_pr, ax_cm = fig.axes[:3]
    assert ax_roc.get_title() == "ROC curve"
    assert ax_pr.get_title() == "Precision-recall curve"
    assert ax_cm.get_title() == "Confusion matrix at threshold 0.60"
    title = fig._suptitle.get_text()
    assert title.startswith("threshold = 0.60")
    assert f"TPR = {point['tpr']:.2f}" in title and f"F1 = {point['f1']:.2f}" in title


def test_threshold_panel_points_and_counts(scores):
    """Are the operating points at threshold_metrics' rates and the cells its counts?"""
    y_true, y_score = scores
    fig = plot_threshold_panel(y_true, y_score, 0.45, class_names=("healthy", "ill"))
    point = metrics.threshold_metrics(y_true, y_score, 0.45)
    ax_roc, ax_pr, ax_cm = fig.axes[:3]
    np.testing.assert_allclose(
        ax_roc.lines[-1].get_xydata(), [[point["fpr"], point["tpr"]]], rtol=1e-12, atol=0
    )
    np.testing.assert_allclose(
        ax_pr.lines[-1].get_xydata(), [[point["tpr"], point["precision"]]], rtol=1e-12, atol=0
    )
    expected = [point["tn"], point["fp"], point["fn"], point["tp"]]
    assert cell_texts(ax_cm) == [str(v) for v in expected]
    assert [t.get_text() for t in ax_cm.get_xticklabels()] == ["healthy", "ill"]
    # the no-skill line of the PR panel sits at the prevalence
    np.testing.assert_allclose(ax_pr.lines[1].get_ydata(), [y_true.mean()] * 2, rtol=1e-12, atol=0)
    # the AUC in the legend is the data's
    auc = metrics.roc_auc_score(y_true, y_score)
    assert f"AUC = {auc:.3f}" in ax_roc.get_legend().get_texts()[0].get_text()


def test_threshold_panel_reuses_the_figure(scores):
    """Does redrawing into the same figure replace the panels instead of stacking them?"""
    y_true, y_score = scores
    fig = plt.figure()
    assert plot_threshold_panel(y_true, y_score, 0.3, fig=fig) is fig
    plot_threshold_panel(y_true, y_score, 0.7, fig=fig)
    assert len(fig.axes) == 4
    assert fig.axes[2].get_title() == "Confusion matrix at threshold 0.70"


def test_threshold_panel_validates_scores():
    """Are NaN scores rejected with a message naming y_score?"""
    with pytest.raises(ValueError, match="y_score"):
        plot_threshold_panel([0, 1, 1], [0.2, np.nan, 0.9], 0.5)


@pytest.fixture(scope="module")
def explorer_scores():
    return make_scores(200, positive_fraction=0.4, random_state=1)


@pytest.fixture
def explorer(explorer_scores):
    y_true, y_score = explorer_scores
    return ThresholdExplorer(y_true, y_score, threshold=0.5)


def assert_same_point(point, expected):
    assert point.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_allclose(point[key], value, rtol=1e-12, atol=0, err_msg=key)


def test_initial_point_is_threshold_metrics(explorer, explorer_scores):
    """Does the explorer start at the given threshold, with threshold_metrics' point?"""
    assert explorer.slider.value == 0.5
    assert (explorer.slider.min, explorer.slider.max) == (0.0, 1.0)
    assert_same_point(explorer.point, metrics.threshold_metrics(*explorer_scores, 0.5))


@pytest.mark.parametrize("threshold", [0.8, 0.23, 0.0, 1.0])
def test_moving_the_slider_updates_point_and_summary(explorer, explorer_scores, threshold):
    """Does setting slider.value recompute the point and show the new counts?"""
    explorer.slider.value = threshold
    expected = metrics.threshold_metrics(*explorer_scores, threshold)
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


def test_slider_redraws_the_figure(explorer, explorer_scores):
    """Is the confusion-matrix panel redrawn with the counts at the new threshold?"""
    explorer.slider.value = 0.7
    expected = metrics.threshold_metrics(*explorer_scores, 0.7)
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


def test_accepts_tensors(explorer_scores):
    """Do torch tensors work as input, giving the same point as arrays?"""
    y_true, y_score = explorer_scores
    from_tensors = ThresholdExplorer(
        torch.from_numpy(y_true), torch.from_numpy(y_score), threshold=0.4
    )
    assert_same_point(from_tensors.point, metrics.threshold_metrics(y_true, y_score, 0.4))


@pytest.mark.parametrize("bad", [1.2, -0.1], ids=["above-1", "below-0"])
def test_rejects_scores_outside_unit_interval(bad):
    """Are explorer_scores outside [0, 1] (logits) a ValueError naming y_score?"""
    with pytest.raises(ValueError, match=r"y_score must be probabilities in \[0, 1\]"):
        ThresholdExplorer([0, 1, 1], [0.2, bad, 0.9])


def test_rejects_bad_threshold_and_labels():
    """Are a threshold outside [0, 1] and non-binary labels rejected, naming the argument?"""
    with pytest.raises(ValueError, match=r"threshold must be a number in \[0, 1\]"):
        ThresholdExplorer([0, 1, 1], [0.2, 0.5, 0.9], threshold=1.5)
    with pytest.raises(ValueError, match="y_true"):
        ThresholdExplorer([0, 1, 2], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="y_score"):
        ThresholdExplorer([0, 1, 1], [0.2, np.nan, 0.9])
