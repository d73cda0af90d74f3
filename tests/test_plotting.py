"""Tests for course_lib.plotting: titles, labels, lines, images, operating points, annotations."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib import metrics
from course_lib.data import make_scores, make_xor
from course_lib.foundations import MLP
from course_lib.plotting import (
    animate_decision_boundary,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_pr_curve,
    plot_roc_curve,
    plot_softmax_temperatures,
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


# --------------------------------------------------------------------------- #
# plot_decision_boundary, animate_decision_boundary (chapter 01)
# --------------------------------------------------------------------------- #
POINTS = np.array([[-2.0, -1.0], [3.0, 0.5], [0.5, 4.0], [-1.0, 2.0]])
LABELS = np.array([0, 1, 1, 0])


def right_half(P):
    """P(class 1 | x) = sigmoid(x_1): the boundary is the vertical line x_1 = 0."""
    return 1.0 / (1.0 + np.exp(-P[:, 0]))


def pixel_centres(ax, resolution):
    x0, x1, y0, y1 = ax.images[0].get_extent()
    cells = (np.arange(resolution) + 0.5) / resolution
    return x0 + cells * (x1 - x0), y0 + cells * (y1 - y0)


@pytest.mark.ch01
def test_decision_boundary_title_labels_and_points():
    """Are the title, axis labels, colorbar label and the data points all there?"""
    ax = plot_decision_boundary(right_half, POINTS, LABELS, resolution=30)
    assert isinstance(ax, Axes)
    assert ax.get_title() == "Decision boundary"
    assert ax.get_xlabel().startswith("$x_1$") and ax.get_ylabel().startswith("$x_2$")
    assert ax.figure.axes[1].get_ylabel() == "P(class 1 | x)"  # the colorbar
    scatter = ax.collections[-1]
    np.testing.assert_array_equal(scatter.get_offsets(), POINTS)
    np.testing.assert_array_equal(scatter.get_array(), LABELS)
    assert plot_decision_boundary(right_half, POINTS, LABELS, title="XOR").get_title() == "XOR"


@pytest.mark.ch01
def test_decision_boundary_extent_covers_the_data_with_a_margin():
    """Does the image span the data plus 10 % of its range on each side, and the view too?"""
    ax = plot_decision_boundary(right_half, POINTS, LABELS, resolution=30)
    extent = ax.images[0].get_extent()
    np.testing.assert_allclose(extent, [-2.5, 3.5, -1.5, 4.5], rtol=1e-12, atol=1e-12)
    assert extent[0] < POINTS[:, 0].min() and extent[1] > POINTS[:, 0].max()
    assert extent[2] < POINTS[:, 1].min() and extent[3] > POINTS[:, 1].max()
    assert ax.get_xlim() == pytest.approx(extent[:2]) and ax.get_ylim() == pytest.approx(extent[2:])
    wide = plot_decision_boundary(right_half, POINTS, LABELS, resolution=30, margin=0.5)
    np.testing.assert_allclose(wide.images[0].get_extent(), [-4.5, 5.5, -3.5, 6.5], rtol=1e-12)


@pytest.mark.ch01
def test_decision_boundary_image_is_the_probability_at_each_pixel():
    """Is pixel (i, j) P(class 1) at its centre, with the 0.5 contour drawn at x_1 = 0?"""
    ax = plot_decision_boundary(right_half, POINTS, LABELS, resolution=40)
    image = np.asarray(ax.images[0].get_array())
    xs, _ = pixel_centres(ax, 40)
    assert image.shape == (40, 40)
    expected = right_half(np.c_[xs, np.zeros(40)])  # the same in every row
    np.testing.assert_allclose(image, np.tile(expected, (40, 1)), rtol=1e-12, atol=0)
    assert ax.images[0].origin == "lower"
    (contour,) = [c for c in ax.collections if hasattr(c, "levels")]
    assert list(contour.levels) == [0.5]
    vertices = np.concatenate([p.vertices for p in contour.get_paths()])
    np.testing.assert_allclose(vertices[:, 0], 0.0, atol=1e-3)  # interpolated between pixels


@pytest.mark.ch01
def test_decision_boundary_accepts_probability_columns_and_labels():
    """Do (n, 2) probabilities give the same picture as P(class 1), and hard labels 0/1?"""
    two_columns = plot_decision_boundary(
        lambda P: np.c_[1 - right_half(P), right_half(P)], POINTS, LABELS, resolution=20
    )
    one_column = plot_decision_boundary(right_half, POINTS, LABELS, resolution=20)
    np.testing.assert_allclose(
        two_columns.images[0].get_array(), one_column.images[0].get_array(), rtol=1e-12, atol=0
    )
    labels = plot_decision_boundary(
        lambda P: (P[:, 1] > 1).astype(int), POINTS, LABELS, resolution=20
    )
    assert set(np.unique(labels.images[0].get_array())) == {0.0, 1.0}


@pytest.mark.ch01
def test_decision_boundary_many_classes_shows_the_argmax():
    """With three classes, is each pixel the argmax class, on a colorbar with ticks 0, 1, 2?"""
    scores = lambda P: np.c_[-P[:, 0], P[:, 0], P[:, 1] - 3.0]  # noqa: E731
    ax = plot_decision_boundary(scores, POINTS, np.array([0, 1, 2, 0]), resolution=25)
    image = np.asarray(ax.images[0].get_array())
    xs, ys = pixel_centres(ax, 25)
    xx, yy = np.meshgrid(xs, ys)
    expected = np.argmax(scores(np.c_[xx.ravel(), yy.ravel()]), axis=1).reshape(25, 25)
    np.testing.assert_array_equal(image, expected)
    assert set(np.unique(image)) == {0, 1, 2}
    colorbar = ax.figure.axes[1]
    assert colorbar.get_ylabel() == "predicted class"
    assert list(colorbar.get_yticks()) == [0, 1, 2]
    assert not [c for c in ax.collections if hasattr(c, "levels")]  # no 0.5 contour


@pytest.mark.ch01
def test_decision_boundary_of_a_trained_mlp_on_xor():
    """Does an MLP trained on XOR colour the four corners by their labels?"""
    X, y = make_xor(200, random_state=0)
    net = MLP([2, 8, 2], random_state=0)
    net.fit(X, y, num_epochs=200, lr=0.5, progress=False)
    ax = plot_decision_boundary(net.predict_proba, X, y, resolution=41)
    image = np.asarray(ax.images[0].get_array())
    xs, ys = pixel_centres(ax, 41)
    for cx, cy in [(-1, -1), (-1, 1), (1, -1), (1, 1)]:
        j, i = np.argmin(np.abs(xs - cx)), np.argmin(np.abs(ys - cy))
        assert (image[i, j] > 0.5) == ((cx > 0) != (cy > 0))


@pytest.mark.ch01
def test_decision_boundary_evaluates_the_grid_once():
    """Is predict_proba called once, on resolution**2 points of shape (n, 2)?"""
    shapes = []

    def spy(P):
        shapes.append(P.shape)
        return right_half(P)

    plot_decision_boundary(spy, POINTS, LABELS, resolution=17)
    assert shapes == [(17 * 17, 2)]


@pytest.mark.ch01
@pytest.mark.parametrize(
    ("args", "kwargs", "pattern"),
    [
        ((right_half, np.zeros((4, 3)), LABELS), {}, r"X must have shape \(n_samples, 2\)"),
        ((right_half, POINTS, [0, 1]), {}, r"y must have shape \(4,\)"),
        ((lambda P: P[:5, 0], POINTS, LABELS), {}, "predict_proba must map"),
        ((right_half, POINTS, LABELS), {"resolution": 1}, "resolution must be an integer >= 2"),
        ((right_half, POINTS, LABELS), {"margin": -0.1}, "margin must be >= 0"),
    ],
)
def test_decision_boundary_validation(args, kwargs, pattern):
    """Are bad points, labels, model outputs and grid settings ValueErrors naming them?"""
    with pytest.raises(ValueError, match=pattern):
        plot_decision_boundary(*args, **kwargs)


def shifted(threshold):
    """P(class 1 | x) = sigmoid(x_1 - threshold): the boundary is the line x_1 = threshold."""
    return lambda P: 1.0 / (1.0 + np.exp(-(P[:, 0] - threshold)))


@pytest.mark.ch01
def test_animation_has_one_frame_per_snapshot():
    """One frame per snapshot, each with its epoch in the title and its own image and contour?"""
    thresholds = {0: -1.0, 5: 0.0, 10: 1.5}
    snapshots = [(epoch, shifted(t)) for epoch, t in thresholds.items()]
    anim = animate_decision_boundary(snapshots, POINTS, LABELS, resolution=20, interval=150)
    assert isinstance(anim, FuncAnimation)
    assert list(anim.new_frame_seq()) == [0, 1, 2]
    assert anim._interval == 150
    assert plt.get_fignums() == []  # the figure is closed: a notebook shows only the HTML
    fig = anim._fig  # no public accessor; the animation draws into this closed figure
    ax = fig.axes[0]
    assert ax.get_title() == "Decision boundary, epoch 0"
    for frame, (epoch, predict_proba) in enumerate(snapshots):
        anim._func(frame)  # what the writer calls for each frame
        assert ax.get_title() == f"Decision boundary, epoch {epoch}"
        reference = plot_decision_boundary(predict_proba, POINTS, LABELS, resolution=20)
        np.testing.assert_allclose(
            ax.images[0].get_array(), reference.images[0].get_array(), rtol=1e-12, atol=0
        )
        contours = [c for c in ax.collections if hasattr(c, "levels")]
        assert len(contours) == 1  # the old boundary line is removed, not stacked
        vertices = np.concatenate([p.vertices for p in contours[0].get_paths()])
        np.testing.assert_allclose(vertices[:, 0], thresholds[epoch], atol=1e-2)
    anim.to_jshtml()  # rendered, as the book does (and no warning about an unused animation)


@pytest.mark.ch01
def test_animation_renders_to_html_without_a_kernel():
    """Does to_jshtml embed exactly one image per snapshot?"""
    snapshots = [(epoch, shifted(t)) for epoch, t in [(0, -1.0), (1, 0.0), (2, 1.0), (3, 2.0)]]
    html = animate_decision_boundary(snapshots, POINTS, LABELS, resolution=10).to_jshtml()
    assert html.count("data:image/png;base64") == 4
    assert "frames[3]" in html and "frames[4]" not in html


@pytest.mark.ch01
def test_animation_rejects_no_snapshots():
    """Is an empty list of snapshots a ValueError naming snapshots?"""
    with pytest.raises(ValueError, match="snapshots must hold at least one"):
        animate_decision_boundary([], POINTS, LABELS)


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
        (([1.0, 2.0], [0.0]), {}, "T must be a finite number > 0"),
        (([1.0, 2.0], [1.0]), {"class_names": ["a"]}, "class_names must name 2 classes"),
    ],
)
def test_softmax_temperatures_validation(args, kwargs, pattern):
    """Are bad logits, temperatures and class names ValueErrors naming them?"""
    with pytest.raises(ValueError, match=pattern):
        plot_softmax_temperatures(*args, **kwargs)
