"""Activations g(a) with their derivatives g'(a), and softmax with temperature, in NumPy.

Each activation sits beside its derivative, as the backward pass of
:class:`course_lib.mlp.MLP` uses them; every derivative is computed in a form
that neither overflows nor cancels for large |a| (the tests compare with
PyTorch's autograd on huge inputs).

See the book: 01_foundations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.validation import check_real

__all__ = [
    *("step", "sigmoid", "tanh", "relu", "step_grad", "sigmoid_grad", "tanh_grad", "relu_grad"),
    *("ACTIVATIONS", "softmax"),
]


def _float(x: Any) -> np.ndarray:
    """An array of floats; integers and lists become float64, float32 stays float32."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


# --------------------------------------------------------------------------- #
# Activations g(a) and their derivatives g'(a), side by side
# --------------------------------------------------------------------------- #
def step(x: Any) -> np.ndarray:
    """Heaviside step g(a) = 1 if a >= 0 else 0, the perceptron's activation.

    >>> step([-2.0, 0.0, 3.0])
    array([0., 1., 1.])
    """
    x = _float(x)
    return (x >= 0).astype(x.dtype)


def step_grad(x: Any) -> np.ndarray:
    """g'(a) = 0 wherever it exists (a Dirac delta at 0): no gradient flows through a step."""
    return np.zeros_like(_float(x))


def sigmoid(x: Any) -> np.ndarray:
    """Logistic sigmoid sigma(a) = 1 / (1 + e^(-a)), without overflow for large |a|.

    Only e^(-|a|) <= 1 is ever computed: sigma(a) = 1 / (1 + e^(-a)) for
    a >= 0 and e^a / (1 + e^a) for a < 0.

    >>> sigmoid([-1e4, 0.0, 1e4])
    array([0. , 0.5, 1. ])
    """
    x = _float(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_grad(x: Any) -> np.ndarray:
    """sigma'(a) = sigma(a) (1 - sigma(a)), at most 1/4 (at a = 0).

    Computed as z / (1 + z)^2 with z = e^(-|a|): the same value, without the
    cancellation in 1 - sigma(a) when sigma(a) rounds to 1.

    >>> sigmoid_grad([0.0, 40.0])
    array([2.50000000e-01, 4.24835426e-18])
    """
    z = np.exp(-np.abs(_float(x)))
    return z / (1.0 + z) ** 2


def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent tanh(a) = (e^a - e^(-a)) / (e^a + e^(-a)), in (-1, 1)."""
    return np.tanh(_float(x))


def tanh_grad(x: Any) -> np.ndarray:
    """tanh'(a) = 1 - tanh(a)^2, computed as 4 sigma'(2a) without cancellation."""
    return 4.0 * sigmoid_grad(2.0 * _float(x))


def relu(x: Any) -> np.ndarray:
    """Rectified linear unit ReLU(a) = max(0, a).

    >>> relu([-1.0, 0.0, 2.0])
    array([0., 0., 2.])
    """
    return np.maximum(_float(x), 0.0)


def relu_grad(x: Any) -> np.ndarray:
    """ReLU'(a) = 1 if a > 0 else 0; at a = 0 we take 0, as PyTorch does.

    >>> relu_grad([-1.0, 0.0, 2.0])
    array([0., 0., 1.])
    """
    x = _float(x)
    return (x > 0).astype(x.dtype)


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "step": (step, step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
}


def softmax(x: Any, T: float = 1.0, axis: int = -1) -> np.ndarray:
    """Softmax with temperature S(h_i) = e^(h_i / T) / sum_j e^(h_j / T).

    The maximum is subtracted before exponentiating, which changes nothing
    mathematically and keeps logits such as +-1e4 finite. A large ``T``
    flattens the distribution towards uniform; a small ``T`` sharpens it
    towards the argmax.

    Parameters
    ----------
    x : array-like
        Logits h^L.
    T : float > 0
        Temperature.
    axis : int
        The axis along which the probabilities sum to 1.

    >>> softmax([1.0, 2.0, 3.0]).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([1.0, 2.0, 3.0], T=100.0).round(2)
    array([0.33, 0.33, 0.34])

    See the book: 01_foundations.
    """
    check_real(T, "T", low=0, low_open=True)
    z = _float(x) / T
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)
