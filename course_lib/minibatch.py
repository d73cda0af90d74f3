"""Chapter 04: batch, stochastic and mini-batch gradient descent, measured.

The three methods differ only in the batch size b: b = N is batch gradient descent
(one update per epoch), b = 1 is stochastic gradient descent (N updates per epoch)
and anything in between is mini-batch gradient descent. The one training loop,
:func:`course_lib.training.fit`, runs all three and records the loss, the accuracy,
the wall-clock time and the number of updates; this module adds what chapter 04
measures on top: the memory that backpropagation holds, that is the bytes of the
tensors autograd saves during the forward pass for the backward pass
(:class:`SavedTensorMeter`), the part of training memory that grows with the batch.
:class:`BackwardMemory` records it for every epoch of ``fit``.

>>> import torch
>>> from course_lib.training import fit
>>> torch.manual_seed(0) is not None
True
>>> X, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
>>> model = torch.nn.Linear(3, 2)
>>> history = fit(model, (X, y), optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
...               batch_size=16, num_epochs=2, callbacks=[BackwardMemory()], progress=False)
>>> history["updates"], len(history["saved_bytes"]), history["saved_bytes"][0] > 0
([4, 8], 2, True)

See the book: 04_optimization.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.callbacks import Callback, TrainingState

__all__ = ["BackwardMemory", "SavedTensorMeter"]


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


class BackwardMemory(Callback):
    """Record, per epoch, the largest :class:`SavedTensorMeter` reading of one batch.

    History key ``saved_bytes``: the bytes autograd kept for the backward pass of the
    epoch's largest batch (it grows linearly with the batch size b).

    See the book: 04_optimization.
    """

    def __init__(self) -> None:
        self.meter = SavedTensorMeter()
        self._peak = 0

    def on_epoch_begin(self, state: TrainingState) -> None:
        self._peak = 0

    def forward_context(self, state: TrainingState) -> SavedTensorMeter:
        return self.meter

    def on_batch_end(self, state: TrainingState) -> None:
        self._peak = max(self._peak, self.meter.bytes)

    def on_epoch_end(self, state: TrainingState) -> None:
        state.log("saved_bytes", self._peak)
