"""A figure and an explorer for chapter 03's focal loss: what γ does to the loss and its gradient.

The curves are those of :func:`course_lib.losses.focal_loss` itself, evaluated on
two-class logits whose softmax gives the true class the probability p_t, and
differentiated by autograd: the gradient drawn is the push -∂L/∂a_t on the logit
of the true class, which is what backpropagation passes on to the network.

See the book: 03_losses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from course_lib.losses import focal_loss
from course_lib.validation import check_real, to_numpy
from course_lib.widgets import Explorer

__all__ = ["P_T", "FocalLossExplorer", "focal_loss_curve", "plot_focal_loss"]

P_T = np.linspace(0.002, 0.998, 499)  # the probabilities of the true class drawn


def focal_loss_curve(p_t: Any, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """The focal loss and the push -∂L/∂a_t on the true-class logit, as functions of p_t.

    Two logits (0, ln(p_t / (1 - p_t))) give the true class (the second) the softmax
    probability p_t; ``focal_loss`` with ``reduction="none"`` and autograd in float64
    give, per p_t,

        L = -(1 - p_t)^γ ln p_t,      -∂L/∂a_t = (1 - p_t)^γ [(1 - p_t) - γ p_t ln p_t],

    and γ = 0 is the cross-entropy: L = -ln p_t, -∂L/∂a_t = 1 - p_t.

    >>> loss, push = focal_loss_curve([0.5], 0.0)
    >>> round(float(loss[0]), 4), round(float(push[0]), 4)  # ln 2 and 1 - 0.5
    (0.6931, 0.5)

    See the book: 03_losses.
    """
    gamma = check_real(gamma, "gamma", low=0)
    p = to_numpy(p_t, "p_t", dtype=np.float64).ravel()
    if p.size == 0 or not np.all((p > 0) & (p < 1)):
        raise ValueError("p_t must hold probabilities strictly between 0 and 1")
    true_logit = torch.tensor(np.log(p) - np.log1p(-p), dtype=torch.float64, requires_grad=True)
    logits = torch.stack([torch.zeros_like(true_logit), true_logit], dim=1)  # (n, 2)
    target = torch.ones(p.size, dtype=torch.long)
    loss = focal_loss(logits, target, gamma=gamma, reduction="none")
    (gradient,) = torch.autograd.grad(loss.sum(), true_logit)
    return loss.detach().numpy(), -gradient.numpy()


def _check_gammas(gammas: Sequence[float]) -> list[float]:
    gammas = list(gammas)
    if len(gammas) == 0:
        raise ValueError("gammas must list at least one focusing parameter γ >= 0")
    return [check_real(g, "gamma", low=0) for g in gammas]


def plot_focal_loss(
    gammas: Sequence[float],
    *,
    axes: Sequence[Axes] | None = None,
    highlight: float | None = None,
) -> list[Axes]:
    """Three panels against p_t, one line per γ: the factor (1 - p_t)^γ, the loss, the push.

    The static twin of :class:`FocalLossExplorer`. ``axes`` are three axes to draw in
    (default: a new figure); ``highlight`` draws that γ bold and the others thin.

    >>> axes = plot_focal_loss([0, 2])
    >>> [len(ax.lines) for ax in axes]
    [2, 2, 2]

    See the book: 03_losses.
    """
    gammas = _check_gammas(gammas)
    if highlight is not None and highlight not in gammas:
        raise ValueError(f"highlight must be one of the gammas {gammas}, got {highlight!r}")
    if axes is None:
        axes = plt.subplots(1, 3, figsize=(15, 4))[1]
    axes = list(axes)
    if len(axes) != 3:
        raise ValueError(f"axes must be three axes (factor, loss, push), got {len(axes)}")
    ax_factor, ax_loss, ax_push = axes
    for gamma in gammas:
        loss, push = focal_loss_curve(P_T, gamma)
        label = f"γ = {gamma:g}" + (" (cross-entropy)" if gamma == 0 else "")
        style = {"lw": 2.2 if highlight is None or gamma == highlight else 1.0}
        if highlight is not None and gamma != highlight:
            style["ls"] = "--"
        ax_factor.plot(P_T, (1 - P_T) ** gamma, label=label, **style)
        ax_loss.plot(P_T, loss, label=label, **style)
        ax_push.plot(P_T, push, label=label, **style)
    ax_factor.set_ylim(0, 1.05)
    ax_factor.set_title(r"Modulating factor $(1 - p_t)^\gamma$")
    ax_factor.set_ylabel("weight of the sample's cross-entropy")
    ax_loss.set_ylim(0, 4)
    ax_loss.set_title(r"Focal loss $-(1 - p_t)^\gamma \ln p_t$")
    ax_loss.set_ylabel("loss (nats)")
    ax_push.set_ylim(0, 1.45)
    ax_push.set_title(r"Push on the true logit $-\partial L / \partial a_t$")
    ax_push.set_ylabel(r"$-\partial L / \partial a_t$")
    for ax in axes:
        ax.set_xlim(0, 1)
        ax.set_xlabel(r"probability of the true class $p_t$")
        ax.legend(fontsize=8)
    return axes


class FocalLossExplorer(Explorer):
    """A γ slider over the focal loss and its gradient, with the cross-entropy for reference.

    Parameters
    ----------
    gamma : float in [0, 5]
        Where the slider starts (the focusing parameter γ; 0 is the cross-entropy).

    Attributes
    ----------
    loss, push : arrays over ``P_T``
        The focal loss at the slider's γ and the push -∂L/∂a_t on the true logit.
    crossover : float or None
        The p_t above which the focal push is smaller than the cross-entropy's
        (``None`` at γ = 0, where they are equal).

    Examples
    --------
    >>> explorer = FocalLossExplorer(gamma=2.0)
    >>> round(explorer.crossover, 2)
    0.3
    >>> explorer.slider.value = 0.0
    >>> explorer.crossover is None
    True

    See the book: 03_losses.
    """

    GAMMA_MAX = 5.0

    def __init__(self, *, gamma: float = 2.0):
        gamma = check_real(gamma, "gamma", low=0, high=self.GAMMA_MAX)
        self.slider = widgets.FloatSlider(
            value=gamma,
            min=0.0,
            max=self.GAMMA_MAX,
            step=0.1,
            description="γ",
            continuous_update=True,
            readout_format=".1f",
            layout=widgets.Layout(width="60%"),
        )
        self.p_t = P_T
        self._ce_loss, self._ce_push = focal_loss_curve(P_T, 0.0)
        self.loss = self.push = np.empty(0)
        self.crossover: float | None = None
        self._start(gamma, figsize=(13, 3.8))

    def _update(self, gamma: float) -> None:
        self.loss, self.push = focal_loss_curve(P_T, gamma)
        if gamma == 0:
            self.crossover = None
            where = "γ = 0 is the cross-entropy itself"
        else:
            # the push is at most the cross-entropy's from the first p_t where it is below
            self.crossover = float(P_T[np.argmax(self.push < self._ce_push)])
            where = (
                f"its push on the true logit is below the cross-entropy's for "
                f"p_t &gt; {self.crossover:.2f}"
            )
        easy, hard = (1 - 0.9) ** gamma, (1 - 0.1) ** gamma
        self.summary.value = (
            f"<b>γ = {gamma:.1f}</b>: an easy sample (p_t = 0.9) keeps {100 * easy:.3g} % of its "
            f"cross-entropy, a hard one (p_t = 0.1) {100 * hard:.3g} %; {where}"
        )
        self._fig.clear()
        plot_focal_loss(
            sorted({0.0, float(gamma)}), axes=self._fig.subplots(1, 3), highlight=float(gamma)
        )
        self._fig.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.9, wspace=0.3)
        self._show()

    def _frame_settings(self) -> list[tuple]:
        """For the book's precomputed player: six values of γ, the start value among them."""
        return [(g,) for g in sorted({0.0, 0.5, 1.0, 2.0, 3.0, 5.0, float(self.slider.value)})]
