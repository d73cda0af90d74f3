"""Chapter 04 learning-rate schedules as pure functions of the epoch (or step) t.

Every schedule but ``linear_scaling_rule`` returns a *multiplicative factor*
f(t) of the base learning rate, so it plugs into PyTorch unchanged::

    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: cosine_annealing(t, T_max=50, eta_min_ratio=0.01)
    )

and alpha_t = alpha_0 * f(t). ``linear_scaling_rule`` returns a learning rate
(Goyal et al. 2017, "Accurate, Large Minibatch SGD"); the cosine schedule is
that of Loshchilov & Hutter (2017), SGDR, without restarts.

See the book: 04_optimization.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course_lib.validation import check_int, check_real

__all__ = [
    *("step_decay", "exponential_decay", "inverse_time_decay", "cosine_annealing"),
    *("linear_warmup", "warmup_cosine_lr", "linear_scaling_rule"),
    *("SCHEDULE_NAMES", "schedule_curve"),
]


def step_decay(epoch: int, step_size: int, gamma: float) -> float:
    """Step decay: f(t) = gamma^floor(t / step_size); equals ``StepLR``.

    >>> [step_decay(t, step_size=2, gamma=0.5) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]

    See the book: 04_optimization.
    """
    check_int(epoch, "epoch", 0)
    check_int(step_size, "step_size", 1)
    check_real(gamma, "gamma", low=0, high=1, low_open=True)
    return float(gamma ** (epoch // step_size))


def exponential_decay(epoch: int, gamma: float) -> float:
    """Exponential decay: f(t) = gamma^t; equals ``ExponentialLR``.

    >>> exponential_decay(3, gamma=0.5)
    0.125

    See the book: 04_optimization.
    """
    check_int(epoch, "epoch", 0)
    check_real(gamma, "gamma", low=0, high=1, low_open=True)
    return float(gamma**epoch)


def inverse_time_decay(epoch: int, k: float) -> float:
    """1/t decay: f(t) = 1 / (1 + k t); no PyTorch built-in, use ``LambdaLR``.

    >>> inverse_time_decay(4, k=0.5)
    0.3333333333333333

    See the book: 04_optimization.
    """
    check_int(epoch, "epoch", 0)
    check_real(k, "k", low=0)
    return 1.0 / (1.0 + k * epoch)


def cosine_annealing(epoch: int, T_max: int, eta_min_ratio: float = 0.0) -> float:
    """Cosine annealing: f(t) = r + (1 - r) (1 + cos(pi t / T_max)) / 2, r = eta_min / eta_0.

    Closed form of ``CosineAnnealingLR(T_max, eta_min=r * lr)``; PyTorch's
    scheduler updates the lr recursively, which agrees with this within float
    rounding (tested to rtol 1e-10). Past ``T_max`` the cosine rises again, as in PyTorch.

    >>> cosine_annealing(5, T_max=10, eta_min_ratio=0.0)
    0.5

    See the book: 04_optimization.
    """
    check_int(epoch, "epoch", 0)
    check_int(T_max, "T_max", 1)
    check_real(eta_min_ratio, "eta_min_ratio", low=0, high=1)
    return eta_min_ratio + (1.0 - eta_min_ratio) * (1.0 + math.cos(math.pi * epoch / T_max)) / 2


def linear_warmup(epoch: int, warmup_epochs: int, start_factor: float = 1.0 / 3.0) -> float:
    """Linear warm-up: f(t) = s + (1 - s) min(t, W) / W; equals ``LinearLR(s, 1.0, W)``.

    >>> [linear_warmup(t, warmup_epochs=2, start_factor=0.5) for t in range(4)]
    [0.5, 0.75, 1.0, 1.0]

    See the book: 04_optimization.
    """
    check_int(epoch, "epoch", 0)
    check_int(warmup_epochs, "warmup_epochs", 1)
    check_real(start_factor, "start_factor", low=0, high=1, low_open=True)
    return start_factor + (1.0 - start_factor) * min(epoch, warmup_epochs) / warmup_epochs


def warmup_cosine_lr(
    epoch: int,
    warmup_epochs: int,
    total_epochs: int,
    start_factor: float = 1.0 / 3.0,
    eta_min_ratio: float = 0.0,
) -> float:
    """Linear warm-up for W epochs, then cosine annealing over the remaining T - W.

    f(t) = linear_warmup(t) for t < W, cosine_annealing(t - W, T - W, r) after;
    equals ``SequentialLR([LinearLR(s, 1, W), CosineAnnealingLR(T - W, r lr)], [W])``.
    Like every schedule here it returns the factor f(t): the learning rate is
    alpha_0 f(t), which the chapter's exercise computes as
    ``warmup_cosine_lr(t, base_lr, W, T, s, eta_min)`` with eta_min = r alpha_0.

    >>> [round(warmup_cosine_lr(t, 2, 6, start_factor=0.5), 3) for t in range(7)]
    [0.5, 0.75, 1.0, 0.854, 0.5, 0.146, 0.0]

    See the book: 04_optimization.
    """
    check_int(warmup_epochs, "warmup_epochs", 1)
    check_int(total_epochs, "total_epochs", warmup_epochs + 1)
    warm = linear_warmup(epoch, warmup_epochs, start_factor)  # validates epoch, start_factor
    if epoch < warmup_epochs:
        return warm
    return cosine_annealing(epoch - warmup_epochs, total_epochs - warmup_epochs, eta_min_ratio)


def linear_scaling_rule(batch_size: int, base_lr: float = 0.1, base_batch: int = 256) -> float:
    """Linear scaling rule: alpha = base_lr * b / base_batch (a learning rate, not a factor).

    >>> linear_scaling_rule(1024)
    0.4

    See the book: 04_optimization.
    """
    check_int(batch_size, "batch_size", 1)
    check_int(base_batch, "base_batch", 1)
    check_real(base_lr, "base_lr", low=0, low_open=True)
    return base_lr * batch_size / base_batch


# The names that course_lib.figures.schedules knows, with the parameters each one uses.
SCHEDULE_NAMES = {
    "constant": (),
    "step": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "1/t": ("k",),
    "cosine": ("eta_min_ratio",),
    "warm-up + cosine": ("warmup_epochs", "start_factor", "eta_min_ratio"),
}


def schedule_curve(name: str, epochs: int, base_lr: float = 1.0, **params: Any) -> np.ndarray:
    """The learning rates alpha_0 f(t) for t = 0, ..., epochs - 1 of a named schedule.

    ``name`` is a key of ``SCHEDULE_NAMES``; ``params`` are that schedule's parameters
    (others are ignored, so one dict of slider values serves every schedule). The
    cosine schedules anneal over the whole run (T_max = epochs, or epochs - W after a
    warm-up of W epochs).

    >>> schedule_curve("step", 5, base_lr=0.1, step_size=2, gamma=0.5).round(3).tolist()
    [0.1, 0.1, 0.05, 0.05, 0.025]

    See the book: 04_optimization.
    """
    if name not in SCHEDULE_NAMES:
        raise ValueError(f"name must be one of {sorted(SCHEDULE_NAMES)}, got {name!r}")
    check_int(epochs, "epochs", 2)
    check_real(base_lr, "base_lr", low=0, low_open=True)
    missing = [p for p in SCHEDULE_NAMES[name] if p not in params]
    if missing:
        raise ValueError(f"schedule {name!r} needs the parameters {missing}")

    def factor(t: int) -> float:
        if name == "constant":
            return 1.0
        if name == "step":
            return step_decay(t, params["step_size"], params["gamma"])
        if name == "exponential":
            return exponential_decay(t, params["gamma"])
        if name == "1/t":
            return inverse_time_decay(t, params["k"])
        if name == "cosine":
            return cosine_annealing(t, epochs - 1, params["eta_min_ratio"])
        return warmup_cosine_lr(t, params["warmup_epochs"], epochs - 1, params["start_factor"],
                             params["eta_min_ratio"])

    return base_lr * np.array([factor(t) for t in range(epochs)])
