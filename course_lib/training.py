"""A plain training loop for the chapters where the loop is not the lesson.

``fit`` is the loop every chapter writes by hand in its first pages:
forward, loss, ``zero_grad``, ``backward``, ``step``, once per batch, for a
number of epochs, with a ``tqdm.auto`` progress bar (a widget in Jupyter, text
in a terminal). It returns a history dict of per-epoch lists that a notebook
can plot. ``evaluate`` measures the mean loss and the accuracy on a loader
without touching the gradients. Both move each batch to the model's device.

>>> import torch
>>> from torch import nn
>>> from course_lib.data import digits_loaders
>>> train_loader, test_loader = digits_loaders(batch_size=64)
>>> net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
>>> history = fit(net, train_loader, epochs=2, val_loader=test_loader, progress=False, seed=0)
>>> sorted(history)
['epoch', 'seconds', 'train_accuracy', 'train_loss', 'val_accuracy', 'val_loss']
>>> history["epoch"]
[1, 2]

See the book: 05_cnn.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

__all__ = ["evaluate", "fit", "model_device"]

LossFn = Callable[[Tensor, Tensor], Tensor]


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without any)."""
    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device("cpu")


def _check_model_and_loader(model: object, loader: object, name: str) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(loader, Iterable):
        raise TypeError(
            f"{name} must be an iterable of (X, y) batches, got {type(loader).__name__}"
        )


def _correct(output: Tensor, y: Tensor) -> float:
    """Number of right arg-max predictions; NaN when the task is not classification."""
    if output.ndim == 2 and not y.is_floating_point() and y.ndim == 1:
        return (output.argmax(dim=1) == y).sum().item()
    return math.nan


def evaluate(
    model: nn.Module,
    loader: Iterable,
    *,
    loss_fn: LossFn = nn.functional.cross_entropy,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` over every batch of ``loader``, in eval mode.

    The loss is averaged over samples (each batch's mean loss is weighted by its
    size); the accuracy is the share of arg-max predictions equal to the label,
    NaN when the outputs are not (N, C) logits with integer labels. The model's
    train/eval mode is restored afterwards.

    Returns
    -------
    dict with keys "loss" and "accuracy"
    """
    _check_model_and_loader(model, loader, "loader")
    device = torch.device(device) if device is not None else model_device(model)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0.0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            output = model(X)
            total_loss += loss_fn(output, y).item() * len(y)
            correct += _correct(output, y)
            count += len(y)
    model.train(was_training)
    if count == 0:
        raise ValueError("loader yielded no samples")
    return {"loss": total_loss / count, "accuracy": correct / count}


def fit(
    model: nn.Module,
    train_loader: Iterable,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    loss_fn: LossFn = nn.functional.cross_entropy,
    val_loader: Iterable | None = None,
    device: torch.device | str | None = None,
    seed: int | None = None,
    progress: bool = True,
    description: str = "training",
) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the history.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer, optional
        Default: Adam with learning rate ``lr`` over the model's parameters.
    loss_fn : callable(output, y) -> scalar tensor
        Default: cross-entropy from logits.
    val_loader : iterable of (X, y), optional
        Evaluated with :func:`evaluate` after every epoch.
    device : torch.device or str, optional
        Where to train; the model is moved there. Default: where the model is.
    seed : int, optional
        Calls ``torch.manual_seed(seed)`` first (dropout masks, shuffling by
        the global generator); loaders from ``course_lib.data`` have their own.
    progress : bool
        Show one ``tqdm.auto`` bar over all batches, with the running loss.

    Returns
    -------
    dict of lists, one entry per epoch
        "epoch", "train_loss" (mean over the epoch's batches, weighted by size),
        "train_accuracy", "seconds" (wall time of the epoch) and, with a
        ``val_loader``, "val_loss" and "val_accuracy".
    """
    _check_model_and_loader(model, train_loader, "train_loader")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if seed is not None:
        torch.manual_seed(seed)
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "train_accuracy": []}
    if val_loader is not None:
        history |= {"val_loss": [], "val_accuracy": []}
    history["seconds"] = []
    total = len(train_loader) * epochs if hasattr(train_loader, "__len__") else None
    bar = tqdm(total=total, desc=description, unit="batch", disable=not progress, leave=True)
    for epoch in range(1, epochs + 1):
        start, total_loss, correct, count = time.perf_counter(), 0.0, 0.0, 0
        model.train()
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            output = model(X)
            loss = loss_fn(output, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            correct += _correct(output.detach(), y)
            count += len(y)
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.4f}", refresh=False)
        if count == 0:
            raise ValueError("train_loader yielded no samples")
        history["epoch"].append(epoch)
        history["train_loss"].append(total_loss / count)
        history["train_accuracy"].append(correct / count)
        if val_loader is not None:
            scores = evaluate(model, val_loader, loss_fn=loss_fn, device=device)
            history["val_loss"].append(scores["loss"])
            history["val_accuracy"].append(scores["accuracy"])
            bar.set_postfix(epoch=epoch, val_accuracy=f"{scores['accuracy']:.3f}", refresh=False)
        history["seconds"].append(time.perf_counter() - start)
    bar.close()
    return history
