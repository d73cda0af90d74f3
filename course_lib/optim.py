"""Chapter 04 optimizers, written from the book's formulas: pure update rules and classes.

The functional core is one pure function per rule, in the book's notation: it takes
the parameter, its state and its gradient, and returns the new parameter and state
without changing its inputs (NumPy arrays or tensors alike): :func:`sgd_step`,
:func:`momentum_step` (heavy ball and Nesterov), :func:`adagrad_step`,
:func:`rmsprop_step`, :func:`adam_step`. The chapter's exercise asks for
``momentum_step`` and ``adam_step`` with these signatures.

Each optimizer class subclasses ``torch.optim.Optimizer``, copies the signature of
its ``torch.optim`` twin, and its ``step`` calls the pure rule on every parameter,
so a model trained with either ends at the same parameters up to float64 rounding.
Momentum is Polyak's heavy ball, Nesterov's variant is the Sutskever et al. (2013)
form, AdaGrad is Duchi et al. (2011), RMSprop is Hinton's lecture 6e, Adam is
Kingma & Ba (2015). The initializers are in :mod:`course_lib.init`.

The lecture notes drop the inverse square root in AdaGrad and RMSprop (they
write ``(eps I + diag(G))^(1/2)``) and Adam's bias correction; the code and
docstrings below use the correct ``1 / (sqrt(r) + eps)`` and ``m_hat, v_hat``.

See the book: 04_optimization.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np
import torch
from torch import Tensor

from course_lib.validation import check_real

__all__ = [
    *("adagrad_step", "adam_step", "momentum_step", "rmsprop_step", "sgd_step"),
    *("SGD", "Adagrad", "RMSprop", "Adam"),
]

Params = Iterable[Tensor] | Iterable[dict]
Array = TypeVar("Array")  # a NumPy array or a tensor: the rules use operators only


def _check_nonneg(value: float, name: str) -> None:
    check_real(value, name, low=0)


def _check_unit(value: float, name: str) -> None:
    check_real(value, name, low=0, high=1, high_open=True)


def _closure_loss(closure: Callable[[], Tensor] | None) -> Tensor | None:
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def _grads(group: dict) -> Iterable[tuple[Tensor, Tensor]]:
    """The (parameter, gradient + weight_decay * parameter) pairs of a group, as torch does."""
    for p in group["params"]:
        if p.grad is None:
            continue
        g = p.grad
        if group["weight_decay"] != 0:  # L2 penalty folded into the gradient (not AdamW)
            g = g.add(p, alpha=group["weight_decay"])
        yield p, g


# --------------------------------------------------------------------------- #
# The functional core: one pure update rule each
# --------------------------------------------------------------------------- #
def sgd_step(theta: Array, grad: Array, lr: float) -> Array:
    """Gradient descent: θ ← θ − α g.

    >>> sgd_step(torch.tensor([1.0]), torch.tensor([2.0]), lr=0.1)
    tensor([0.8000])

    See the book: 04_optimization.
    """
    return theta - lr * grad


def momentum_step(
    theta: Array, v: Array, grad: Array, lr: float, momentum: float, *, nesterov: bool = False
) -> tuple[Array, Array]:
    """One heavy-ball step, v ← λ v − α g, θ ← θ + v; returns (new θ, new v).

    With ``nesterov=True`` the look-ahead form of Sutskever et al. (2013), which needs
    only the gradient at θ: θ ← θ + λ v_new − α g.

    ``torch.optim.SGD`` keeps b = −v / α instead of v (α outside the buffer): for a
    constant α the two give the same iterates; when a schedule changes α, PyTorch
    applies the new α to the whole remembered velocity, the book only to the new
    gradient.

    >>> momentum_step(torch.tensor([1.0]), torch.tensor([0.5]), torch.tensor([2.0]),
    ...               lr=0.1, momentum=0.9)
    (tensor([1.2500]), tensor([0.2500]))

    See the book: 04_optimization.
    """
    new_v = momentum * v - lr * grad
    if nesterov:
        return theta + momentum * new_v - lr * grad, new_v
    return theta + new_v, new_v


def adagrad_step(
    theta: Array, r: Array, grad: Array, lr: float, eps: float = 1e-10
) -> tuple[Array, Array]:
    """AdaGrad: r ← r + g ⊙ g, θ ← θ − α g / (√r + ε); returns (new θ, new r).

    >>> adagrad_step(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0]), lr=0.1)
    (tensor([0.9000]), tensor([4.]))

    See the book: 04_optimization.
    """
    new_r = r + grad * grad
    return theta - lr * grad / (_sqrt(new_r) + eps), new_r


def rmsprop_step(
    theta: Array, s: Array, grad: Array, lr: float, rho: float = 0.99, eps: float = 1e-8
) -> tuple[Array, Array]:
    """RMSprop: s ← ρ s + (1 − ρ) g ⊙ g, θ ← θ − α g / (√s + ε); returns (new θ, new s).

    >>> rmsprop_step(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0]),
    ...              lr=0.01, rho=0.75)
    (tensor([0.9800]), tensor([1.]))

    See the book: 04_optimization.
    """
    new_s = rho * s + (1 - rho) * grad * grad
    return theta - lr * grad / (_sqrt(new_s) + eps), new_s


def adam_step(
    theta: Array,
    m: Array,
    v: Array,
    grad: Array,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Array, Array, Array]:
    """One Adam step at step number t ≥ 1; returns (new θ, new m, new v).

        m ← β₁ m + (1 − β₁) g,       v ← β₂ v + (1 − β₂) g ⊙ g
        m̂ = m / (1 − β₁ᵗ),           v̂ = v / (1 − β₂ᵗ)
        θ ← θ − α m̂ / (√v̂ + ε)

    >>> theta, m, v = adam_step(torch.tensor([1.0]), torch.zeros(1), torch.zeros(1),
    ...                         torch.tensor([2.0]), t=1, lr=0.1)
    >>> theta, m, v
    (tensor([0.9000]), tensor([0.2000]), tensor([0.0040]))

    See the book: 04_optimization.
    """
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = new_m / (1 - beta1**t)
    v_hat = new_v / (1 - beta2**t)
    return theta - lr * m_hat / (_sqrt(v_hat) + eps), new_m, new_v


def _sqrt(x: Array) -> Array:
    """√x, element-wise, for a tensor or a NumPy array (``x ** 0.5`` may differ by an ulp)."""
    return x.sqrt() if isinstance(x, Tensor) else np.sqrt(x)


def _state(optimizer: torch.optim.Optimizer, p: Tensor, **initial: Any) -> dict:
    """The per-parameter state, created from ``initial`` (tensors shaped like p) once."""
    state = optimizer.state[p]
    if not state:
        state.update(initial)
    return state


# --------------------------------------------------------------------------- #
# Optimizers
# --------------------------------------------------------------------------- #
class SGD(torch.optim.Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Each step calls :func:`momentum_step` (or :func:`sgd_step` without momentum) on
    every parameter, keeping the book's velocity v in the optimizer's state:

        g = grad L(theta) + weight_decay * theta
        v <- lambda * v - alpha * g,   theta <- theta + v             (heavy ball)
        theta <- theta + lambda * v - alpha * g   (with the new v)    (Nesterov)

    For a constant learning rate the iterates equal ``torch.optim.SGD``'s up to
    rounding; under a schedule see :func:`momentum_step` for how the two differ.

    Parameters
    ----------
    params : iterable of tensors or parameter groups.
    lr : the learning rate alpha.
    momentum : lambda in [0, 1); 0 is plain SGD.
    nesterov : use Nesterov's momentum (needs ``momentum > 0``).
    weight_decay : L2 penalty coefficient added to the gradient.

    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w**2).sum().backward(); _ = opt.step(); w.data
    tensor([0.8000])

    See the book: 04_optimization.
    """

    def __init__(
        self,
        params: Params,
        lr: float,
        momentum: float = 0,
        nesterov: bool = False,
        weight_decay: float = 0,
    ) -> None:
        _check_nonneg(lr, "lr")
        _check_unit(momentum, "momentum")
        _check_nonneg(weight_decay, "weight_decay")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True requires momentum > 0, got momentum=0")
        defaults = {"lr": lr, "momentum": momentum, "nesterov": nesterov}
        super().__init__(params, {**defaults, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, lam = group["lr"], group["momentum"]
            for p, g in _grads(group):
                if lam == 0:
                    p.copy_(sgd_step(p, g, lr))
                    continue
                state = _state(self, p, velocity=torch.zeros_like(p))
                new_p, state["velocity"] = momentum_step(
                    p, state["velocity"], g, lr, lam, nesterov=group["nesterov"]
                )
                p.copy_(new_p)
        return loss


class Adagrad(torch.optim.Optimizer):
    """AdaGrad: each coordinate's step is divided by the root of its summed squared gradients.

        g = grad L(theta) + weight_decay * theta
        r <- r + g * g                                   (element-wise, r_0 = 0)
        theta <- theta - alpha * g / (sqrt(r) + eps)

    ``r`` is the diagonal of the notes' ``G``; the notes omit the minus sign of
    the exponent (it is ``diag(G)^(-1/2)``), and eps sits outside the root, as in PyTorch.
    Each step calls :func:`adagrad_step`.

    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w**2).sum().backward(); _ = opt.step(); w.data
    tensor([0.9000])

    See the book: 04_optimization.
    """

    def __init__(
        self, params: Params, lr: float = 1e-2, eps: float = 1e-10, weight_decay: float = 0
    ) -> None:
        _check_nonneg(lr, "lr")
        _check_nonneg(eps, "eps")
        _check_nonneg(weight_decay, "weight_decay")
        super().__init__(params, {"lr": lr, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p, g in _grads(group):
                state = _state(self, p, sum=torch.zeros_like(p))
                new_p, state["sum"] = adagrad_step(p, state["sum"], g, group["lr"], group["eps"])
                p.copy_(new_p)
        return loss


class RMSprop(torch.optim.Optimizer):
    """RMSprop: AdaGrad with a moving average ``s`` instead of a running sum.

        g = grad L(theta) + weight_decay * theta
        s <- rho * s + (1 - rho) * g * g                 (rho = ``alpha``, s_0 = 0)
        theta <- theta - lr * g / (sqrt(s) + eps)

    ``alpha`` is PyTorch's name for the decay the notes call gamma (``rho`` in
    :func:`rmsprop_step`, which each step calls); the notes again drop the inverse
    square root.

    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w**2).sum().backward(); _ = opt.step(); w.data
    tensor([0.9000])

    See the book: 04_optimization.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
    ) -> None:
        _check_nonneg(lr, "lr")
        _check_unit(alpha, "alpha")
        _check_nonneg(eps, "eps")
        _check_nonneg(weight_decay, "weight_decay")
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p, g in _grads(group):
                state = _state(self, p, square_avg=torch.zeros_like(p))
                new_p, state["square_avg"] = rmsprop_step(
                    p, state["square_avg"], g, group["lr"], group["alpha"], group["eps"]
                )
                p.copy_(new_p)
        return loss


class Adam(torch.optim.Optimizer):
    """Adam: momentum on the gradient and RMSprop scaling, both bias-corrected.

        g = grad L(theta) + weight_decay * theta        (L2 penalty, not AdamW)
        m <- beta1 * m + (1 - beta1) * g,   v <- beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1^t),          v_hat = v / (1 - beta2^t)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    The notes leave out the bias correction. m and v start at 0, so both are
    biased towards 0 early on; uncorrected, the step m / sqrt(v) is off by the
    factor (1 - beta1^t) / sqrt(1 - beta2^t), about 3.2 at t = 1 with the
    default betas. As in PyTorch, eps is added after the square root of ``v_hat``.
    Each step calls :func:`adam_step`.

    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w**2).sum().backward(); _ = opt.step(); w.data
    tensor([0.9000])

    See the book: 04_optimization.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
    ) -> None:
        _check_nonneg(lr, "lr")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        _check_unit(betas[0], "betas[0]")
        _check_unit(betas[1], "betas[1]")
        _check_nonneg(eps, "eps")
        _check_nonneg(weight_decay, "weight_decay")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        loss = _closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p, g in _grads(group):
                state = _state(
                    self, p, step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p)
                )
                state["step"] += 1
                new_p, state["exp_avg"], state["exp_avg_sq"] = adam_step(
                    p, state["exp_avg"], state["exp_avg_sq"], g, state["step"],
                    group["lr"], beta1, beta2, group["eps"],
                )  # fmt: skip
                p.copy_(new_p)
        return loss
