"""Figures and an explorer for chapter 12: an image, its perturbation and what the model sees.

:func:`plot_attack` draws one attacked image as three panels (the original with its
prediction, the perturbation δ = x' − x on a symmetric colour scale, the adversarial
image with its prediction) and the two probability vectors; :class:`AttackExplorer` is its
interactive twin, with a slider over the budgets ε at which the attack was computed and
one over the examples.

See the book: 12_adversarial.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from course_lib.validation import to_numpy
from course_lib.widgets import Explorer

__all__ = ["AttackExplorer", "plot_attack"]


def _image(x: Any) -> np.ndarray:
    array = to_numpy(x, "x").astype(float)
    return array.reshape(array.shape[-2:]) if array.ndim > 2 else array


def plot_attack(
    x: Any,
    x_adv: Any,
    probabilities: Any,
    adversarial_probabilities: Any,
    *,
    label: int,
    title: str | None = None,
    figure: Figure | None = None,
) -> Figure:
    """Original, perturbation and adversarial image, and the class probabilities of both.

    Parameters
    ----------
    x, x_adv : (H, W) or (1, H, W) images in [0, 1]
    probabilities, adversarial_probabilities : (K,) the model's output on each
    label : the true class
    """
    fig = figure if figure is not None else plt.figure(figsize=(10, 2.8))
    fig.clear()
    original, attacked = _image(x), _image(x_adv)
    p, q = to_numpy(probabilities, "probabilities"), to_numpy(adversarial_probabilities, "q")
    delta = attacked - original
    bound = max(float(np.abs(delta).max()), 1e-12)
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
    panels = (
        (original, "gray", 0.0, 1.0, f"original: {int(p.argmax())} ({p.max():.0%})"),
        (delta, "seismic", -bound, bound, f"δ = x' − x, max |δ| = {np.abs(delta).max():.2f}"),
        (attacked, "gray", 0.0, 1.0, f"adversarial: {int(q.argmax())} ({q.max():.0%})"),
    )
    for ax, (image, cmap, low, high, text) in zip(axes[:3], panels, strict=True):
        ax.imshow(image, cmap=cmap, vmin=low, vmax=high)
        ax.set_title(text, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    classes = np.arange(len(p))
    axes[3].bar(classes - 0.2, p, width=0.4, label="original")
    axes[3].bar(classes + 0.2, q, width=0.4, label="adversarial", color="tab:red")
    axes[3].axvline(label, color="k", lw=0.8, ls=":")
    axes[3].set_xticks(classes)
    axes[3].set_xlabel(f"class (true: {label})")
    axes[3].set_ylabel("probability")
    axes[3].set_ylim(0, 1.02)
    axes[3].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


class AttackExplorer(Explorer):
    """Slide ε (and the example): the image, the perturbation and the predictions redrawn.

    ``adversarials[i]`` holds the attacked images at budget ``epsilons[i]`` and
    ``probabilities[i]`` the model's outputs on them; ``clean_probabilities`` are the
    outputs on ``images``. Every position of the sliders shows a computed attack.

    >>> images = torch.rand(2, 1, 4, 4)
    >>> clean = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    >>> explorer = AttackExplorer(images, torch.tensor([0, 1]), [0.0, 0.1],
    ...                           [images, (images + 0.1).clamp(0, 1)],
    ...                           [clean, torch.tensor([[0.3, 0.7], [0.1, 0.9]])], clean)
    >>> explorer.slider.value = 1
    >>> explorer.summary.value
    'ε = 0.1: example 0, true 0, predicted 1 (70%), fooled 1 of 2 examples'
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        epsilons: Sequence[float],
        adversarials: Sequence[torch.Tensor],
        probabilities: Sequence[torch.Tensor],
        clean_probabilities: torch.Tensor,
    ):
        if not (len(epsilons) == len(adversarials) == len(probabilities)):
            raise ValueError(
                "epsilons, adversarials and probabilities must have one entry per ε, "
                f"got {len(epsilons)}, {len(adversarials)}, {len(probabilities)}"
            )
        self.images, self.labels = images.detach().cpu(), labels.detach().cpu()
        self.epsilons = [float(e) for e in epsilons]
        self.adversarials = [a.detach().cpu() for a in adversarials]
        self.probabilities = [p.detach().cpu() for p in probabilities]
        self.clean = clean_probabilities.detach().cpu()
        self.slider = widgets.IntSlider(
            value=0, min=0, max=len(epsilons) - 1, description="ε index", continuous_update=False
        )
        self.example = widgets.IntSlider(
            value=0, min=0, max=len(images) - 1, description="example", continuous_update=False
        )
        self._start(0, figsize=(10, 2.8))

    def _controls(self) -> list[widgets.ValueWidget]:
        return [self.slider, self.example]

    def _update(self, _value: Any = None) -> None:
        i, k = self.slider.value, self.example.value
        epsilon, q = self.epsilons[i], self.probabilities[i]
        label = int(self.labels[k])
        fooled = int((q.argmax(dim=1) != self.labels).sum())
        self.summary.value = (
            f"ε = {epsilon:g}: example {k}, true {label}, predicted {int(q[k].argmax())} "
            f"({float(q[k].max()):.0%}), fooled {fooled} of {len(self.labels)} examples"
        )
        plot_attack(
            self.images[k],
            self.adversarials[i][k],
            self.clean[k],
            q[k],
            label=label,
            title=f"ε = {epsilon:g}",
            figure=self._fig,
        )
        self._show()
