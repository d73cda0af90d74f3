"""Chapter 06 early stopping: patience, and Prechelt's GL_α and PQ_α criteria.

With L_tr(t) and L_ev(t) the training and validation losses after epoch t and
L_op(t) = min_{t' ≤ t} L_ev(t') the best validation loss so far (Prechelt 1998):

- generalization loss  GL(t) = 100 (L_ev(t) / L_op(t) − 1); GL_α stops after the
  first epoch with GL(t) > α;
- training progress over a strip of k epochs
  P_k(t) = 1000 (μ_k(t) / δ_k(t) − 1), μ_k the mean and δ_k the minimum of
  L_tr over epochs t − k + 1 … t; PQ_α stops after the first epoch at the end of a
  strip (t a multiple of k) with GL(t) / P_k(t) > α;
- patience: stop after ``patience`` epochs without a new best L_ev.

:class:`StoppingRule` holds the decision and sees one epoch at a time, so the same
code replays a finished curve (:func:`stopping_epoch`) and stops a running
:func:`course_lib.training.fit` (:class:`EarlyStopping`).

See the book: 06_regularization.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np

from course_lib.callbacks import Callback, TrainingState
from course_lib.validation import check_int, check_real

__all__ = [
    *("generalization_loss", "training_progress", "StoppingRule", "stopping_epoch"),
    "EarlyStopping",
]

CRITERIA = ("patience", "gl", "pq")


def _losses(values: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of losses, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must hold positive finite losses")
    return arr


def generalization_loss(val_losses: Sequence[float]) -> np.ndarray:
    """GL(t) = 100 (L_ev(t) / min_{t' ≤ t} L_ev(t') − 1) for every epoch t, in percent.

    >>> generalization_loss([1.0, 0.8, 0.88, 1.0]).round(6).tolist()
    [0.0, 0.0, 10.0, 25.0]
    """
    val = _losses(val_losses, "val_losses")
    return 100 * (val / np.minimum.accumulate(val) - 1)


def training_progress(train_losses: Sequence[float], k: int = 5) -> np.ndarray:
    """P_k(t) = 1000 (mean / min of L_tr over the last k epochs − 1); NaN for t < k.

    >>> training_progress([4.0, 2.0, 1.0, 1.0], k=2).round(6).tolist()
    [nan, 500.0, 500.0, 0.0]
    """
    train = _losses(train_losses, "train_losses")
    k = check_int(k, "k", 1)
    out = np.full(train.shape, np.nan)
    for t in range(k - 1, train.size):
        strip = train[t - k + 1 : t + 1]
        out[t] = 1000 * (strip.mean() / strip.min() - 1)
    return out


class StoppingRule:
    """Decide, one epoch at a time, whether to stop; remember the best epoch.

    Parameters
    ----------
    criterion : "patience", "gl" or "pq"
    patience : int
        For "patience": epochs without improvement (by more than ``min_delta``) to wait.
    alpha : float
        The threshold α of GL_α (percent) or PQ_α.
    k : int
        The strip length of PQ_α.

    >>> rule = StoppingRule("gl", alpha=5.0)
    >>> [rule.update(train, val) for train, val in [(1.0, 1.0), (0.9, 0.8), (0.8, 0.86)]]
    [False, False, True]
    >>> rule.best_epoch, rule.stop_epoch
    (2, 3)
    """

    def __init__(self, criterion: str = "patience", *, patience: int = 5, alpha: float = 5.0,
                 k: int = 5, min_delta: float = 0.0):  # fmt: skip
        if criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
        self.criterion = criterion
        self.patience = check_int(patience, "patience", 1)
        self.alpha = check_real(alpha, "alpha", low=0)
        self.k = check_int(k, "k", 1)
        self.min_delta = check_real(min_delta, "min_delta", low=0)
        self.train_losses: list[float] = []
        self.best_loss, self.best_epoch = math.inf, 0
        self.stop_epoch: int | None = None
        self.value = math.nan  # GL(t), GL(t)/P_k(t) or the epochs waited, at the last update

    def update(self, train_loss: float, val_loss: float) -> bool:
        """Take the losses of the next epoch; return True when training should stop."""
        self.train_losses.append(float(train_loss))
        t = len(self.train_losses)
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = float(val_loss), t
        gl = 100 * (val_loss / min(self.best_loss, val_loss) - 1)
        if self.criterion == "patience":
            self.value = t - self.best_epoch
            stop = self.value >= self.patience
        elif self.criterion == "gl":
            self.value, stop = gl, gl > self.alpha
        else:
            stop = False
            if t % self.k == 0:
                strip = self.train_losses[-self.k :]
                progress = 1000 * (sum(strip) / (self.k * min(strip)) - 1)
                self.value = gl / progress if progress > 0 else (math.inf if gl > 0 else 0.0)
                stop = self.value > self.alpha
        if stop and self.stop_epoch is None:
            self.stop_epoch = t
        return stop


def stopping_epoch(train_losses: Sequence[float], val_losses: Sequence[float],
                   criterion: str = "patience", **options) -> tuple[int, int]:  # fmt: skip
    """Replay a finished run: (the epoch a rule stops at, the best epoch up to then).

    When the rule never fires, the stop epoch is the last one. Epochs count from 1.

    >>> stopping_epoch([1.0, 0.9, 0.8, 0.7], [1.0, 0.8, 0.9, 0.95], "patience", patience=2)
    (4, 2)
    """
    train = _losses(train_losses, "train_losses")
    val = _losses(val_losses, "val_losses")
    if train.size != val.size:
        raise ValueError(
            f"train_losses and val_losses differ in length: {train.size} and {val.size}"
        )
    rule = StoppingRule(criterion, **options)
    for t, (tr, va) in enumerate(zip(train, val, strict=True), start=1):
        if rule.update(tr, va):
            return t, rule.best_epoch
    return int(train.size), rule.best_epoch


class EarlyStopping(Callback):
    """Stop :func:`fit` by a :class:`StoppingRule` on ``train_loss`` and ``val_loss``.

    With ``restore_best`` the model gets back the weights of its best validation
    epoch when training ends. History keys: ``stop_value`` (GL, GL/P_k or the epochs
    waited), and ``best_epoch``; ``state.stop_reason`` says which rule fired.

    >>> import torch
    >>> from course_lib.training import fit
    >>> X, y = torch.randn(32, 3), torch.randint(0, 2, (32,))
    >>> stopper = EarlyStopping("patience", patience=1, min_delta=10.0)
    >>> history = fit(torch.nn.Linear(3, 2), (X, y), batch_size=8, num_epochs=5, val_data=(X, y),
    ...               callbacks=[stopper], progress=False, seed=0)
    >>> history["epoch"], stopper.rule.stop_epoch
    ([1, 2], 2)

    See the book: 06_regularization.
    """

    def __init__(self, criterion: str = "patience", *, restore_best: bool = True, **options):
        self.rule = StoppingRule(criterion, **options)
        self.options = options
        self.restore_best = restore_best
        self.best_state: dict | None = None

    def on_fit_begin(self, state: TrainingState) -> None:
        self.rule = StoppingRule(self.rule.criterion, **self.options)
        self.best_state = None

    def on_epoch_end(self, state: TrainingState) -> None:
        if "val_loss" not in state.history:
            raise ValueError("EarlyStopping needs a validation set: give fit(..., val_data=...)")
        stop = self.rule.update(state.history["train_loss"][-1], state.history["val_loss"][-1])
        if self.rule.best_epoch == state.epoch and self.restore_best:
            self.best_state = copy.deepcopy(state.model.state_dict())
        state.log("stop_value", self.rule.value)
        state.log("best_epoch", self.rule.best_epoch)
        if stop:
            state.stop = True
            state.stop_reason = (
                f"{self.rule.criterion} stopped at epoch {state.epoch} "
                f"(best epoch {self.rule.best_epoch})"
            )

    def on_fit_end(self, state: TrainingState) -> None:
        if self.restore_best and self.best_state is not None:
            state.model.load_state_dict(self.best_state)
