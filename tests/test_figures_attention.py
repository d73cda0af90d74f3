"""Tests for course_lib.figures.attention: the figures draw what they say, the explorer updates."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.figures.attention import (
    AttentionExplorer,
    Translation,
    plot_accuracy_by_bucket,
    plot_attention_cost,
    plot_attention_grid,
    plot_attention_matrix,
    plot_exact_match_curves,
    plot_masks,
    plot_position_accuracy,
    plot_score_distributions,
    plot_softmax_saturation,
    plot_source_lengths,
)

pytestmark = pytest.mark.ch10


def translation(source="22/11/26", predicted="2026-11-22", target="2026-11-22"):
    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.ones(len(source)), size=len(predicted) + 1)
    return Translation(source, target, predicted, weights)


def test_attention_matrix_labels_rows_with_the_output_and_columns_with_the_source():
    tr = translation("22 nov 2026")
    ax = plot_attention_matrix(tr.weights, tr.source, tr.predicted)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("22␣nov␣2026")
    assert [t.get_text() for t in ax.get_yticklabels()] == [*tr.predicted, "<eos>"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    np.testing.assert_allclose(ax.images[0].get_array(), tr.weights)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="one column per source character"):
        plot_attention_matrix(tr.weights, "22", tr.predicted)


def test_attention_grid_marks_wrong_translations_and_hides_empty_panels():
    fig = plot_attention_grid([translation(), translation(predicted="2026-11-21")], ncols=3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.images]
    assert len(titles) == 2 and "✓" in titles[0] and "true 2026-11-22" in titles[1]
    plt.close(fig)


def test_explorer_redraws_the_chosen_translation():
    explorer = AttentionExplorer([translation(), translation("1/2/50", "1950-02-01", "1950-02-01"),
                                  translation("3/4/26", "2026-04-04", "2026-04-03")])  # fmt: skip
    assert "2026-11-22" in explorer.summary.value and "right" in explorer.summary.value
    explorer.slider.value = 2
    assert "wrong (true: 2026-04-03)" in explorer.summary.value
    frames = explorer.frames()
    assert len(frames["frames"]) == 3 and len(frames["summaries"]) == 3
    with pytest.raises(ValueError, match="translations"):
        AttentionExplorer([])


def test_curves_bars_and_positions_are_in_percent():
    ax = plot_exact_match_curves({"a": ([25, 50], [0.1, 0.9])})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [10, 90])
    assert "%" in ax.get_ylabel()
    plt.close(ax.figure)
    ax = plot_accuracy_by_bucket(["6–9", "10–15"], {"x": [0.5, 1.0], "y": [0.25, 0.75]})
    assert sorted(p.get_height() for p in ax.patches) == [25, 50, 75, 100]
    plt.close(ax.figure)
    ax = plot_position_accuracy({"m": np.linspace(0, 1, 10)})
    assert [t.get_text() for t in ax.get_xticklabels()] == list("YYYY-MM-DD")
    assert len(ax.patches) == 10 and ax.get_legend() is not None
    plt.close(ax.figure)


def test_lengths_scores_saturation_masks_and_cost_figures():
    ax = plot_source_lengths({"short": [8, 8, 9], "full": [30, 31]})
    assert sum(p.get_height() for p in ax.patches[:3]) == 3 and ax.get_title()
    plt.close(ax.figure)
    e = np.array([1.0, -1.0, 3.0])
    fig = plot_score_distributions(["h1", "h2", "h3"], {"dot": (e, np.exp(e) / np.exp(e).sum())})
    assert fig.axes[0].get_title() == "dot" and len(fig.axes[0].patches) == 3
    plt.close(fig)
    ax = plot_softmax_saturation([4, 16], {"unscaled": [0.3, 0.6]}, ylabel="w", title="t")
    assert ax.get_xscale() == "log" and ax.get_title() == "t"
    plt.close(ax.figure)
    fig = plot_masks({"causal": np.tril(np.ones((3, 3))), "weights": np.eye(3)})
    assert [a.get_title() for a in fig.axes[:2]] == ["causal", "weights"]
    plt.close(fig)
    fig = plot_attention_cost([256, 512], {"explicit": [0.001, 0.004]},
                              {"explicit": [2**20, 4 * 2**20]})  # fmt: skip
    time_ax, memory_ax = fig.axes
    np.testing.assert_allclose(time_ax.lines[0].get_ydata(), [1.0, 4.0])  # milliseconds
    np.testing.assert_allclose(memory_ax.lines[0].get_ydata(), [1.0, 4.0])  # MiB
    assert time_ax.get_xscale() == memory_ax.get_yscale() == "log"
    plt.close(fig)
