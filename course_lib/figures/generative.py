"""Figures and an explorer for chapter 11: latent maps, decoded grids, ELBO terms, GAN runs.

:class:`LatentExplorer` is the interactive twin of :func:`plot_latent_grid`: two sliders
choose a point z = (z₁, z₂) of a 2-D latent space; the decoded image and the point's
place among the codes of real digits are redrawn.

See the book: 11_generative.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.plotting import axes_or_new
from course_lib.validation import to_numpy
from course_lib.widgets import Explorer

__all__ = [
    "LatentExplorer",
    "plot_coverage",
    "plot_elbo_terms",
    "plot_gan_snapshots",
    "plot_generator_gradients",
    "plot_latent_grid",
    "plot_latent_map",
]

Decoder = Callable[[torch.Tensor], torch.Tensor]


def plot_latent_map(z: Any, labels: Any, *, ax: Axes | None = None,
                    title: str = "Codes of the test digits", size: float = 4) -> Axes:  # fmt: skip
    """Scatter 2-D codes coloured by their digit class (0–9), with a legend."""
    z, labels = to_numpy(z, "z", dtype=np.float64), to_numpy(labels, "labels")
    if z.ndim != 2 or z.shape[1] != 2 or len(z) != len(labels):
        raise ValueError(f"z must be (n, 2) codes with one label each, got {z.shape} and "
                         f"{labels.shape}")  # fmt: skip
    ax = axes_or_new(ax, figsize=(5.5, 4.8))
    colours = plt.get_cmap("tab10")
    for digit in np.unique(labels):
        chosen = labels == digit
        ax.scatter(z[chosen, 0], z[chosen, 1], s=size, color=colours(int(digit) % 10),
                   label=str(digit), alpha=0.8)  # fmt: skip
    ax.set(xlabel="$z_1$", ylabel="$z_2$", title=title)
    ax.legend(title="digit", fontsize=7, markerscale=3, loc="center left", bbox_to_anchor=(1, 0.5))
    return ax


def _grid_points(limits: tuple[float, float], n: int) -> np.ndarray:
    return np.linspace(*limits, n)


def plot_latent_grid(decode: Decoder, *, limits: tuple[float, float] = (-2.5, 2.5), n: int = 15,
                     side: int = 28, ax: Axes | None = None,
                     title: str = "Decoded images over the latent plane") -> Axes:  # fmt: skip
    """Decode an n × n grid of points z over ``limits``² and tile the images (z₂ upwards).

    ``decode`` maps a (m, 2) float32 tensor to m images of side × side pixel values.
    """
    values = _grid_points(limits, n)
    z1, z2 = np.meshgrid(values, values[::-1])  # the top row has the largest z2
    points = torch.tensor(np.c_[z1.ravel(), z2.ravel()], dtype=torch.float32)
    with torch.no_grad():
        images = to_numpy(decode(points), "decode(z)").reshape(n, n, side, side)
    tiled = images.transpose(0, 2, 1, 3).reshape(n * side, n * side)
    ax = axes_or_new(ax, figsize=(6, 6))
    half = (limits[1] - limits[0]) / (n - 1) / 2  # half a grid step: the tiles' borders
    extent = (limits[0] - half, limits[1] + half, limits[0] - half, limits[1] + half)
    ax.imshow(tiled, cmap="gray_r", extent=extent, vmin=0, vmax=1)
    ax.set(xlabel="$z_1$", ylabel="$z_2$", title=title)
    return ax


def plot_elbo_terms(
    history: Mapping[str, Sequence[float]],
    *,
    sets: Sequence[str] = ("train", "test"),
    title: str = "The two terms of −ELBO during training",
) -> Figure:
    """Two panels: the reconstruction term −E[log p(x|z)] and KL(q(z|x) ‖ p(z)) per epoch."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    panels = (("reconstruction", "reconstruction −log p(x|z) (nats)"),
              ("kl", "KL(q(z|x) ‖ p(z)) (nats)"))  # fmt: skip
    for ax, (key, ylabel) in zip(axes, panels, strict=True):
        for name in sets:
            values = history[f"{name}_{key}"]
            ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=name)
        ax.set(xlabel="epoch", ylabel=ylabel)
        ax.set_title(ylabel.split(" (")[0], fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_gan_snapshots(runs: Mapping[str, Mapping[int, Any]], *, real: Any = None,
                       centres: Any = None, limits: float = 3.0,
                       title: str = "Generator samples during training") -> Figure:  # fmt: skip
    """One row per run, one panel per training step: the generator's 2-D samples.

    ``runs[name][step]`` is an (n, 2) array of samples; ``real`` (grey) and ``centres``
    (red crosses) are drawn under every panel.
    """
    steps = list(next(iter(runs.values())))
    fig, axes = plt.subplots(len(runs), len(steps), figsize=(2.2 * len(steps), 2.4 * len(runs)),
                             squeeze=False)  # fmt: skip
    for row, (name, snapshots) in zip(axes, runs.items(), strict=True):
        for ax, step in zip(row, steps, strict=True):
            if real is not None:
                points = to_numpy(real, "real")
                ax.scatter(points[:, 0], points[:, 1], s=2, color="0.75")
            samples = to_numpy(snapshots[step], "samples")
            ax.scatter(samples[:, 0], samples[:, 1], s=2, color="tab:blue")
            if centres is not None:
                c = to_numpy(centres, "centres")
                ax.scatter(c[:, 0], c[:, 1], marker="x", color="tab:red", s=25)
            ax.set(xlim=(-limits, limits), ylim=(-limits, limits), aspect="equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"step {step}", fontsize=9)
        row[0].set_ylabel(name, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_coverage(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                  maximum: int, ylabel: str = "modes covered",
                  title: str = "Modes covered during training") -> Figure:  # fmt: skip
    """Modes (or classes) covered against the training step, one line per run."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name, (steps, values) in curves.items():
        ax.plot(steps, values, marker="o", ms=3, label=name)
    ax.axhline(maximum, color="k", ls=":", lw=1, label=f"all {maximum}")
    ax.set(xlabel="training step", ylabel=ylabel, title=title, ylim=(-0.3, maximum + 0.6))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_generator_gradients(
    d_fake: Any, gradients: Mapping[str, Any], *, title: str = "Generator gradient against D(G(z))"
) -> Figure:
    """|∂L_G/∂logit| against D(G(z)) on a log scale: σ for the saturating loss, 1 − σ otherwise.

    ``gradients[name]`` are measured magnitudes at the points ``d_fake`` (drawn as dots
    over the two formulas).
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    p = np.linspace(1e-4, 1 - 1e-4, 400)
    ax.plot(p, p, color="tab:red", label="saturating log(1 − D): |grad| = D")
    ax.plot(p, 1 - p, color="tab:blue", label="non-saturating −log D: |grad| = 1 − D")
    d_fake = to_numpy(d_fake, "d_fake", dtype=np.float64)
    for (name, values), colour in zip(gradients.items(), ("tab:red", "tab:blue"), strict=False):
        ax.scatter(d_fake, to_numpy(values, name), s=8, color=colour, alpha=0.6,
                   label=f"measured: {name}")  # fmt: skip
    ax.axvspan(0, 0.1, color="0.9", zorder=0)
    ax.text(1.3e-4, 3e-2, "D wins:\nfakes rejected", fontsize=8)
    ax.set(xscale="log", yscale="log", xlim=(1e-4, 1), ylim=(1e-4, 2),
           xlabel="D(G(z)), the discriminator's probability that a fake is real",
           ylabel="|∂L_G / ∂logit|", title=title)  # fmt: skip
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


class LatentExplorer(Explorer):
    """Two sliders for z = (z₁, z₂); the decoded image and the point among the codes.

    ``decode`` maps a (1, 2) tensor to one image of side × side pixel values; ``codes``
    and ``labels`` (optional) draw the latent map behind the moving point.

    >>> explorer = LatentExplorer(lambda z: torch.zeros(1, 4, 4), side=4)
    >>> explorer.z2.value = 1.0
    >>> explorer.summary.value
    'z = (0.00, 1.00)'
    """

    def __init__(self, decode: Decoder, *, codes: Any = None, labels: Any = None,
                 limits: tuple[float, float] = (-3.0, 3.0), side: int = 28):  # fmt: skip
        self.decode, self.side, self.limits = decode, side, limits
        self.codes = None if codes is None else to_numpy(codes, "codes", dtype=np.float64)
        self.labels = None if labels is None else to_numpy(labels, "labels")
        options = {"min": limits[0], "max": limits[1], "step": 0.05, "continuous_update": False}
        self.z1 = widgets.FloatSlider(value=0.0, description="z₁", **options)
        self.z2 = widgets.FloatSlider(value=0.0, description="z₂", **options)
        self.slider = self.z1
        self._start(0.0, figsize=(8, 3.6))

    def _controls(self) -> list[widgets.ValueWidget]:
        return [self.z1, self.z2]

    def _frame_settings(self) -> list[tuple]:
        """For the book: a 5 × 5 grid of the latent plane, every (z₁, z₂) combination."""
        grid = np.linspace(*self.limits, 5).round(2).tolist()
        return [(a, b) for a in grid for b in grid]

    def _update(self, _value: Any = None) -> None:
        z = torch.tensor([[self.z1.value, self.z2.value]], dtype=torch.float32)
        with torch.no_grad():
            image = to_numpy(self.decode(z), "decode(z)").reshape(self.side, self.side)
        self.summary.value = f"z = ({self.z1.value:.2f}, {self.z2.value:.2f})"
        self._fig.clear()
        left, right = self._fig.subplots(1, 2)
        if self.codes is not None:
            labels = self.labels if self.labels is not None else np.zeros(len(self.codes), int)
            plot_latent_map(self.codes, labels, ax=left, size=2, title="Codes of real digits")
        left.plot([z[0, 0]], [z[0, 1]], "k+", ms=18, mew=3)
        left.set(xlim=self.limits, ylim=self.limits, xlabel="$z_1$", ylabel="$z_2$")
        right.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        right.set_xticks([])
        right.set_yticks([])
        right.set_title(f"decoded at z = ({self.z1.value:.2f}, {self.z2.value:.2f})", fontsize=10)
        self._fig.tight_layout()
        self._show()
