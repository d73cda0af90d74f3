"""The course's one training loop, for the chapters where the loop is not the lesson.

``fit`` is the loop every chapter first writes by hand (forward, loss, ``zero_grad``,
``backward``, ``step``) plus what later chapters measure: evaluation sets, a scheduler,
callbacks (:mod:`course_lib.callbacks`), a history of per-epoch lists, a ``tqdm.auto``
bar, the device. ``evaluate``: mean loss and accuracy without gradients.

Data is either a loader (any iterable of ``(X, y)`` batches, such as a
``torch.utils.data.DataLoader``) or a pair of tensors ``(X, y)``, which ``fit`` cuts
into shuffled mini-batches of ``batch_size`` rows (:func:`minibatch_indices`). A loader's
``X`` may be a tuple of tensors, passed as ``model(*X)`` (a seq2seq model's source and
teacher-forced target).

>>> import torch
>>> from torch import nn
>>> from course_lib.data import digits_loaders
>>> train_loader, test_loader = digits_loaders(batch_size=64)
>>> net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
>>> history = fit(net, train_loader, num_epochs=2, val_data=test_loader, progress=False, seed=0)
>>> sorted(history)
['epoch', 'lr', 'seconds', 'train_accuracy', 'train_loss', 'updates', 'val_accuracy', 'val_loss']

See the book: 04_optimization (the loop measured), 05_cnn (the loop used).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from course_lib.callbacks import Callback, TrainingState
from course_lib.validation import check_int, check_real

__all__ = [
    "TensorBatches",
    "correct_predictions",
    "evaluate",
    "fit",
    "minibatch_indices",
    "model_device",
]

LossFn = Callable[[Tensor, Tensor], Tensor]
History = dict[str, list]
EVAL_BATCH = 4096  # rows per forward pass when a data set is given as tensors


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without any)."""
    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device("cpu")


def minibatch_indices(
    n: int, batch_size: int, *, shuffle: bool = True, generator: torch.Generator | None = None
) -> list[Tensor]:
    """Split range(n) into consecutive batches of ``batch_size`` (the last may be smaller).

    With ``shuffle`` the order is a random permutation drawn from ``generator``, so every
    sample appears in exactly one batch per epoch.

    >>> [b.tolist() for b in minibatch_indices(5, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]

    See the book: 04_optimization.
    """
    check_int(n, "n", 1)
    check_int(batch_size, "batch_size", 1)
    if batch_size > n:
        raise ValueError(f"batch_size must be at most the number of samples {n}, got {batch_size}")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    return list(torch.split(order, batch_size))


class TensorBatches:
    """The mini-batches of a pair of tensors, reshuffled at every pass (an epoch).

    >>> batches = TensorBatches(torch.arange(5.0), torch.arange(5), 2, shuffle=False)
    >>> len(batches), [y.tolist() for _, y in batches]
    (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(
        self,
        X: Tensor,
        y: Tensor,
        batch_size: int,
        *,
        shuffle: bool = True,
        generator: torch.Generator | None = None,
    ):
        for name, value in (("X", X), ("y", y)):
            if not isinstance(value, Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}"
            )
        check_int(X.shape[0], "the number of rows of X", 1)
        check_int(batch_size, "batch_size", 1)
        if batch_size > X.shape[0]:
            raise ValueError(
                f"batch_size must be at most the number of samples {X.shape[0]}, got {batch_size}"
            )
        self.X, self.y, self.batch_size = X, y, batch_size
        self.shuffle, self.generator = shuffle, generator

    def __len__(self) -> int:
        return math.ceil(self.X.shape[0] / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        indices = minibatch_indices(
            self.X.shape[0], self.batch_size, shuffle=self.shuffle, generator=self.generator
        )
        index_device = self.X.device
        for index in indices:
            index = index.to(index_device)
            yield self.X[index], self.y[index]


def _batches(data: Any, name: str, batch_size: int | None, *, shuffle: bool, generator=None):
    """A loader as it is, or the mini-batches of an ``(X, y)`` pair of tensors.

    Evaluation (``shuffle=False``) takes at most ``batch_size`` rows at a time.
    """
    if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], Tensor):
        if batch_size is None:
            raise ValueError(f"{name} is a pair of tensors (X, y): give batch_size too")
        if not shuffle and isinstance(data[1], Tensor) and len(data[0]) > 0:
            batch_size = min(batch_size, len(data[0]))
        return TensorBatches(data[0], data[1], batch_size, shuffle=shuffle, generator=generator)
    if isinstance(data, Tensor) or not isinstance(data, Iterable):
        raise TypeError(
            f"{name} must be a loader of (X, y) batches or a pair of tensors (X, y), "
            f"got {type(data).__name__}"
        )
    return data


def correct_predictions(output: Tensor, target: Tensor) -> float:
    """How many rows' arg-max equals the label; NaN when the task is not classification.

    This is the one place the library counts hits of a model's outputs (accuracy is
    this count over the number of samples); ``course_lib.metrics.accuracy_score`` is
    the chapter-02 metric on label arrays.

    >>> correct_predictions(torch.tensor([[0.0, 1.0], [2.0, 1.0]]), torch.tensor([1, 1]))
    1.0
    """
    hits = _hits(output, target)
    return float(hits) if hits is not None else math.nan


def _hits(output: Tensor, target: Tensor) -> Tensor | None:
    """The count as a tensor on the outputs' device (no synchronization), or None."""
    if output.ndim == 2 and target.ndim == 1 and not target.is_floating_point():
        return (output.argmax(dim=1) == target).sum()
    return None


def evaluate(
    model: nn.Module,
    data: Any,
    *,
    loss_fn: LossFn = nn.functional.cross_entropy,
    device: torch.device | str | None = None,
    batch_size: int = EVAL_BATCH,
) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` over ``data``, in eval mode, without gradients.

    The loss is averaged over samples (each batch's mean is weighted by its size); the
    accuracy is the share of arg-max predictions equal to the label, NaN when the outputs
    are not (N, C) scores with integer labels. The model's train/eval mode is restored.

    Parameters
    ----------
    data : loader of (X, y) batches, or a pair of tensors (X, y)
        Tensors are evaluated ``batch_size`` rows at a time, in order.

    Returns
    -------
    dict with keys "loss" and "accuracy"
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batches = _batches(data, "data", batch_size, shuffle=False)
    device = torch.device(device) if device is not None else model_device(model)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0.0, 0
    try:
        with torch.no_grad():
            for X, y in batches:
                output, y = _forward(model, X, device), y.to(device)
                total_loss += loss_fn(output, y).item() * len(y)
                correct += correct_predictions(output, y)
                count += len(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("data yielded no samples")
    return {"loss": total_loss / count, "accuracy": correct / count}


def _check_fit_arguments(model, num_epochs, loss_fn, scheduler_interval, callbacks) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_int(num_epochs, "num_epochs", 1)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable(output, y), got {type(loss_fn).__name__}")
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(
            f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}"
        )
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(
                "each callback must be a course_lib.callbacks.Callback, got "
                f"{type(callback).__name__}"
            )


def _evaluation_sets(val_data: Any, eval_data: Mapping[str, Any] | None) -> dict[str, Any]:
    sets = dict(eval_data or {})
    if val_data is not None:
        if "val" in sets:
            raise ValueError("give the validation set as val_data or as eval_data['val'], not both")
        sets = {"val": val_data, **sets}
    for name in sets:
        if not isinstance(name, str) or not name.isidentifier() or name == "train":
            raise ValueError(
                f"eval_data names must be identifiers other than 'train', got {name!r}"
            )
    return sets


def _forward(model: nn.Module, X: Any, device: torch.device) -> Tensor:
    """``model(X)``, or ``model(*X)`` when a batch's inputs are a tuple of tensors."""
    if isinstance(X, (tuple, list)):
        return model(*(x.to(device) for x in X))
    return model(X.to(device))


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def fit(
    model: nn.Module,
    data: Any,
    *,
    num_epochs: int,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    loss_fn: LossFn = nn.functional.cross_entropy,
    batch_size: int | None = None,
    val_data: Any = None,
    eval_data: Mapping[str, Any] | None = None,
    scheduler: Any = None,
    scheduler_interval: str = "epoch",
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    progress: bool = True,
    description: str = "training",
) -> History:
    """Train ``model`` for ``num_epochs`` passes over ``data``; return the history.

    Each mini-batch B takes one step θ ← optimizer(θ, ∇ (1/|B|) Σ_{i∈B} L_i).

    Parameters
    ----------
    data : loader of (X, y) batches, or a pair of tensors (X, y)
        Tensors are cut into shuffled batches of ``batch_size`` rows every epoch
        (``batch_size=len(X)``: batch gradient descent; 1: stochastic gradient descent).
    optimizer : torch.optim.Optimizer, optional
        Default: Adam with learning rate ``lr`` over the model's parameters.
    loss_fn : callable(output, y) -> scalar tensor
        Default: cross-entropy from logits.
    val_data, eval_data : data, or a dict of name -> data
        Evaluated with :func:`evaluate` after every epoch; ``val_data`` is the
        validation set (keys ``val_loss``, ``val_accuracy``); ``eval_data={"test": ...}``
        adds ``test_loss``, ``test_accuracy``, and so on for any name.
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        Stepped after every epoch, or after every optimizer step with
        ``scheduler_interval="step"`` (warm-up over the first steps).
    callbacks : sequence of Callback
        See :class:`course_lib.callbacks.Callback`: early stopping, weight averages,
        gradient clipping, ...
    device : torch.device or str, optional
        Where to train; the model and each batch are moved there. Default: the model's.
    seed : int, optional
        ``torch.manual_seed(seed)`` first (initial dropout masks, shuffling by the
        global generator); ``generator`` shuffles tensor data instead when given.
    progress : bool
        One ``tqdm.auto`` bar over all batches, left finished when training ends.

    Returns
    -------
    dict of lists, one entry per epoch
        ``epoch`` (1, 2, ...), ``train_loss`` and ``train_accuracy`` (over the epoch's
        batches, weighted by their size, measured while the weights moved), ``lr`` (the
        first parameter group's learning rate at the start of the epoch), ``updates``
        (optimizer steps so far), ``seconds`` (wall time of the epoch's training steps,
        evaluation excluded), ``<name>_loss`` and ``<name>_accuracy`` for every
        evaluation set, and whatever the callbacks log.
    """
    _check_fit_arguments(model, num_epochs, loss_fn, scheduler_interval, callbacks)
    if seed is not None:
        torch.manual_seed(seed)
    batches = _batches(data, "data", batch_size, shuffle=True, generator=generator)
    evaluation_sets = _evaluation_sets(val_data, eval_data)
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=check_real(lr, "lr", low=0))
    history: History = {"epoch": [], "train_loss": [], "train_accuracy": []}
    state = TrainingState(model, optimizer, history, device)
    total = len(batches) * num_epochs if hasattr(batches, "__len__") else None
    bar = tqdm(total=total, desc=description, unit="batch", disable=not progress, leave=True)
    for callback in callbacks:
        callback.on_fit_begin(state)
    for epoch in range(1, num_epochs + 1):
        state.epoch = epoch
        lr_now = optimizer.param_groups[0]["lr"]
        for callback in callbacks:
            callback.on_epoch_begin(state)
        model.train()
        # running sums stay on the device: no synchronization per step on a GPU
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        hit_sum = torch.zeros((), dtype=torch.float64, device=device)
        classification, count = True, 0
        _synchronize(device)
        start = time.perf_counter()
        for X, y in batches:
            y = y.to(device)
            with contextlib.ExitStack() as stack:
                for callback in callbacks:
                    stack.enter_context(callback.forward_context(state))
                output = _forward(model, X, device)
                loss = loss_fn(output, y)
            optimizer.zero_grad()
            loss.backward()
            state.output, state.loss = output.detach(), loss.detach()
            for callback in callbacks:
                callback.after_backward(state)
            optimizer.step()
            state.step += 1
            if scheduler is not None and scheduler_interval == "step":
                scheduler.step()
            loss_sum += state.loss.double() * len(y)
            hits = _hits(state.output, y)
            classification = classification and hits is not None
            if hits is not None:
                hit_sum += hits
            count += len(y)
            for callback in callbacks:
                callback.on_batch_end(state)
            bar.update(1)
        _synchronize(device)
        seconds = time.perf_counter() - start
        if count == 0:
            raise ValueError("data yielded no samples")
        if scheduler is not None and scheduler_interval == "epoch":
            scheduler.step()
        accuracy = float(hit_sum) / count if classification else math.nan
        logged = {"epoch": epoch, "train_loss": float(loss_sum) / count, "lr": lr_now}
        logged |= {"train_accuracy": accuracy, "updates": state.step, "seconds": seconds}
        for key, value in logged.items():
            state.log(key, value)
        for name, dataset in evaluation_sets.items():
            scores = evaluate(model, dataset, loss_fn=loss_fn, device=device)
            state.log(f"{name}_loss", scores["loss"])
            state.log(f"{name}_accuracy", scores["accuracy"])
        for callback in callbacks:
            callback.on_epoch_end(state)
        bar.set_postfix(epoch=epoch, loss=f"{history['train_loss'][-1]:.4f}", refresh=False)
        if state.stop:
            break
    for callback in callbacks:
        callback.on_fit_end(state)
    if state.stop and total is not None:
        # stopped early: end the bar full at the last batch trained (reset also moves a
        # notebook bar's maximum, which the book saves as the widget's final state)
        done = bar.n
        bar.reset(total=done)
        bar.update(done)
    bar.refresh()
    bar.close()
    return history
