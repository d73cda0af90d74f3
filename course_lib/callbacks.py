"""Callbacks: how a chapter adds a measurement or a rule to the one training loop.

:func:`course_lib.training.fit` calls each hook of every callback at a fixed point of
the loop (see :class:`Callback`), passing the :class:`TrainingState`. Early stopping,
weight averages and stochastic measurements of later chapters are subclasses; this
module holds the base class and the gradient-norm callback (measure, and clip).

>>> import torch
>>> from course_lib.training import fit
>>> X, y = torch.randn(32, 3), torch.randint(0, 2, (32,))
>>> history = fit(torch.nn.Linear(3, 2), (X, y), batch_size=8, num_epochs=2,
...               callbacks=[GradientNorm(max_norm=1.0)], progress=False, seed=0)
>>> len(history["grad_norm"]), len(history["grad_norm_max"])
(2, 2)

See the book: 04_optimization, 05_cnn.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from course_lib.validation import check_real

__all__ = ["Callback", "GradientNorm", "TrainingState"]

History = dict[str, list]


@dataclass
class TrainingState:
    """What callbacks see and may change while :func:`fit` runs.

    ``history`` holds one list per key, one entry per finished epoch; a callback adds
    its own measurement with :meth:`log`. Setting ``stop = True`` (with a
    ``stop_reason``) in ``on_epoch_end`` ends training after that epoch.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    history: History
    device: torch.device
    epoch: int = 0
    step: int = 0
    output: Tensor | None = None
    loss: Tensor | None = None
    stop: bool = False
    stop_reason: str | None = None
    extras: dict = field(default_factory=dict)

    def log(self, key: str, value: Any) -> None:
        """Append this epoch's ``value`` to ``history[key]``."""
        self.history.setdefault(key, []).append(value)


class Callback:
    """Hooks into :func:`fit`; subclass and override the ones you need (all optional).

    Order in one epoch: ``on_epoch_begin``; for each batch: ``forward_context`` wraps
    the forward pass and the loss, then ``after_backward`` runs between ``backward`` and
    the optimizer's ``step`` (clip or measure gradients there), then ``on_batch_end``;
    after the evaluation sets: ``on_epoch_end`` (log, decide to stop).
    """

    def on_fit_begin(self, state: TrainingState) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, state: TrainingState) -> None:
        """At the start of each epoch (``state.epoch`` is already the new number)."""

    def forward_context(self, state: TrainingState) -> contextlib.AbstractContextManager:
        """A context manager around the forward pass and the loss (default: none)."""
        return contextlib.nullcontext()

    def after_backward(self, state: TrainingState) -> None:
        """Gradients are in ``.grad``; the optimizer has not stepped yet."""

    def on_batch_end(self, state: TrainingState) -> None:
        """After the optimizer's step; ``state.loss`` is the batch's loss."""

    def on_epoch_end(self, state: TrainingState) -> None:
        """After the epoch's evaluation; its entries are already in ``state.history``."""

    def on_fit_end(self, state: TrainingState) -> None:
        """After the last epoch, also when a callback stopped training early."""


class GradientNorm(Callback):
    """Record the global gradient norm ‖g‖₂ of every step; with ``max_norm``, clip it.

    Clipping rescales g ← g · max_norm / ‖g‖₂ when ‖g‖₂ > max_norm
    (``torch.nn.utils.clip_grad_norm_``). History keys: ``grad_norm`` (mean over the
    epoch's steps, before clipping) and ``grad_norm_max``.
    """

    def __init__(self, max_norm: float | None = None):
        if max_norm is not None:
            check_real(max_norm, "max_norm", low=0, low_open=True)
        self.max_norm = max_norm
        self._norms: list[float] = []

    def on_epoch_begin(self, state: TrainingState) -> None:
        self._norms = []

    def after_backward(self, state: TrainingState) -> None:
        parameters = [p for p in state.model.parameters() if p.grad is not None]
        limit = self.max_norm if self.max_norm is not None else math.inf
        norm = nn.utils.clip_grad_norm_(parameters, limit) if parameters else torch.zeros(())
        self._norms.append(float(norm))

    def on_epoch_end(self, state: TrainingState) -> None:
        state.log("grad_norm", sum(self._norms) / max(len(self._norms), 1))
        state.log("grad_norm_max", max(self._norms, default=0.0))
