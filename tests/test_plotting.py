"""Tests for course_lib.plotting: image grids, training histories, decision boundaries.

Every figure must carry its title and labels and show what it claims: the images and
their colour ranges, one line per run and history key, the probability at each pixel.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes

from course_lib.data import make_xor
from course_lib.mlp import MLP
from course_lib.plotting import (
    HISTORY_LABELS,
    animate_decision_boundary,
    panel_grid,
    plot_decision_boundary,
    plot_histories,
    show_images,
)

pytestmark = [pytest.mark.ch01, pytest.mark.ch05]


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
        (
            (right_half, POINTS, LABELS),
            {"margin": -0.1},
            r"margin \(a fraction of the data's span\) must be a number >= 0",
        ),
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


def test_show_images_titles_channels_first_and_symmetric_colours():
    images = [np.zeros((5, 5)), torch.rand(3, 6, 6), torch.rand(1, 4, 4), np.full((6, 6, 3), 0.5)]
    fig = show_images(images, titles=list("abcd"), suptitle="four images")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["a", "b", "c", "d"] and fig._suptitle.get_text() == "four images"
    assert fig.axes[1].images[0].get_array().shape == (6, 6, 3)  # moved to channels last
    fig = show_images([np.array([[-2.0, 1.0]])], symmetric=True)
    assert fig.axes[0].images[0].get_clim() == (-2.0, 2.0)  # centred on zero
    fig = show_images([np.array([[-2.0, 1.0]])] * 2, symmetric=[False, True])
    drawn = [ax for ax in fig.axes if ax.images]
    assert drawn[0].images[0].get_clim() == (-2.0, 1.0) and drawn[1].images[0].get_clim()[0] == -2
    fig = show_images([np.zeros((2, 2)), np.full((2, 2), 4.0)], same_scale=True)
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(0.0, 4.0), (0.0, 4.0)]
    with pytest.raises(ValueError, match="one per image"):
        show_images(images, symmetric=[True])
    with pytest.raises(ValueError, match="one entry per image"):
        show_images(images, titles=["a"])
    with pytest.raises(ValueError, match="images is empty"):
        show_images([])


def test_plot_histories_draws_every_run_in_every_panel():
    histories = {
        "plain": {"epoch": [1, 2], "train_loss": [2.0, 1.5], "val_accuracy": [0.3, 0.4]},
        "residual": {"epoch": [1, 2], "train_loss": [1.0, 0.2], "val_accuracy": [0.8, 0.9]},
    }
    fig = plot_histories(histories)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.lines) == 2 and ax.get_xlabel() == "epoch" and ax.get_ylabel()
    assert fig.axes[0].get_title() == "Training loss per epoch"
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), [0.8, 0.9])
    with pytest.raises(KeyError, match="has no 'val_loss'"):
        plot_histories(histories, keys=("val_loss",))


def test_plot_histories_labels_every_key_of_a_training_history():
    """Does every history key get a title and a unit: val_* "validation", test_* "test"?"""
    keys = tuple(HISTORY_LABELS)
    assert set(keys) >= {
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "test_loss",
        "test_accuracy",
        "full_loss",
        "lr",
        "seconds",
        "updates",
    }
    history = {key: [1.0, 0.5] for key in keys}
    fig = plot_histories({"run": history}, keys=keys)
    titles = {key: ax.get_title() for key, ax in zip(keys, fig.axes, strict=True)}
    assert titles["val_loss"] == "Validation loss per epoch"
    assert titles["test_accuracy"] == "Test accuracy per epoch"
    for key, ax in zip(keys, fig.axes, strict=True):
        assert ax.get_ylabel() and ax.get_ylabel() != key, key


def test_panel_grid_hides_the_unused_panels():
    """Does a grid for 10 panels in rows of 4 hide the last 2 of its 12 axes?"""
    fig, axes = panel_grid(10, ncols=4, size=1.0)
    assert len(axes) == 10 and len(fig.axes) == 12
    assert [ax.axison for ax in fig.axes[10:]] == [False, False]


def test_plot_histories_draws_log_panels_and_stops_a_diverged_run():
    histories = {
        "stable": {"epoch": [1, 2, 3], "full_loss": [2.0, 1.0, 0.5], "test_accuracy": [0.5] * 3},
        "diverged": {"epoch": [1, 2, 3], "full_loss": [2.0, float("inf"), float("nan")],
                     "test_accuracy": [0.1] * 3},
    }  # fmt: skip
    fig = plot_histories(histories, keys=("full_loss", "test_accuracy"), log_keys=("full_loss",))
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"
    drawn = fig.axes[0].lines[1].get_ydata()
    assert drawn[0] == 2.0 and np.isnan(drawn[1]) and np.isnan(drawn[2])
    with pytest.raises(ValueError, match="log_keys must be among keys"):
        plot_histories(histories, keys=("test_accuracy",), log_keys=("full_loss",))
