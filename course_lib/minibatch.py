"""Chapter 04: batch, stochastic and mini-batch gradient descent, measured.

One loop covers the three methods, which differ only in the batch size b:
b = N is batch gradient descent (one update per epoch), b = 1 is stochastic
gradient descent (N updates per epoch) and anything in between is mini-batch
gradient descent. :func:`train` records, for every epoch, the loss, the test
accuracy, the wall-clock time and the memory that backpropagation holds: the
bytes of the tensors autograd saves during the forward pass for the backward
pass (:class:`SavedTensorMeter`), the part of training memory that grows with
the batch.

>>> torch.manual_seed(0) is not None
True
>>> X, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
>>> model = torch.nn.Linear(3, 2)
>>> history = train(model, X, y, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
...                 batch_size=16, epochs=2, progress=False)
>>> history["updates"]
[4, 8]

See the book: 04_optimization.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from course_lib.validation import check_int

__all__ = ["SavedTensorMeter", "accuracy", "minibatch_indices", "train"]


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


class SavedTensorMeter:
    """Count the bytes autograd saves for the backward pass inside a ``with`` block.

    Every tensor that an operation keeps for its gradient passes through a
    ``torch.autograd.graph.saved_tensors_hooks`` pack hook; the meter adds up
    their sizes, counting a storage once even if several operations save it.
    Parameters that are saved (the weights of a matrix product) are counted too.

    >>> x = torch.ones(1000, dtype=torch.float64, requires_grad=True)
    >>> with SavedTensorMeter() as meter:
    ...     y = torch.exp(x)          # exp saves its output: 1000 * 8 bytes
    >>> meter.bytes
    8000

    See the book: 04_optimization.
    """

    def __init__(self) -> None:
        self.bytes = 0
        self._seen: set[tuple[int, int]] = set()
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)

    def _pack(self, tensor: Tensor) -> Tensor:
        storage = tensor.untyped_storage()
        key = (storage.data_ptr(), storage.nbytes())
        if key not in self._seen:
            self._seen.add(key)
            self.bytes += storage.nbytes()
        return tensor

    def __enter__(self) -> SavedTensorMeter:
        self.bytes = 0
        self._seen.clear()
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)


@torch.no_grad()
def accuracy(model: nn.Module, X: Tensor, y: Tensor, batch_size: int = 4096) -> float:
    """Fraction of rows of X whose arg-max output equals y (evaluated in batches, no grad).

    >>> accuracy(nn.Identity(), torch.tensor([[0.0, 1.0], [2.0, 1.0]]), torch.tensor([1, 1]))
    0.5

    See the book: 04_optimization.
    """
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and "
                         f"{y.shape[0]}")
    was_training = model.training
    model.eval()
    correct = sum(
        int((model(X[i : i + batch_size]).argmax(dim=1) == y[i : i + batch_size]).sum())
        for i in range(0, X.shape[0], batch_size)
    )
    model.train(was_training)
    return correct / X.shape[0]


def train(
    model: nn.Module,
    X: Tensor,
    y: Tensor,
    *,
    optimizer: torch.optim.Optimizer,
    batch_size: int,
    epochs: int,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = nn.functional.cross_entropy,
    X_test: Tensor | None = None,
    y_test: Tensor | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    generator: torch.Generator | None = None,
    progress: bool = True,
    description: str | None = None,
) -> dict[str, list]:
    """Mini-batch gradient descent on (X, y): ``epochs`` passes over shuffled batches.

    Each batch takes one step θ ← optimizer(θ, ∇ (1/b) Σ_{i∈B} L_i). ``batch_size=len(X)``
    is batch gradient descent, ``batch_size=1`` stochastic gradient descent. A
    ``scheduler`` (if any) steps once per epoch.

    Returns
    -------
    dict of lists, one entry per epoch
        ``epoch`` (1, 2, ...), ``train_loss`` (mean of the batch losses of the epoch),
        ``full_loss`` (loss on all of X after the epoch), ``test_accuracy`` (if a test set
        is given), ``seconds`` (wall time of the epoch's updates), ``updates`` (cumulative
        number of optimizer steps), ``lr`` (the learning rate used) and
        ``saved_bytes`` (the largest :class:`SavedTensorMeter` reading of one batch).

    See the book: 04_optimization.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and "
                         f"{y.shape[0]}")
    check_int(epochs, "epochs", 1)
    check_int(batch_size, "batch_size", 1)
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    history: dict[str, list] = {key: [] for key in (
        "epoch", "train_loss", "full_loss", "test_accuracy", "seconds", "updates", "lr",
        "saved_bytes")}
    updates = 0
    bar = tqdm(range(1, epochs + 1), desc=description or f"batch size {batch_size}",
               disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        lr = optimizer.param_groups[0]["lr"]
        batches = minibatch_indices(X.shape[0], batch_size, generator=generator)
        losses, peak = [], 0
        if X.is_cuda:
            torch.cuda.synchronize(X.device)
        start = time.perf_counter()
        for index in batches:
            optimizer.zero_grad()
            with SavedTensorMeter() as meter:
                loss = loss_fn(model(X[index]), y[index])
            loss.backward()
            optimizer.step()
            peak = max(peak, meter.bytes)
            losses.append(loss.detach())
        if X.is_cuda:
            torch.cuda.synchronize(X.device)
        seconds = time.perf_counter() - start
        updates += len(batches)
        if scheduler is not None:
            scheduler.step()
        with torch.no_grad():
            model.eval()
            full = float(loss_fn(model(X), y))
        history["epoch"].append(epoch)
        history["train_loss"].append(float(torch.stack(losses).mean()))
        history["full_loss"].append(full)
        history["test_accuracy"].append(
            accuracy(model, X_test, y_test) if X_test is not None else float("nan"))
        history["seconds"].append(seconds)
        history["updates"].append(updates)
        history["lr"].append(lr)
        history["saved_bytes"].append(peak)
        bar.set_postfix(loss=f"{full:.3f}")
    return history
