"""Figures for chapter 06: early stopping on a validation curve, an augmentation gallery.

See the book: 06_regularization.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from course_lib.augment import (
    adjust_brightness,
    adjust_contrast,
    gaussian_blur,
    gaussian_noise,
    hflip,
    random_crop,
    rotate,
)
from course_lib.early_stopping import generalization_loss
from course_lib.plotting import show_images

__all__ = ["augmentation_gallery", "plot_early_stopping"]


def plot_early_stopping(
    history: Mapping[str, Sequence[float]], stops: Mapping[str, tuple[int, int]]
) -> Figure:
    """Training and validation loss with each criterion's stop epoch, and GL(t) beside them.

    ``stops`` maps a criterion's name to its ``(stop_epoch, best_epoch)``, as
    :func:`course_lib.early_stopping.stopping_epoch` returns them.
    """
    epochs = np.asarray(history["epoch"])
    fig, (ax, ax_gl) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax.plot(epochs, history["train_loss"], label="training loss $\\mathcal{L}_{tr}$")
    ax.plot(epochs, history["val_loss"], label="validation loss $\\mathcal{L}_{ev}$")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"][2:]
    for (name, (stop, _best)), color in zip(stops.items(), colors, strict=False):
        ax.axvline(stop, ls="--", color=color, label=f"{name}: stops at epoch {stop}")
    best = int(np.argmin(history["val_loss"])) + 1
    ax.plot([best], [min(history["val_loss"])], "k*", ms=12, label=f"best epoch {best}")
    ax.set(title="Losses and where each criterion stops", xlabel="epoch",
           ylabel="cross-entropy (nats)", yscale="log")  # fmt: skip
    ax.legend(fontsize=8)
    ax_gl.plot(epochs, generalization_loss(history["val_loss"]), color="C1")
    ax_gl.set(title="Generalization loss GL(t)", xlabel="epoch", ylabel="GL (%)")
    ax_gl.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def augmentation_gallery(image: torch.Tensor, *, seed: int = 0) -> Figure:
    """One image (C, H, W) in [0, 1] and seven augmented versions of it, titled."""
    g = torch.Generator().manual_seed(seed)
    side = image.shape[-1]
    versions = {
        "original": image,
        "horizontal flip": hflip(image),
        f"random crop (pad {side // 8})": random_crop(image, side, padding=side // 8, generator=g),
        "rotation 20°": rotate(image, 20.0),
        "Gaussian noise σ = 0.1": gaussian_noise(image, 0.1, generator=g),
        "brightness +0.25": adjust_brightness(image, 0.25),
        "contrast × 0.4": adjust_contrast(image, 0.4),
        "blur σ = 1 px": gaussian_blur(image, 1.0),
    }
    title = "Data augmentation on a real photograph"
    return show_images(
        list(versions.values()),
        titles=list(versions),
        ncols=4,
        size=2.6,
        same_scale=True,
        suptitle=title,
    )
