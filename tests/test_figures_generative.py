"""Tests for course_lib.figures.generative: the figures draw what they say, the explorer reacts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.figures.generative import (
    LatentExplorer,
    plot_coverage,
    plot_elbo_terms,
    plot_gan_snapshots,
    plot_generator_gradients,
    plot_latent_grid,
    plot_latent_map,
)

pytestmark = pytest.mark.ch11


def test_latent_map_has_one_labelled_group_per_class():
    z = np.random.default_rng(0).normal(size=(30, 2))
    ax = plot_latent_map(z, np.arange(30) % 3)
    assert len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    with pytest.raises(ValueError, match=r"z must be \(n, 2\) codes"):
        plot_latent_map(np.zeros((4, 3)), np.zeros(4))
    plt.close(ax.figure)


def test_latent_grid_decodes_every_point_with_z2_upwards():
    seen = []

    def decode(z):
        seen.append(z.clone())
        return torch.sigmoid(z[:, 1:2]).expand(len(z), 4).reshape(-1, 2, 2)  # brighter for large z2

    ax = plot_latent_grid(decode, limits=(-1.0, 1.0), n=3, side=2)
    assert seen[0].shape == (9, 2)
    image = ax.images[0].get_array()
    assert image.shape == (6, 6) and image[0, 0] > image[-1, 0]  # the top row has the largest z2
    assert ax.get_xlabel() and ax.get_title()
    plt.close(ax.figure)


def test_elbo_terms_figure_has_two_panels_with_train_and_test():
    history = {
        "train_reconstruction": [3.0, 2.0],
        "test_reconstruction": [3.5, 2.5],
        "train_kl": [0.5, 1.0],
        "test_kl": [0.6, 1.1],
    }
    fig = plot_elbo_terms(history)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.lines) == 2 and ax.get_ylabel().endswith("(nats)")
    plt.close(fig)


def test_gan_snapshots_and_coverage_figures():
    runs = {
        "a": {10: np.zeros((5, 2)), 20: np.ones((5, 2))},
        "b": {10: np.zeros((5, 2)), 20: np.ones((5, 2))},
    }
    fig = plot_gan_snapshots(runs, real=np.zeros((3, 2)), centres=np.ones((2, 2)))
    assert len(fig.axes) == 4 and fig.axes[1].get_title() == "step 20"
    plt.close(fig)
    fig = plot_coverage({"run": ([100, 200], [3, 8])}, maximum=8)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "training step" and len(ax.lines) == 2  # the run and the maximum
    plt.close(fig)


def test_generator_gradient_figure_is_log_log():
    d = np.array([1e-3, 1e-2])
    fig = plot_generator_gradients(d, {"saturating": d, "non-saturating": 1 - d})
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and len(ax.lines) == 2
    plt.close(fig)


def test_latent_explorer_redraws_at_the_chosen_point():
    calls = []

    def decode(z):
        calls.append(z.clone())
        return torch.zeros(1, 3, 3)

    explorer = LatentExplorer(decode, codes=np.zeros((4, 2)), labels=np.arange(4), side=3)
    explorer.z1.value = 1.5
    assert explorer.summary.value == "z = (1.50, 0.00)"
    torch.testing.assert_close(calls[-1], torch.tensor([[1.5, 0.0]]))
    assert len(explorer._fig.axes) == 2
