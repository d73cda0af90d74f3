"""Chapter 08 unsupervised domain adaptation: gradient reversal and DANN.

Ganin & Lempitsky (2015) split a network into a feature extractor G_f, a label classifier
G_y and a domain classifier G_d, and train with

    L = L_y − λ L_d ,

G_y on labelled source data, G_d to tell source from target features, and G_f to help G_y
and *fool* G_d. One backward pass does all three through a **gradient-reversal layer**
R_λ between G_f and G_d: R_λ(x) = x forward, ∂R_λ/∂x = −λ I backward. G_d then minimizes
L_d while G_f receives −λ ∂L_d/∂θ_f.

See the book: 08_transfer.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional

from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    *("GradientReversalFunction", "grad_reverse", "GradientReversal", "dann_lambda"),
    *("DANN", "dann_step", "rotate_points", "make_shifted_moons"),
]


class GradientReversalFunction(torch.autograd.Function):
    """R_λ: the identity forward, the gradient times −λ backward."""

    @staticmethod
    def forward(ctx, x: Tensor, lambd: float) -> Tensor:
        ctx.lambd = lambd
        return x.view_as(x)  # a new tensor (view) so that autograd records this node

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:
        return -ctx.lambd * grad_output, None


def grad_reverse(x: Tensor, lambd: float = 1.0) -> Tensor:
    """R_λ(x): returns x unchanged; multiplies the gradient flowing back by −λ.

    >>> x = torch.ones(3, requires_grad=True)
    >>> y = grad_reverse(x, 0.5)
    >>> torch.equal(y, x)
    True
    >>> y.sum().backward()
    >>> x.grad.tolist()
    [-0.5, -0.5, -0.5]

    See the book: 08_transfer.
    """
    x = check_tensor(x, "x")
    lambd = check_real(lambd, "lambd", low=0)
    return GradientReversalFunction.apply(x, lambd)


class GradientReversal(nn.Module):
    """:func:`grad_reverse` as a layer; set ``layer.lambd`` to ramp λ during training."""

    def __init__(self, lambd: float = 1.0):
        super().__init__()
        self.lambd = check_real(lambd, "lambd", low=0)

    def forward(self, x: Tensor) -> Tensor:
        return grad_reverse(x, self.lambd)

    def extra_repr(self) -> str:
        return f"lambd={self.lambd}"


def dann_lambda(progress: float, *, gamma: float = 10.0, lambda_max: float = 1.0) -> float:
    """Ganin et al.'s ramp λ_p = λ_max (2 / (1 + exp(−γ p)) − 1), p = training progress in [0, 1].

    λ starts at 0 (the domain classifier's signal is noise while features are random)
    and rises to about λ_max.

    >>> dann_lambda(0.0), round(dann_lambda(1.0), 4)
    (0.0, 0.9999)
    """
    p = check_real(progress, "progress", low=0, high=1)
    gamma = check_real(gamma, "gamma", low=0)
    return float(lambda_max) * (2 / (1 + math.exp(-gamma * p)) - 1)


class DANN(nn.Module):
    """Ganin et al.'s shallow DANN: G_f, G_y, and G_d behind R_λ.

    G_f = linear → ReLU (``hidden`` features, 15 in the paper's toy); G_y = linear → K
    logits; G_d = linear → ReLU → linear → one domain logit (1 = target).
    ``forward(x)`` returns the class logits, ``domain_logits(x)`` those of
    G_d(R_λ(G_f(x))), ``features(x)`` = G_f(x).

    >>> model = DANN(2, 2)
    >>> tuple(model(torch.zeros(5, 2)).shape), tuple(model.domain_logits(torch.zeros(5, 2)).shape)
    ((5, 2), (5,))
    """

    def __init__(self, in_features: int, num_classes: int, *, hidden: int = 15,
                 lambd: float = 0.0):  # fmt: skip
        super().__init__()
        in_features = check_int(in_features, "in_features", 1)
        num_classes = check_int(num_classes, "num_classes", 2)
        hidden = check_int(hidden, "hidden", 1)
        self.features = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())
        self.classifier = nn.Linear(hidden, num_classes)
        self.reversal = GradientReversal(lambd)
        self.domain_classifier = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))

    def domain_logits(self, x: Tensor) -> Tensor:
        return self.domain_classifier(self.reversal(self.features(x)))[:, 0]


def dann_step(
    model: DANN, optimizer: torch.optim.Optimizer, x_source: Tensor, y_source: Tensor,
    x_target: Tensor, lambd: float,
) -> dict[str, float]:  # fmt: skip
    """One DANN update on a source batch (labelled) and a target batch (unlabelled).

    L_y = CE(G_y(G_f(x_s)), y_s); L_d = BCE(G_d(R_λ(G_f(x))), d) over both batches with
    d = 0 for source, 1 for target. One ``backward`` of L_y + L_d trains G_y and G_d
    to minimize their losses and, through R_λ, G_f to minimize L_y − λ L_d.
    ``lambd=0`` is source-only training with a domain classifier that only watches.

    Returns ``{"label_loss", "domain_loss", "domain_accuracy"}`` of the batch.
    """
    model.train()
    model.reversal.lambd = check_real(lambd, "lambd", low=0)
    x_s, x_t = check_tensor(x_source, "x_source"), check_tensor(x_target, "x_target")
    label_loss = functional.cross_entropy(model(x_s), y_source)
    x = torch.cat([x_s, x_t])
    d = torch.cat([torch.zeros(len(x_s)), torch.ones(len(x_t))]).to(x.device, x.dtype)
    logits = model.domain_logits(x)
    domain_loss = functional.binary_cross_entropy_with_logits(logits, d)
    optimizer.zero_grad()
    (label_loss + domain_loss).backward()
    optimizer.step()
    accuracy = ((logits > 0).to(d.dtype) == d).to(torch.float64).mean()
    return {"label_loss": label_loss.item(), "domain_loss": domain_loss.item(),
            "domain_accuracy": float(accuracy)}  # fmt: skip


def rotate_points(X: np.ndarray, degrees: float, *, center: tuple[float, float] | None = None):
    """Rotate 2-D points by ``degrees`` counter-clockwise about ``center`` (default: their mean).

    >>> np.round(rotate_points(np.array([[1.0, 0.0]]), 90, center=(0, 0)), 6).tolist()
    [[0.0, 1.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    theta = math.radians(check_real(degrees, "degrees"))
    c = X.mean(axis=0) if center is None else np.asarray(center, dtype=np.float64)
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    return (X - c) @ rotation.T + c


def make_shifted_moons(
    n_samples: int = 600, *, degrees: float = 35.0, noise: float = 0.1, random_state: int = 0
):
    """Ganin et al.'s toy: two moons as the source, the same moons rotated as the target.

    Returns ``(X_source, y_source, X_target, y_target)``, float32 and int64 tensors;
    the target's labels are for evaluation only. Both are centred on the source's mean,
    and the target is rotated about it.
    """
    from sklearn.datasets import make_moons

    n_samples = check_int(n_samples, "n_samples", 2)
    X_s, y_s = make_moons(n_samples, noise=noise, random_state=random_state)
    X_t, y_t = make_moons(n_samples, noise=noise, random_state=random_state + 1)
    center = X_s.mean(axis=0)
    X_t = rotate_points(X_t, degrees, center=center)
    as_x = lambda X: torch.as_tensor(X - center, dtype=torch.float32)  # noqa: E731
    as_y = lambda y: torch.as_tensor(y, dtype=torch.int64)  # noqa: E731
    return as_x(X_s), as_y(y_s), as_x(X_t), as_y(y_t)
