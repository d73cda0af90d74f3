"""Chapter 06 weight penalties and weight decay.

- L2: L + λ/2 ‖W‖²; its gradient adds λW ("coupled" decay, what the optimizers'
  ``weight_decay`` argument does to the gradient before Adam rescales it).
- L1: L + λ Σ|w|; its subgradient λ sign(w) pushes small weights to exactly zero.
- Decoupled weight decay (Loshchilov & Hutter 2019): θ ← θ − η λ θ beside the
  optimizer's step, not through its gradient; with Adam this is ``torch.optim.AdamW``.
- No decay on biases and normalization parameters (He et al. 2019): two parameter
  groups.
- Activation regularization: λ/2 times the mean squared norm of a layer's outputs.

See the book: 06_regularization.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from course_lib.callbacks import Callback, TrainingState
from course_lib.validation import check_real, check_tensor

__all__ = [
    *("l2_penalty", "l1_penalty", "activation_penalty", "fraction_near_zero"),
    *("param_groups", "decoupled_weight_decay_", "DecoupledWeightDecay"),
]


def _weights(parameters: Iterable[Tensor]) -> list[Tensor]:
    weights = list(parameters)
    for w in weights:
        check_tensor(w, "parameters")
    return weights


def l2_penalty(parameters: Iterable[Tensor], lam: float) -> Tensor:
    """λ/2 Σ_W ‖W‖²: add it to the loss; its gradient is λW.

    >>> float(l2_penalty([torch.tensor([3.0, 4.0])], 0.1))
    1.25
    """
    lam = check_real(lam, "lam", low=0)
    return lam / 2 * sum((w**2).sum() for w in _weights(parameters))


def l1_penalty(parameters: Iterable[Tensor], lam: float) -> Tensor:
    """λ Σ_W Σ|w|: add it to the loss; its subgradient is λ sign(w).

    >>> round(float(l1_penalty([torch.tensor([3.0, -4.0])], 0.1)), 6)
    0.7
    """
    lam = check_real(lam, "lam", low=0)
    return lam * sum(w.abs().sum() for w in _weights(parameters))


def activation_penalty(activations: Tensor, lam: float) -> Tensor:
    """λ/2 · (1/N) Σ_n ‖a_n‖²: penalize large outputs of a layer rather than weights.

    Shape: activations (N, *) → scalar.

    >>> float(activation_penalty(torch.tensor([[1.0, 1.0], [2.0, 0.0]]), 1.0))
    1.5
    """
    a = check_tensor(activations, "activations")
    lam = check_real(lam, "lam", low=0)
    return lam / 2 * (a**2).reshape(a.shape[0], -1).sum(dim=1).mean()


def fraction_near_zero(parameters: Iterable[Tensor], tol: float = 1e-3) -> float:
    """The share of weights with |w| < tol (how sparse an L1 penalty made them).

    >>> fraction_near_zero([torch.tensor([0.0, 1e-5, 0.5, -2.0])])
    0.5
    """
    tol = check_real(tol, "tol", low=0, low_open=True)
    weights = torch.cat([w.detach().flatten() for w in _weights(parameters)])
    return float((weights.abs() < tol).double().mean())


NO_DECAY_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two optimizer groups: weights with ``weight_decay``, the rest with 0.

    Biases, and the γ, β of normalization layers (any parameter with fewer than two
    dimensions), get no decay: shrinking them toward 0 does not make the function
    smoother, it only changes the offsets and scales the network needs.

    >>> net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    >>> [(len(g["params"]), g["weight_decay"]) for g in param_groups(net, 5e-4)]
    [(2, 0.0005), (4, 0.0)]

    See the book: 06_regularization.
    """
    weight_decay = check_real(weight_decay, "weight_decay", low=0)
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]  # fmt: skip


@torch.no_grad()
def decoupled_weight_decay_(optimizer: torch.optim.Optimizer, weight_decay: float) -> None:
    """θ ← (1 − η λ) θ for every parameter of ``optimizer`` (η: its group's lr).

    Called just before ``optimizer.step()`` of an Adam without ``weight_decay``, the
    pair equals one step of ``torch.optim.AdamW(weight_decay=λ)``. A group's own
    ``"decoupled_decay"`` entry overrides λ (0 for biases and γ, β).
    """
    weight_decay = check_real(weight_decay, "weight_decay", low=0)
    for group in optimizer.param_groups:
        lam = group.get("decoupled_decay", weight_decay)
        for p in group["params"]:
            if p.grad is not None and lam != 0:
                p.mul_(1 - group["lr"] * lam)


class DecoupledWeightDecay(Callback):
    """:func:`decoupled_weight_decay_` before every optimizer step of ``fit``.

    >>> from course_lib.training import fit
    >>> net = nn.Linear(3, 2)
    >>> X, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
    >>> opt = torch.optim.Adam(net.parameters(), lr=0.01)
    >>> history = fit(net, (X, y), batch_size=8, num_epochs=1, optimizer=opt,
    ...               callbacks=[DecoupledWeightDecay(0.1)], progress=False, seed=0)
    >>> history["updates"]
    [2]
    """

    def __init__(self, weight_decay: float):
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0)

    def after_backward(self, state: TrainingState) -> None:
        decoupled_weight_decay_(state.optimizer, self.weight_decay)
