"""Chapter 04 weight initializers, as ``torch.nn.init`` names them.

Glorot & Bengio (2010) ("Xavier") keep the variance of activations and gradients
equal across a layer, Var(W) = 2 / (fan_in + fan_out); He et al. (2015) correct it
for ReLU, which zeroes half of its inputs: Var(W) = 2 / fan_in. Each ``*_`` function
fills a tensor in place with the same distribution as its ``torch.nn.init`` twin;
:func:`he_normal` returns a new (fan_out, fan_in) weight matrix, as the chapter's
exercise does.

See the book: 04_optimization.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from course_lib.validation import check_int

__all__ = ["he_normal", "he_normal_", "he_uniform_", "xavier_normal_", "xavier_uniform_", "zeros_"]

# --------------------------------------------------------------------------- #
_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def _fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) as torch.nn.init: weight (out, in, *kernel) -> in*k, out*k."""
    if not isinstance(tensor, Tensor) or tensor.dim() < 2:
        got = tuple(tensor.shape) if isinstance(tensor, Tensor) else type(tensor).__name__
        raise ValueError(f"tensor must have at least 2 dimensions (out, in, ...), got {got}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _gain(nonlinearity: str) -> float:
    if nonlinearity not in _GAINS:
        raise ValueError(f"nonlinearity must be one of {sorted(_GAINS)}, got {nonlinearity!r}")
    return _GAINS[nonlinearity]


@torch.no_grad()
def _uniform(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    bound = math.sqrt(3.0) * std  # U(-a, a) has variance a^2 / 3
    return tensor.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def _normal(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    return tensor.normal_(0.0, std, generator=generator)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, *, generator: torch.Generator | None = None
) -> Tensor:
    """Glorot/Xavier uniform: W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Var(W) = gain^2 * 2 / (fan_in + fan_out). Shape: (out, in) or (out, in, k, k), filled in place.

    >>> xavier_uniform_(torch.empty(3, 5)).abs().max() <= (6 / (5 + 3)) ** 0.5
    tensor(True)

    See the book: 04_optimization.
    """
    fan_in, fan_out = _fans(tensor)
    return _uniform(tensor, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, *, generator: torch.Generator | None = None
) -> Tensor:
    """Glorot/Xavier normal: W ~ N(0, gain^2 * 2 / (fan_in + fan_out)), in place.

    >>> xavier_normal_(torch.empty(4, 4)).shape
    torch.Size([4, 4])

    See the book: 04_optimization.
    """
    fan_in, fan_out = _fans(tensor)
    return _normal(tensor, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def he_uniform_(
    tensor: Tensor, nonlinearity: str = "relu", *, generator: torch.Generator | None = None
) -> Tensor:
    """He/Kaiming uniform (fan_in): W ~ U(-a, a), a = gain * sqrt(3 / fan_in); ReLU gain sqrt(2).

    Var(W) = 2 / fan_in for ReLU. Equals ``torch.nn.init.kaiming_uniform_(w, a=0)``.

    >>> he_uniform_(torch.empty(2, 6)).abs().max() <= 1.0
    tensor(True)

    See the book: 04_optimization.
    """
    fan_in, _ = _fans(tensor)
    return _uniform(tensor, _gain(nonlinearity) / math.sqrt(fan_in), generator)


def he_normal_(
    tensor: Tensor, nonlinearity: str = "relu", *, generator: torch.Generator | None = None
) -> Tensor:
    """He/Kaiming normal (fan_in): W ~ N(0, gain^2 / fan_in), i.e. N(0, 2 / fan_in) for ReLU.

    >>> he_normal_(torch.empty(2, 6)).shape
    torch.Size([2, 6])

    See the book: 04_optimization.
    """
    fan_in, _ = _fans(tensor)
    return _normal(tensor, _gain(nonlinearity) / math.sqrt(fan_in), generator)


@torch.no_grad()
def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 in place: the book's choice for biases (never for weights: symmetry).

    >>> zeros_(torch.ones(2))
    tensor([0., 0.])

    See the book: 04_optimization.
    """
    return tensor.zero_()


def he_normal(fan_in: int, fan_out: int, *, generator: torch.Generator | None = None) -> Tensor:
    """A new He-normal weight matrix of shape (fan_out, fan_in): W ~ N(0, 2 / fan_in).

    The exercise's ``he_normal(fan_in, fan_out, rng)``, in PyTorch: the weight of
    ``nn.Linear(fan_in, fan_out)`` for a ReLU network.

    >>> w = he_normal(1000, 500, generator=torch.Generator().manual_seed(0))
    >>> w.shape, round(float(w.var()) * 1000, 1)
    (torch.Size([500, 1000]), 2.0)

    See the book: 04_optimization.
    """
    shape = (check_int(fan_out, "fan_out", 1), check_int(fan_in, "fan_in", 1))
    return he_normal_(torch.empty(shape), generator=generator)
