"""Chapter 04 optimizers and weight initializers, written from the book's formulas.

Each optimizer subclasses ``torch.optim.Optimizer``, copies the signature of its
``torch.optim`` counterpart and performs the same floating-point operations in
the same order, so a model trained with either ends at the same parameters up
to float64 rounding. Momentum is Polyak's heavy ball, Nesterov's variant is the
Sutskever et al. (2013) form used by PyTorch, AdaGrad is Duchi et al. (2011),
RMSprop is Hinton's lecture 6e, Adam is Kingma & Ba (2015). The initializers
are Glorot & Bengio (2010) ("Xavier") and He et al. (2015).

The lecture notes drop the inverse square root in AdaGrad and RMSprop (they
write ``(eps I + diag(G))^(1/2)``) and Adam's bias correction; the code and
docstrings below use the correct ``1 / (sqrt(r) + eps)`` and ``m_hat, v_hat``.

See the book: 04_optimization.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import Tensor

__all__ = [
    *("SGD", "Adagrad", "RMSprop", "Adam"),
    *("xavier_uniform_", "xavier_normal_", "he_uniform_", "he_normal_", "zeros_"),
]

Params = Iterable[Tensor] | Iterable[dict]


def _check_nonneg(value: float, name: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


def _check_unit(value: float, name: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")


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
# Optimizers
# --------------------------------------------------------------------------- #
class SGD(torch.optim.Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    With ``b = -v / alpha`` (the book's velocity divided by minus the lr), each step is

        g = grad L(theta) + weight_decay * theta
        b <- g on the first step, then b <- lambda * b + g
        theta <- theta - alpha * b                       (heavy ball)
        theta <- theta - alpha * (g + lambda * b)        (Nesterov)

    which for a constant lr is the book's ``v <- lambda v - alpha g``,
    ``theta <- theta + v``; Nesterov's look-ahead gradient is rewritten so that
    it needs only the gradient at the current theta (Sutskever et al. 2013).

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
            lam = group["momentum"]
            for p, g in _grads(group):
                if lam != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = state["momentum_buffer"] = g.clone()
                    else:
                        buf = state["momentum_buffer"].mul_(lam).add_(g)
                    g = g.add(buf, alpha=lam) if group["nesterov"] else buf
                p.add_(g, alpha=-group["lr"])
        return loss


class Adagrad(torch.optim.Optimizer):
    """AdaGrad: each coordinate's step is divided by the root of its summed squared gradients.

        g = grad L(theta) + weight_decay * theta
        r <- r + g * g                                   (element-wise, r_0 = 0)
        theta <- theta - alpha * g / (sqrt(r) + eps)

    ``r`` is the diagonal of the notes' ``G``; the notes omit the minus sign of
    the exponent (it is ``diag(G)^(-1/2)``), and eps sits outside the root, as in PyTorch.

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
                r = self.state[p].setdefault("sum", torch.zeros_like(p))
                r.addcmul_(g, g, value=1)
                p.addcdiv_(g, r.sqrt().add_(group["eps"]), value=-group["lr"])
        return loss


class RMSprop(torch.optim.Optimizer):
    """RMSprop: AdaGrad with a moving average ``s`` instead of a running sum.

        g = grad L(theta) + weight_decay * theta
        s <- rho * s + (1 - rho) * g * g                 (rho = ``alpha``, s_0 = 0)
        theta <- theta - lr * g / (sqrt(s) + eps)

    ``alpha`` is PyTorch's name for the decay the notes call gamma; the notes
    again drop the inverse square root.

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
            rho = group["alpha"]
            for p, g in _grads(group):
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                s.mul_(rho).addcmul_(g, g, value=1 - rho)
                p.addcdiv_(g, s.sqrt().add_(group["eps"]), value=-group["lr"])
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
    default betas. As in PyTorch, ``m`` is updated with ``lerp`` and eps is
    added after the square root of ``v_hat``.

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
                state = self.state[p]
                if not state:
                    state.update(
                        step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p)
                    )
                state["step"] += 1
                t = state["step"]
                m = state["exp_avg"].lerp_(g, 1 - beta1)
                v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                step_size = group["lr"] / (1 - beta1**t)  # lr / bias correction of m
                denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(group["eps"])  # sqrt(v_hat) + eps
                p.addcdiv_(m, denom, value=-step_size)
        return loss


# --------------------------------------------------------------------------- #
# Initializers
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
