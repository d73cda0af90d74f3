"""Tests for course_lib.figures.losses: the focal-loss curves, their figure and the γ explorer.

The curves must be the closed forms of the focal loss and of its gradient on the true-class
logit (checked against torch's own cross-entropy and an independent autograd pass), the
figure must draw them, and the explorer must follow its slider (no kernel).
"""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from torch.nn import functional

from course_lib.figures.losses import (
    P_T,
    FocalLossExplorer,
    focal_loss_curve,
    plot_focal_loss,
)

pytestmark = pytest.mark.ch03


def closed_form(p, gamma):
    """L = -(1 - p)^γ ln p and -∂L/∂a_t = (1 - p)^γ [(1 - p) - γ p ln p], written out."""
    p = np.asarray(p, dtype=np.float64)
    loss = -((1 - p) ** gamma) * np.log(p)
    push = (1 - p) ** gamma * ((1 - p) - gamma * p * np.log(p))
    return loss, push


# --------------------------------------------------------------------------- #
# focal_loss_curve
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
def test_curve_is_the_closed_form_of_the_loss_and_its_gradient(gamma):
    """Are the loss and the push -∂L/∂a_t the closed forms, for every γ?"""
    p = np.array([0.001, 0.05, 0.3, 0.5, 0.9, 0.999])
    loss, push = focal_loss_curve(p, gamma)
    expected_loss, expected_push = closed_form(p, gamma)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(push, expected_push, rtol=1e-10, atol=1e-15)


def test_gamma_zero_is_torch_cross_entropy_and_its_gradient():
    """At γ = 0: is the loss cross_entropy per sample and the push 1 - p_t (1 - softmax)?"""
    p = np.linspace(0.01, 0.99, 25)
    logits = torch.tensor(
        np.stack([np.zeros_like(p), np.log(p / (1 - p))], 1),
        dtype=torch.float64,
        requires_grad=True,
    )
    target = torch.ones(len(p), dtype=torch.long)
    reference = functional.cross_entropy(logits, target, reduction="none")
    (grad,) = torch.autograd.grad(reference.sum(), logits)
    loss, push = focal_loss_curve(p, 0.0)
    np.testing.assert_allclose(loss, reference.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(push, -grad[:, 1].numpy(), rtol=1e-10)
    np.testing.assert_allclose(push, 1 - p, rtol=1e-10)


def test_focal_push_crosses_the_cross_entropy_once_near_0_3_for_gamma_2():
    """For γ = 2 is the push above cross-entropy's for hard samples, below it past p_t ≈ 0.298?"""
    _, ce = focal_loss_curve(P_T, 0.0)
    _, focal = focal_loss_curve(P_T, 2.0)
    below = focal < ce
    first = int(np.argmax(below))
    assert not below[:first].any() and below[first:].all()  # one crossing
    assert P_T[first] == pytest.approx(0.2976, abs=0.003)


@pytest.mark.parametrize(
    ("p_t", "gamma", "pattern"),
    [
        ([0.0, 0.5], 2.0, "p_t must hold probabilities strictly between 0 and 1"),
        ([0.5, 1.0], 2.0, "p_t must hold probabilities strictly between 0 and 1"),
        ([], 2.0, "p_t must hold probabilities strictly between 0 and 1"),
        ([0.5], -1.0, "gamma must be a number >= 0"),
        ([0.5], float("nan"), "gamma must be a number >= 0"),
    ],
)
def test_curve_validation(p_t, gamma, pattern):
    """Are probabilities outside (0, 1) and a negative γ ValueErrors naming them?"""
    with pytest.raises(ValueError, match=pattern):
        focal_loss_curve(p_t, gamma)


# --------------------------------------------------------------------------- #
# plot_focal_loss
# --------------------------------------------------------------------------- #
def test_figure_draws_factor_loss_and_push_for_every_gamma():
    """Is each panel one line per γ: (1 - p)^γ, the loss and the push, over P_T?"""
    gammas = [0, 1, 2]
    axes = plot_focal_loss(gammas)
    assert len(axes) == 3 and all(isinstance(ax, Axes) for ax in axes)
    for k, gamma in enumerate(gammas):
        expected_loss, expected_push = closed_form(P_T, gamma)
        factor, loss, push = (ax.lines[k] for ax in axes)
        np.testing.assert_allclose(factor.get_xdata(), P_T)
        np.testing.assert_allclose(factor.get_ydata(), (1 - P_T) ** gamma, rtol=1e-12)
        np.testing.assert_allclose(loss.get_ydata(), expected_loss, rtol=1e-9)
        np.testing.assert_allclose(push.get_ydata(), expected_push, rtol=1e-9, atol=1e-15)
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert labels == ["γ = 0 (cross-entropy)", "γ = 1", "γ = 2"]
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() == "probability of the true class $p_t$"
        assert ax.get_ylabel()
    plt.close("all")


def test_figure_highlight_draws_one_gamma_bold_into_given_axes():
    """With highlight, is that γ bold and solid, the others thin and dashed, in our axes?"""
    fig, given = plt.subplots(1, 3)
    axes = plot_focal_loss([0, 2], axes=given, highlight=2)
    assert list(axes) == list(given)
    reference, chosen = axes[1].lines
    assert chosen.get_linewidth() > reference.get_linewidth()
    assert reference.get_linestyle() == "--" and chosen.get_linestyle() == "-"
    plt.close(fig)


@pytest.mark.parametrize(
    ("args", "kwargs", "pattern"),
    [
        (([],), {}, "gammas must list at least one"),
        (([1, -2],), {}, "gamma must be a number >= 0"),
        (([0, 2],), {"highlight": 1}, "highlight must be one of the gammas"),
    ],
)
def test_figure_validation(args, kwargs, pattern):
    """Are an empty or negative γ list and a foreign highlight ValueErrors?"""
    with pytest.raises(ValueError, match=pattern):
        plot_focal_loss(*args, **kwargs)
    plt.close("all")


def test_figure_wants_three_axes():
    """Is a wrong number of axes refused by name?"""
    fig, given = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="axes must be three axes"):
        plot_focal_loss([2], axes=given)
    plt.close(fig)


# --------------------------------------------------------------------------- #
# FocalLossExplorer
# --------------------------------------------------------------------------- #
@pytest.fixture
def focal_explorer():
    return FocalLossExplorer(gamma=2.0)


def test_explorer_starts_at_gamma_two_on_a_slider_from_0_to_5(focal_explorer):
    """Does the explorer start at γ = 2 with that γ's curves, on a slider over [0, 5]?"""
    slider = focal_explorer.slider
    assert isinstance(slider, widgets.FloatSlider)
    assert (slider.value, slider.min, slider.max) == (2.0, 0.0, 5.0)
    expected_loss, expected_push = closed_form(P_T, 2.0)
    np.testing.assert_allclose(focal_explorer.loss, expected_loss, rtol=1e-9)
    np.testing.assert_allclose(focal_explorer.push, expected_push, rtol=1e-9, atol=1e-15)
    assert focal_explorer.crossover == pytest.approx(0.2976, abs=0.003)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 3.0, 5.0])
def test_explorer_slider_updates_curves_summary_and_figure(focal_explorer, gamma):
    """Does moving the slider recompute the curves, the crossover, the summary and the panels?"""
    focal_explorer.slider.value = gamma
    expected_loss, expected_push = closed_form(P_T, gamma)
    np.testing.assert_allclose(focal_explorer.loss, expected_loss, rtol=1e-9)
    np.testing.assert_allclose(focal_explorer.push, expected_push, rtol=1e-9, atol=1e-15)
    ce_push = 1 - P_T
    cross = focal_explorer.crossover
    assert np.all(focal_explorer.push[P_T >= cross] < ce_push[P_T >= cross])
    assert np.all(focal_explorer.push[P_T < cross] >= ce_push[P_T < cross])
    summary = focal_explorer.summary.value
    assert f"γ = {gamma:.1f}" in summary
    assert f"keeps {100 * 0.1**gamma:.3g} %" in summary
    assert f"one (p_t = 0.1) {100 * 0.9**gamma:.3g} %" in summary
    assert f"p_t &gt; {cross:.2f}" in summary
    axes = focal_explorer._fig.axes  # no public accessor: the figure lives in the Output
    assert len(axes) == 3  # redrawn, not stacked
    np.testing.assert_allclose(axes[1].lines[1].get_ydata(), expected_loss, rtol=1e-9)
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), closed_form(P_T, 0.0)[0], rtol=1e-9)


def test_explorer_at_gamma_zero_is_the_cross_entropy(focal_explorer):
    """At γ = 0 are the curves the cross-entropy's, with no crossover and one line per panel?"""
    focal_explorer.slider.value = 0.0
    np.testing.assert_allclose(focal_explorer.loss, -np.log(P_T), rtol=1e-9)
    np.testing.assert_allclose(focal_explorer.push, 1 - P_T, rtol=1e-9)
    assert focal_explorer.crossover is None
    assert "cross-entropy itself" in focal_explorer.summary.value
    assert [len(ax.lines) for ax in focal_explorer._fig.axes] == [1, 1, 1]


def test_explorer_larger_gamma_silences_easy_samples_more(focal_explorer):
    """Does raising γ lower the loss of an easy sample and move the crossover to smaller p_t?"""
    easy = int(np.argmin(np.abs(P_T - 0.9)))
    losses, crossovers = [], []
    for gamma in (0.5, 1.0, 2.0, 5.0):
        focal_explorer.slider.value = gamma
        losses.append(focal_explorer.loss[easy])
        crossovers.append(focal_explorer.crossover)
    assert losses == sorted(losses, reverse=True) and losses[-1] < 1e-5
    assert crossovers == sorted(crossovers, reverse=True)


def test_explorer_assembly_and_no_stray_figure(focal_explorer):
    """Is the widget a VBox of slider, summary and output, with no figure left open?"""
    box = focal_explorer.widget
    assert isinstance(box, widgets.VBox)
    assert box.children == (focal_explorer.slider, focal_explorer.summary, focal_explorer.output)
    focal_explorer.slider.value = 1.5
    assert plt.get_fignums() == []


@pytest.mark.parametrize("gamma", [-0.5, 5.5, float("inf")])
def test_explorer_validation(gamma):
    """Is a γ off the slider rejected by name?"""
    with pytest.raises(ValueError, match=r"gamma must be a number in \[0, 5\]"):
        FocalLossExplorer(gamma=gamma)


def test_explorer_book_frames_are_a_few_gammas_and_the_start():
    """Does the book's precomputed player get six values of γ plus the one the slider starts at?"""
    assert FocalLossExplorer(gamma=1.5)._frame_settings() == [
        (0.0,),
        (0.5,),
        (1.0,),
        (1.5,),
        (2.0,),
        (3.0,),
        (5.0,),
    ]
    assert len(FocalLossExplorer(gamma=2.0)._frame_settings()) == 6
