"""Generalization measured: the squares experiment, corruptions, equivariance, high dimensions.

- The two-dimensional **squares experiment** of seed 004: an MLP with 4 hidden ReLU
  layers of 256 units and a sigmoid output, trained with the negative log-likelihood
  (binary cross-entropy), batch 128, Adam, learning rate 1e-4, on points of
  :func:`course_lib.data.make_squares`; :func:`squares_experiment` returns the
  in-distribution and out-of-distribution accuracy of every (training size, seed).
- **Corruptions** for intra-domain tests: chapter 06's augmentations
  (:mod:`course_lib.augment`) indexed by a strength that is 0 for the clean image.
- **Equivariance**: ``f(g ▷ x) = g ▷ f(x)``, measured as a relative error; invariance is
  the case where ``g`` acts on the output as the identity.
- **The curse of dimensionality**: the volume of the ball against the cube, the shell
  that holds a ball's volume, and distances that concentrate.

>>> round(ball_cube_ratio(2), 6), round(ball_cube_ratio(10), 6)
(0.785398, 0.00249)

See the book: 07_generalization.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional

from course_lib.augment import (
    adjust_brightness,
    adjust_contrast,
    gaussian_blur,
    gaussian_noise,
    rotate,
)
from course_lib.data import make_squares
from course_lib.training import evaluate, fit
from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    *("CORRUPTIONS", "accuracy_under_corruption", "ball_cube_ratio", "ball_volume"),
    *("bce_loss", "binary_accuracy", "circular_conv2d", "corrupt", "digit_cnn"),
    *("equivariance_error", "invariance_error", "random_distances", "relative_contrast"),
    *("shell_fraction", "squares_experiment", "squares_mlp", "summarize_runs"),
    "train_squares_model",
]


# --------------------------------------------------------------------------- #
# The squares experiment
# --------------------------------------------------------------------------- #
def squares_mlp(*, num_hiddens: int = 256, num_layers: int = 4) -> nn.Sequential:
    """The seed's network: 2 inputs, ``num_layers`` ReLU layers of ``num_hiddens``, 1 logit.

    The output is the logit z; the sigmoid σ(z) = P(y = 1 | x) sits inside the loss
    (:func:`bce_loss`), which is the numerically stable way to write it.

    >>> sum(p.numel() for p in squares_mlp().parameters())
    198401
    """
    check_int(num_hiddens, "num_hiddens", 1)
    check_int(num_layers, "num_layers", 1)
    layers: list[nn.Module] = []
    width = 2
    for _ in range(num_layers):
        layers += [nn.Linear(width, num_hiddens), nn.ReLU()]
        width = num_hiddens
    return nn.Sequential(*layers, nn.Linear(width, 1))


def bce_loss(output: Tensor, y: Tensor) -> Tensor:
    """Negative log-likelihood of a sigmoid output: mean of −[y log σ(z) + (1−y) log(1−σ(z))].

    ``output`` holds logits of shape (N, 1) or (N,); ``y`` labels in {0, 1} of shape (N,).
    """
    check_tensor(output, "output"), check_tensor(y, "y")
    z = output.reshape(-1)
    if z.shape != y.reshape(-1).shape:
        raise ValueError(f"output and y must hold N values each, got {tuple(output.shape)} and "
                         f"{tuple(y.shape)}")  # fmt: skip
    return functional.binary_cross_entropy_with_logits(z, y.reshape(-1).to(z.dtype))


def binary_accuracy(logits: Tensor, y: Tensor) -> float:
    """Share of points whose predicted class, 1 if z > 0 (σ(z) > 1/2) else 0, equals y.

    >>> binary_accuracy(torch.tensor([[2.0], [-1.0], [0.3]]), torch.tensor([1, 1, 0]))
    0.3333333333333333
    """
    check_tensor(logits, "logits"), check_tensor(y, "y")
    z, y = logits.detach().reshape(-1), y.detach().reshape(-1)
    if z.shape != y.shape or z.numel() == 0:
        raise ValueError(f"logits and y must hold the same number N > 0 of values, got "
                         f"{tuple(logits.shape)} and {tuple(y.shape)}")  # fmt: skip
    return ((z > 0).long() == y.long()).double().mean().item()


def _tensors(X: Any, y: Any, device) -> tuple[Tensor, Tensor]:
    return (torch.as_tensor(X, dtype=torch.float32, device=device),
            torch.as_tensor(y, dtype=torch.int64, device=device))  # fmt: skip


def train_squares_model(
    X: Any,
    y: Any,
    *,
    num_steps: int,
    lr: float = 1e-4,
    batch_size: int = 128,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[nn.Sequential, dict]:
    """Train :func:`squares_mlp` with Adam for about ``num_steps`` mini-batch steps.

    The budget is in optimizer steps, not epochs, so that every training size gets the
    same computation: the number of epochs is ``num_steps`` over the batches per epoch,
    rounded (exact when it divides). Returns the model (in eval mode) and the history
    of :func:`course_lib.training.fit`.
    """
    check_int(num_steps, "num_steps", 1)
    X, y = _tensors(X, y, device)
    batches = math.ceil(len(X) / batch_size)
    torch.manual_seed(seed)
    model = squares_mlp().to(X.device)
    history = fit(model, (X, y), num_epochs=max(1, round(num_steps / batches)), lr=lr,
                  loss_fn=bce_loss, batch_size=min(batch_size, len(X)), seed=seed,
                  generator=torch.Generator().manual_seed(seed), progress=False)  # fmt: skip
    return model.eval(), history


def squares_experiment(
    train_sizes: Sequence[int] = (500, 1000, 5000),
    seeds: Sequence[int] = (0, 1, 2),
    *,
    num_steps: int = 600,
    extra_ood: int = 0,
    n_test: int = 1000,
    device: torch.device | str | None = None,
) -> list[dict[str, Any]]:
    """Train one network per (training size, seed); measure it in and out of distribution.

    The training points of seed s are ``make_squares(n, random_state=s)``, plus
    ``extra_ood`` points of D' (one per out-of-distribution square, seed 004's "add
    a few OOD examples to train"). The test sets are the same for every run:
    ``n_test`` points of D and ``n_test`` of D'.

    Returns
    -------
    list of dict, one per run, with keys ``n_train``, ``seed``, ``steps``, ``seconds``,
    ``id_accuracy``, ``ood_accuracy`` and ``model``.
    """
    X_id, y_id = _tensors(*make_squares(n_test, region="in", random_state=10_000), device)
    X_ood, y_ood = _tensors(*make_squares(n_test, region="out", random_state=10_001), device)
    records = []
    for n in train_sizes:
        for seed in seeds:
            X, y = make_squares(check_int(n, "train size", 1), random_state=seed)
            if extra_ood:
                X_new, y_new = make_squares(extra_ood, region="out", stratified=True,
                                            random_state=20_000 + seed)  # fmt: skip
                X, y = np.concatenate([X, X_new]), np.concatenate([y, y_new])
            start = time.perf_counter()
            model, history = train_squares_model(X, y, num_steps=num_steps, seed=seed,
                                                 device=device)  # fmt: skip
            with torch.no_grad():
                id_acc, ood_acc = (binary_accuracy(model(X_id), y_id),
                                   binary_accuracy(model(X_ood), y_ood))  # fmt: skip
            records.append({"n_train": len(X), "seed": seed, "steps": history["updates"][-1],
                            "seconds": time.perf_counter() - start, "id_accuracy": id_acc,
                            "ood_accuracy": ood_acc, "model": model})  # fmt: skip
    return records


def summarize_runs(records: Sequence[dict], key: str, *, by: str = "n_train") -> list[tuple]:
    """Mean, sample standard deviation, minimum and maximum of ``key`` for each value of ``by``.

    >>> summarize_runs([{"n_train": 5, "a": 0.5}, {"n_train": 5, "a": 0.7}], "a")
    [(5, 0.6, 0.14142135623730948, 0.5, 0.7)]
    """
    groups: dict[Any, list[float]] = {}
    for record in records:
        groups.setdefault(record[by], []).append(float(record[key]))
    rows = []
    for group, values in groups.items():
        v = np.asarray(values)
        spread = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        rows.append((group, float(v.mean()), spread, float(v.min()), float(v.max())))
    return rows


# --------------------------------------------------------------------------- #
# Corruptions: intra-domain shifts of an image data set
# --------------------------------------------------------------------------- #
# kind -> (x, strength, generator) -> x'; strength 0 is the clean image
CORRUPTIONS: dict[str, Callable[[Tensor, float, torch.Generator | None], Tensor]] = {
    "noise": lambda x, s, g: gaussian_noise(x, s, generator=g),  # σ of the noise
    "blur": lambda x, s, g: gaussian_blur(x, s),  # σ of the Gaussian, pixels
    "rotation": lambda x, s, g: rotate(x, s),  # degrees
    "contrast": lambda x, s, g: adjust_contrast(x, 1.0 - s),  # share of contrast removed
    "brightness": lambda x, s, g: adjust_brightness(x, s),  # added to every pixel
}


def corrupt(x: Tensor, kind: str, strength: float, *,
            generator: torch.Generator | None = None) -> Tensor:  # fmt: skip
    """Apply the corruption ``kind`` of ``strength`` (see ``CORRUPTIONS``) to images in [0, 1].

    Contrast takes a strength in [0, 1] (1 leaves a uniform grey image). Strength 0
    returns a copy of ``x`` unchanged.

    >>> x = torch.rand(2, 1, 8, 8)
    >>> all(torch.equal(corrupt(x, kind, 0.0), x) for kind in CORRUPTIONS)
    True
    """
    if kind not in CORRUPTIONS:
        raise ValueError(f"kind must be one of {sorted(CORRUPTIONS)}, got {kind!r}")
    strength = check_real(strength, "strength", low=None if kind in ("rotation", "brightness")
                          else 0, high=1 if kind == "contrast" else None)  # fmt: skip
    if strength == 0:  # the clean image, bit for bit (interpolation would round it)
        return check_tensor(x, "x").clone()
    return CORRUPTIONS[kind](x, strength, generator)


def accuracy_under_corruption(
    model: nn.Module, X: Tensor, y: Tensor, kind: str, strengths: Sequence[float], *, seed: int = 0
) -> list[float]:
    """Accuracy of ``model`` on ``corrupt(X, kind, s)`` for every strength s (seeded noise)."""
    return [evaluate(model, (corrupt(X, kind, s, generator=torch.Generator().manual_seed(seed)),
                             y))["accuracy"] for s in strengths]  # fmt: skip


def digit_cnn(num_classes: int = 10) -> nn.Sequential:
    """The small CNN of chapter 05 for 28 x 28 digits: two 3x3 conv + ReLU + max-pool, linear.

    >>> digit_cnn()(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (32, 7, 7)
        nn.Flatten(), nn.Linear(32 * 7 * 7, check_int(num_classes, "num_classes", 2)),
    )  # fmt: skip


# --------------------------------------------------------------------------- #
# Invariance and equivariance
# --------------------------------------------------------------------------- #
def equivariance_error(
    f: Callable[[Tensor], Tensor],
    transform: Callable[[Tensor], Tensor],
    x: Tensor,
    *,
    output_transform: Callable[[Tensor], Tensor] | None = None,
) -> float:
    """Relative error ‖f(g ▷ x) − g ▷ f(x)‖ / ‖g ▷ f(x)‖ (Frobenius norms over the batch).

    ``transform`` is g acting on inputs; ``output_transform`` is g acting on outputs
    (default: the same function, as for a shift of feature maps). 0 means f is
    equivariant to g on ``x``; with ``output_transform=lambda y: y`` it measures
    invariance (:func:`invariance_error`).

    >>> x = torch.rand(1, 1, 6, 6, dtype=torch.float64)
    >>> shift = lambda t: torch.roll(t, 2, dims=-1)
    >>> equivariance_error(lambda t: 2 * t, shift, x)
    0.0
    """
    check_tensor(x, "x")
    act_on_output = transform if output_transform is None else output_transform
    with torch.no_grad():
        expected = act_on_output(f(x))
        received = f(transform(x))
    if received.shape != expected.shape:
        raise ValueError(f"f(g x) has shape {tuple(received.shape)} but g f(x) has "
                         f"{tuple(expected.shape)}: give output_transform")  # fmt: skip
    scale = torch.linalg.vector_norm(expected.double())
    if scale == 0:
        raise ValueError("g ▷ f(x) is zero: the relative error is undefined")
    return (torch.linalg.vector_norm((received - expected).double()) / scale).item()


def invariance_error(f: Callable[[Tensor], Tensor], transform: Callable[[Tensor], Tensor],
                     x: Tensor) -> float:  # fmt: skip
    """Relative error ‖f(g ▷ x) − f(x)‖ / ‖f(x)‖: 0 when f ignores g."""
    return equivariance_error(f, transform, x, output_transform=lambda y: y)


def circular_conv2d(x: Tensor, weight: Tensor) -> Tensor:
    """Cross-correlation with circular ("wrap-around") padding: output the input's size.

    The image is treated as a torus, so a circular shift of the input shifts the
    output exactly: no border breaks the equivariance. The kernel side must be odd.
    """
    check_tensor(x, "x"), check_tensor(weight, "weight")
    f = weight.shape[-1]
    if weight.ndim != 4 or f % 2 == 0 or weight.shape[-2] != f:
        raise ValueError(f"weight must be (K, D, F, F) with F odd, got {tuple(weight.shape)}")
    return functional.conv2d(functional.pad(x, (f // 2,) * 4, mode="circular"), weight)


# --------------------------------------------------------------------------- #
# The curse of dimensionality
# --------------------------------------------------------------------------- #
def ball_volume(d: int, r: float = 1.0) -> float:
    """Volume of the d-dimensional ball of radius r: V_d(r) = π^(d/2) r^d / Γ(d/2 + 1).

    >>> round(ball_volume(3), 6), round(ball_volume(1, 2.0), 12)
    (4.18879, 4.0)
    """
    check_int(d, "d", 1)
    r = check_real(r, "r", low=0)
    if r == 0:
        return 0.0
    return math.exp(d / 2 * math.log(math.pi) + d * math.log(r) - math.lgamma(d / 2 + 1))


def ball_cube_ratio(d: int) -> float:
    """Share of the cube [−1, 1]^d inside its inscribed unit ball: V_d(1) / 2^d."""
    return ball_volume(d) / 2.0**d


def shell_fraction(d: int, eps: float) -> float:
    """Share of a ball's volume within ε·r of its surface: 1 − (1 − ε)^d.

    >>> round(shell_fraction(100, 0.05), 4)
    0.9941
    """
    check_int(d, "d", 1)
    return 1.0 - (1.0 - check_real(eps, "eps", low=0, high=1)) ** d


def random_distances(dim: int, n_points: int, *,
                     generator: torch.Generator | None = None) -> Tensor:  # fmt: skip
    """Euclidean distances from one uniform query to ``n_points`` uniform points of [0, 1]^dim.

    Shape: (n_points,), float64.
    """
    check_int(dim, "dim", 1), check_int(n_points, "n_points", 2)
    points = torch.rand(n_points + 1, dim, generator=generator, dtype=torch.float64)
    return torch.linalg.vector_norm(points[1:] - points[0], dim=1)


def relative_contrast(distances: Tensor) -> float:
    """(d_max − d_min) / d_min: how much farther the farthest point is than the nearest.

    >>> relative_contrast(torch.tensor([1.0, 2.0, 4.0]))
    3.0
    """
    check_tensor(distances, "distances")
    low = distances.min()
    if distances.numel() < 2 or low <= 0:
        raise ValueError("distances must hold at least 2 values, all > 0")
    return ((distances.max() - low) / low).item()
