"""Chapter 01 networks from scratch in NumPy: the perceptron and a multi-layer perceptron.

The perceptron learns with Rosenblatt's rule (Rosenblatt, 1958); the
multi-layer perceptron computes h^(l) = g(W^(l) h^(l-1) + b^(l)) and learns by
backpropagation written by hand (Rumelhart, Hinton & Williams, 1986). The
tests check every gradient against finite differences and PyTorch's autograd.
The activations come from :mod:`course_lib.activations`.

See the book: 01_foundations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from tqdm.auto import trange

from course_lib.activations import ACTIVATIONS, sigmoid, softmax
from course_lib.validation import check_int, check_real, to_numpy

__all__ = ["MLP", "Perceptron", "mlp_parameter_count"]


def mlp_parameter_count(layer_sizes: Sequence[int]) -> int:
    """Weights and biases of a fully connected network: sum_l (n_(l-1) + 1) n_l.

    ``layer_sizes`` lists the widths [n_0, ..., n_L]; to count the parameters of a
    built ``torch.nn.Module`` use :func:`course_lib.models.count_parameters`.

    >>> mlp_parameter_count([2, 3, 1])  # (2 + 1) * 3 + (3 + 1) * 1
    13
    """
    sizes = _check_layer_sizes(layer_sizes)
    return sum((n_in + 1) * n_out for n_in, n_out in pairwise(sizes))


def _check_layer_sizes(layer_sizes: Sequence[int]) -> list[int]:
    sizes = list(layer_sizes)
    ok = len(sizes) >= 2 and all(
        isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1 for n in sizes
    )
    if not ok:
        raise ValueError(
            "layer_sizes must list at least two positive integers (inputs, ..., outputs), "
            f"got {layer_sizes!r}"
        )
    return [int(n) for n in sizes]


def _check_X(X: Any, n_features: int | None) -> np.ndarray:
    X = to_numpy(X, "X")
    n_features = X.shape[-1] if n_features is None and X.ndim == 2 else n_features
    if X.ndim != 2 or X.shape[1] != n_features or X.shape[0] == 0:
        expected = f"(n_samples, {n_features or 'n_features'})"
        raise ValueError(f"X must have shape {expected} with n_samples >= 1, got {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or not np.all(np.isfinite(X)):
        raise ValueError("X must hold finite numbers (no NaN or infinity)")
    return X.astype(np.float64)


def _check_binary(y: Any, n_samples: int) -> np.ndarray:
    y = to_numpy(y, "y")
    y = y.reshape(-1) if y.shape == (n_samples, 1) else y
    if y.shape != (n_samples,):
        raise ValueError(f"y must have shape ({n_samples},), one label per row of X, got {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"y must hold labels in {{0, 1}}, got values {np.unique(y)[:5].tolist()}")
    return y.astype(np.float64)


# --------------------------------------------------------------------------- #
# The perceptron
# --------------------------------------------------------------------------- #
class Perceptron:
    """Rosenblatt's perceptron y_hat = step(w^T x + b) for labels in {0, 1}.

    Learning rule, one sample at a time: w <- w + lr (y - y_hat) x and
    b <- b + lr (y - y_hat). It stops making mistakes if and only if a line
    (hyperplane) separates the classes: AND and OR, not XOR.

    Attributes
    ----------
    w : ndarray of shape (n_features,)
    b : float

    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> Perceptron().fit(X, [0, 0, 0, 1], num_epochs=10)[-1]  # AND: no mistakes left
    0
    """

    def __init__(self) -> None:
        self.w = np.zeros(0)
        self.b = 0.0

    def fit(self, X: Any, y: Any, *, num_epochs: int = 20, lr: float = 1.0) -> list[int]:
        """Start from w = 0, b = 0 and sweep the data; return the mistakes of each epoch."""
        X = _check_X(X, None)
        y = _check_binary(y, X.shape[0])
        check_int(num_epochs, "num_epochs", 1)
        check_real(lr, "lr", low=0, low_open=True)
        self.w, self.b = np.zeros(X.shape[1]), 0.0
        mistakes = []
        for _ in range(num_epochs):
            count = 0
            for x_i, y_i in zip(X, y, strict=True):
                error = y_i - float(x_i @ self.w + self.b >= 0)  # -1, 0 or +1
                self.w += lr * error * x_i
                self.b += lr * error
                count += int(error != 0)
            mistakes.append(count)
        return mistakes

    def predict(self, X: Any) -> np.ndarray:
        """Class labels step(X w + b), as int64 in {0, 1}."""
        X = _check_X(X, self.w.shape[0])
        return (X @ self.w + self.b >= 0).astype(np.int64)


# --------------------------------------------------------------------------- #
# The multi-layer perceptron
# --------------------------------------------------------------------------- #
_OUTPUTS = ("softmax", "sigmoid", "identity")


class MLP:
    """Fully connected network h^(l) = g(W^(l) h^(l-1) + b^(l)), trained by backprop.

    ``W[l]`` has shape (n_out, n_in): its rows are the weights of the
    neurons of layer l + 1 (the book counts layers from 1, Python from 0).
    A batch stores one sample per row, so the code computes H @ W.T + b.
    The last layer applies ``output`` instead of ``g``: softmax (classes,
    cross-entropy loss), sigmoid (two classes, binary cross-entropy) or
    identity (regression, mean squared error).

    Weights are drawn from N(0, s^2) with s^2 = 2 / n_in for ReLU (He et al.,
    2015) and s^2 = 2 / (n_in + n_out) otherwise (Glorot & Bengio, 2010), so
    the activations keep their scale from layer to layer; biases start at 0.

    Parameters
    ----------
    layer_sizes : sequence of int
        [n_inputs, n_hidden_1, ..., n_outputs]; n_outputs is 1 for "sigmoid".
    activation : {"tanh", "sigmoid", "relu"}
    output : {"softmax", "sigmoid", "identity"}

    >>> from course_lib.data import make_xor
    >>> X, y = make_xor(200, random_state=0)
    >>> net = MLP([2, 8, 2], activation="tanh", output="softmax")
    >>> history = net.fit(X, y, num_epochs=200, lr=0.5, progress=False)
    >>> history["accuracy"][-1]
    1.0

    See the book: 01_foundations.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        *,
        activation: str = "tanh",
        output: str = "softmax",
        random_state: int | None = 0,
    ):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        if activation not in ("tanh", "sigmoid", "relu"):
            raise ValueError(f'activation must be "tanh", "sigmoid" or "relu", got {activation!r}')
        if output not in _OUTPUTS:
            raise ValueError(f"output must be one of {_OUTPUTS}, got {output!r}")
        n_out = self.layer_sizes[-1]
        if (output == "sigmoid" and n_out != 1) or (output == "softmax" and n_out < 2):
            need = "exactly 1 output" if output == "sigmoid" else "at least 2 outputs (classes)"
            raise ValueError(f'output="{output}" needs {need}, but layer_sizes ends in {n_out}')
        self.activation, self.output = activation, output
        self.g, self.g_grad = ACTIVATIONS[activation]
        rng = np.random.default_rng(random_state)
        self.W: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        for n_in, n_out in pairwise(self.layer_sizes):
            var = 2.0 / n_in if activation == "relu" else 2.0 / (n_in + n_out)
            self.W.append(rng.normal(0.0, np.sqrt(var), size=(n_out, n_in)))
            self.b.append(np.zeros(n_out))
        self._cache: dict[str, list[np.ndarray]] = {}

    def parameters(self) -> list[np.ndarray]:
        """[W[0], b[0], W[1], b[1], ...]: the arrays themselves, in nn.Linear's order."""
        return [p for W, b in zip(self.W, self.b, strict=True) for p in (W, b)]

    def forward(self, X: Any) -> np.ndarray:
        """The network's output (probabilities, or values for "identity"), shape (n, n_out).

        Caches the pre-activations A^(l) and activations H^(l) for ``backward``.
        """
        H = [_check_X(X, self.layer_sizes[0])]  # H[0] = X, (n, n_0)
        A = []
        for W, b in zip(self.W[:-1], self.b[:-1], strict=True):
            A.append(H[-1] @ W.T + b)  # (n, n_l)
            H.append(self.g(A[-1]))
        A.append(H[-1] @ self.W[-1].T + self.b[-1])  # logits, (n, n_L)
        self._cache = {"A": A, "H": H}
        logits = A[-1]
        if self.output == "softmax":
            return softmax(logits, axis=1)
        return sigmoid(logits) if self.output == "sigmoid" else logits

    def _targets(self, y: Any, n: int) -> np.ndarray:
        if self.output == "sigmoid":
            return _check_binary(y, n).reshape(n, 1)
        y = to_numpy(y, "y")
        if self.output == "identity":
            n_out = self.layer_sizes[-1]
            y = y.reshape(n, 1) if y.shape == (n,) and n_out == 1 else y
            if y.shape != (n, n_out):
                raise ValueError(f"y must have shape ({n}, {n_out}), got {y.shape}")
            return y.astype(np.float64)
        k = self.layer_sizes[-1]
        integers = y.dtype.kind in "iu" or (y.dtype.kind == "f" and np.all(y == np.round(y)))
        if y.shape != (n,) or not integers or y.min() < 0 or y.max() >= k:
            raise ValueError(
                f"y must hold {n} integer class labels in 0..{k - 1}, got shape {y.shape} "
                f"and values {np.unique(y)[:5].tolist()}"
            )
        return y.astype(np.int64)

    def _loss_and_delta(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean loss and dL/dA^(L), both from the cached logits, shape (n, n_out)."""
        a = self._cache["A"][-1]
        n = a.shape[0]
        if self.output == "softmax":  # L = -1/n sum_i log S(a_i)[y_i]
            log_p = a - a.max(axis=1, keepdims=True)
            log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
            one_hot = np.eye(a.shape[1])[y]
            return float(-np.mean(log_p[np.arange(n), y])), (np.exp(log_p) - one_hot) / n
        if self.output == "sigmoid":  # L = 1/n sum_i log(1 + e^a_i) - y_i a_i
            loss = float(np.mean(np.logaddexp(0.0, a) - y * a))
            return loss, (sigmoid(a) - y) / n
        return float(np.mean((a - y) ** 2)), 2.0 * (a - y) / a.size

    def loss(self, X: Any, y: Any) -> float:
        """Mean cross-entropy (softmax), binary cross-entropy (sigmoid) or MSE (identity)."""
        self.forward(X)
        return self._loss_and_delta(self._targets(y, self._cache["H"][0].shape[0]))[0]

    def backward(self, X: Any, y: Any) -> tuple[float, dict[str, list[np.ndarray]]]:
        """Forward, then the chain rule from the loss back to every W^(l) and b^(l).

        delta^(L) = dL/dA^(L); for each layer dL/dW = delta^T H^(l-1),
        dL/db = sum over the batch of delta, and delta^(l-1) = (delta W) * g'(A^(l-1)).
        The 1/n of the mean loss sits in delta^(L), so gradients are batch averages.

        Returns
        -------
        loss : float
        grads : dict
            ``{"W": [dL/dW[0], ...], "b": [dL/db[0], ...]}``, shapes as ``W`` and ``b``.
        """
        self.forward(X)
        H, A = self._cache["H"], self._cache["A"]
        loss, delta = self._loss_and_delta(self._targets(y, H[0].shape[0]))  # (n, n_L)
        grads_W, grads_b = [], []
        for layer in reversed(range(len(self.W))):
            grads_W.append(delta.T @ H[layer])  # (n_l, n_(l-1))
            grads_b.append(delta.sum(axis=0))  # (n_l,)
            if layer > 0:
                delta = (delta @ self.W[layer]) * self.g_grad(A[layer - 1])  # (n, n_(l-1))
        return loss, {"W": grads_W[::-1], "b": grads_b[::-1]}

    def step(self, grads: dict[str, list[np.ndarray]], lr: float) -> None:
        """Gradient descent theta <- theta - lr * dL/dtheta, in place."""
        flat = [g for gW, gb in zip(grads["W"], grads["b"], strict=True) for g in (gW, gb)]
        for param, grad in zip(self.parameters(), flat, strict=True):
            if grad.shape != param.shape:
                raise ValueError(f"grads has shape {grad.shape} where {param.shape} is needed")
            param -= lr * grad

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        num_epochs: int,
        lr: float,
        batch_size: int | None = None,
        random_state: int | None = 0,
        callback: Callable[[int, MLP], None] | None = None,
        progress: bool = True,
    ) -> dict[str, list[float]]:
        """Mini-batch gradient descent; reshuffles every epoch (full batch if batch_size is None).

        After each epoch the loss (and, for classifiers, the accuracy) on all of
        ``(X, y)`` is appended to the history and ``callback(epoch, net)`` is called.

        Returns
        -------
        dict
            ``{"loss": [...], "accuracy": [...]}``, one value per epoch; no
            "accuracy" for ``output="identity"``.
        """
        X = _check_X(X, self.layer_sizes[0])
        y = self._targets(y, X.shape[0])
        n = X.shape[0]
        batch_size = n if batch_size is None else batch_size
        check_int(batch_size, "batch_size", 1)
        check_int(num_epochs, "num_epochs", 1)
        check_real(lr, "lr", low=0, low_open=True)
        rng = np.random.default_rng(random_state)
        history: dict[str, list[float]] = {"loss": []}
        if self.output != "identity":
            history["accuracy"] = []
        bar = trange(num_epochs, desc="epochs", disable=not progress)
        for epoch in bar:
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                batch = order[start : start + batch_size]
                self.step(self.backward(X[batch], y[batch])[1], lr)
            self._record(history, X, y)
            bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.items()})
            if callback is not None:
                callback(epoch, self)
        return history

    def _record(self, history: dict[str, list[float]], X: np.ndarray, y: np.ndarray) -> None:
        self.forward(X)
        history["loss"].append(self._loss_and_delta(y)[0])
        if "accuracy" in history:
            y_hat = self._labels(self._cache["A"][-1])
            history["accuracy"].append(float(np.mean(y_hat == y.reshape(-1))))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, n_classes); two columns [1 - p, p] for "sigmoid"."""
        if self.output == "identity":
            raise ValueError('predict_proba needs output="softmax" or "sigmoid", not "identity"')
        p = self.forward(X)
        return np.hstack([1.0 - p, p]) if self.output == "sigmoid" else p

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (int64; argmax, or p >= 0.5 for "sigmoid"), or values for "identity"."""
        y_hat = self.forward(X)
        return y_hat if self.output == "identity" else self._labels(self._cache["A"][-1])

    def _labels(self, logits: np.ndarray) -> np.ndarray:
        if self.output == "sigmoid":  # sigma(a) >= 0.5 exactly when a >= 0
            return (logits[:, 0] >= 0).astype(np.int64)
        return np.argmax(logits, axis=1).astype(np.int64)
