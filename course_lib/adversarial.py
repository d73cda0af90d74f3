"""White-box adversarial attacks in the L∞ threat model: FGSM and PGD, and how to measure them.

An attack looks for an input x' close to x that the model misclassifies. "Close" is the
threat model: here the L∞ ball B_ε(x) = {x' : max_i |x'_i − x_i| ≤ ε}, intersected with
the valid pixel range [0, 1] (an image outside it is not an image). A white-box attacker
knows the model and its gradient ∇_x J(x, y) with respect to the *input*.

- FGSM (Goodfellow et al., 2015): one step of size ε along the sign of that gradient,
  x' = clip_[0,1](x + ε · sign(∇_x J(x, y))).
- PGD (Madry et al., 2018): many steps of size α, each followed by the projection onto
  B_ε(x) ∩ [0, 1], from a random start inside the ball.

A targeted attack descends the loss of a chosen class instead of ascending the loss of
the true one: x' = x − ε · sign(∇_x J(x, t)).

:func:`robust_accuracy` measures a model under any attack; :class:`AdversarialBatches`
feeds adversarial batches to the course's one training loop (:func:`course_lib.training.fit`),
which is adversarial training.

>>> import torch
>>> x = torch.tensor([[0.05, 0.50, 0.97]])
>>> project_linf(torch.tensor([[-0.30, 0.58, 1.20]]), x, 0.1)
tensor([[0.0000, 0.5800, 1.0000]])

See the book: 12_adversarial.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

# fit's own reading of data (a loader, or tensors cut into batches), so both accept the same
from course_lib.training import _batches, model_device
from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    "AdversarialBatches",
    "fgsm",
    "fgsm_step",
    "input_gradient",
    "pgd",
    "pgd_step",
    "project_linf",
    "robust_accuracy",
]

LossFn = Callable[[Tensor, Tensor], Tensor]
Attack = Callable[[nn.Module, Tensor, Tensor], Tensor]


def _check_clip(clip: tuple[float, float] | None) -> tuple[float, float] | None:
    if clip is None:
        return None
    if not (isinstance(clip, tuple) and len(clip) == 2):
        raise TypeError(f"clip must be a (low, high) pair or None, got {clip!r}")
    low, high = check_real(clip[0], "clip[0]"), check_real(clip[1], "clip[1]")
    if low >= high:
        raise ValueError(f"clip must have low < high, got {clip!r}")
    return low, high


def project_linf(
    x_adv: Tensor, x: Tensor, epsilon: float, *, clip: tuple[float, float] | None = (0.0, 1.0)
) -> Tensor:
    """Project ``x_adv`` onto the L∞ ball B_ε(x), intersected with the box ``clip``.

    Coordinate by coordinate: x'_i ← min(max(x'_i, x_i − ε), x_i + ε), then into
    [low, high]. Both sets are boxes, so clamping into one and then the other is the
    exact (Euclidean) projection onto their intersection, which is not empty when x
    itself lies in [low, high].

    Parameters
    ----------
    x_adv, x : Tensor of the same shape
    epsilon : float ≥ 0
        The radius of the ball.
    clip : (low, high) or None
        The valid range of the input; None: no range.
    """
    check_tensor(x_adv, "x_adv")
    check_tensor(x, "x")
    if x_adv.shape != x.shape:
        raise ValueError(
            f"x_adv and x must have the same shape, got {tuple(x_adv.shape)} and {tuple(x.shape)}"
        )
    epsilon = check_real(epsilon, "epsilon", low=0)
    clip = _check_clip(clip)
    projected = torch.minimum(torch.maximum(x_adv, x - epsilon), x + epsilon)
    return projected.clamp(*clip) if clip is not None else projected


def _summed_cross_entropy(output: Tensor, target: Tensor) -> Tensor:
    return nn.functional.cross_entropy(output, target, reduction="sum")


def input_gradient(
    model: nn.Module, x: Tensor, y: Tensor, *, loss_fn: LossFn | None = None
) -> Tensor:
    """∇_x J(x, y): the gradient of the loss with respect to the input, not the weights.

    The default J is the cross-entropy summed over the batch, so each row's gradient is
    that of its own loss (a mean would divide every row by N: the same signs). The
    parameters' ``.grad`` are left untouched, and so is the train/eval mode.
    """
    check_tensor(x, "x")
    loss_fn = loss_fn or _summed_cross_entropy
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (gradient,) = torch.autograd.grad(loss_fn(model(x), y), x)
    return gradient


def fgsm_step(
    x: Tensor,
    gradient: Tensor,
    epsilon: float,
    *,
    targeted: bool = False,
    clip: tuple[float, float] | None = (0.0, 1.0),
) -> Tensor:
    """x' = clip(x + ε · sign(∇_x J)) — or x − ε · sign(∇_x J) towards a target class.

    >>> fgsm_step(torch.tensor([0.5, 0.95, 0.5]), torch.tensor([2.0, 3.0, 0.0]), 0.1)
    tensor([0.6000, 1.0000, 0.5000])
    """
    check_tensor(gradient, "gradient")
    epsilon = check_real(epsilon, "epsilon", low=0)
    direction = -1.0 if targeted else 1.0
    x_adv = x + direction * epsilon * gradient.sign()
    clip = _check_clip(clip)
    return x_adv.clamp(*clip) if clip is not None else x_adv


def fgsm(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    epsilon: float,
    *,
    targeted: bool = False,
    clip: tuple[float, float] | None = (0.0, 1.0),
    loss_fn: LossFn | None = None,
) -> Tensor:
    """The fast gradient sign method: one step of size ε along sign(∇_x J(x, y)).

    Parameters
    ----------
    model : nn.Module mapping x to logits
    x : Tensor (N, ...), in the range ``clip``
    y : Tensor (N,)
        The true labels; with ``targeted=True``, the classes to push towards.
    epsilon : float ≥ 0
        The L∞ budget: no input value moves by more than ε.

    Returns
    -------
    Tensor like x, detached.
    """
    epsilon = check_real(epsilon, "epsilon", low=0)
    gradient = input_gradient(model, x, y, loss_fn=loss_fn)
    return fgsm_step(x.detach(), gradient, epsilon, targeted=targeted, clip=clip)


def pgd_step(
    x_adv: Tensor,
    gradient: Tensor,
    x: Tensor,
    epsilon: float,
    alpha: float,
    *,
    targeted: bool = False,
    clip: tuple[float, float] | None = (0.0, 1.0),
) -> Tensor:
    """One PGD iteration: x_{t+1} = Proj_{B_ε(x) ∩ [0,1]}(x_t + α · sign(∇_x J(x_t, y))).

    The step comes first and the projection second; projecting first and then stepping
    can leave the ball by α.

    >>> x = torch.tensor([0.5, 0.5])
    >>> pgd_step(torch.tensor([0.58, 0.5]), torch.tensor([1.0, -1.0]), x, 0.1, 0.04)
    tensor([0.6000, 0.4600])
    """
    alpha = check_real(alpha, "alpha", low=0)
    direction = -1.0 if targeted else 1.0
    return project_linf(x_adv + direction * alpha * gradient.sign(), x, epsilon, clip=clip)


def pgd(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    epsilon: float,
    *,
    alpha: float | None = None,
    steps: int = 10,
    random_start: bool = True,
    targeted: bool = False,
    clip: tuple[float, float] | None = (0.0, 1.0),
    loss_fn: LossFn | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Projected gradient descent on the loss (ascent; descent on the target's loss).

    x_0 = Proj(x + U(−ε, ε)) with a random start (else x), then ``steps`` times
    x_{t+1} = Proj_{B_ε(x) ∩ [0,1]}(x_t + α · sign(∇_x J(x_t, y))).

    Parameters
    ----------
    alpha : float, optional
        The step; default 2.5 ε / steps (Madry et al. 2018), enough to cross the ball.
    steps : int ≥ 1
    random_start : bool
        Start at a uniformly random point of the ball, so that the attack does not begin
        where the gradient may be uninformative (exactly at x) and restarts differ.
    generator : torch.Generator, optional
        Draws the random start (on x's device).

    Returns
    -------
    Tensor like x, detached: the last iterate.
    """
    epsilon = check_real(epsilon, "epsilon", low=0)
    steps = check_int(steps, "steps", 1)
    alpha = 2.5 * epsilon / steps if alpha is None else check_real(alpha, "alpha", low=0)
    x = x.detach()
    x_adv = x
    if random_start:
        noise = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        x_adv = project_linf(x + (2 * noise - 1) * epsilon, x, epsilon, clip=clip)
    for _ in range(steps):
        gradient = input_gradient(model, x_adv, y, loss_fn=loss_fn)
        x_adv = pgd_step(x_adv, gradient, x, epsilon, alpha, targeted=targeted, clip=clip)
    return x_adv


def robust_accuracy(
    model: nn.Module,
    data: Any,
    attack: Attack | None,
    *,
    batch_size: int = 512,
    progress: bool = False,
    description: str = "attacking",
) -> float:
    """The share of samples still classified correctly after ``attack(model, x, y)``.

    ``attack=None`` measures clean accuracy. The model is put in eval mode while it is
    attacked and scored (dropout and batch-norm statistics fixed), then its mode is
    restored. A sample counts as robust when the prediction on its attacked version is
    the true label; the attack is free to fail and return x.

    >>> from functools import partial
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> X, y = torch.rand(10, 4), torch.randint(0, 3, (10,))
    >>> clean = robust_accuracy(net, (X, y), None)
    >>> robust_accuracy(net, (X, y), partial(fgsm, epsilon=0.0)) == clean
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if attack is not None and not callable(attack):
        raise TypeError(
            f"attack must be callable(model, x, y) or None, got {type(attack).__name__}"
        )
    batches = _batches(data, "data", check_int(batch_size, "batch_size", 1), shuffle=False)
    device = model_device(model)
    was_training = model.training
    model.eval()
    correct, count = 0, 0
    try:
        for X, y in tqdm(batches, desc=description, disable=not progress, leave=True):
            X, y = X.to(device), y.to(device)
            if attack is not None:
                X = attack(model, X, y)
            with torch.no_grad():
                correct += int((model(X).argmax(dim=1) == y).sum())
            count += len(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("data yielded no samples")
    return correct / count


class AdversarialBatches:
    """The batches of ``data`` with every input replaced by ``attack(model, x, y)``.

    Given to :func:`course_lib.training.fit` as its data, this is adversarial training,
    min_θ E max_{x' ∈ B_ε(x)} J(θ, x', y): each batch is attacked with the weights of that
    moment (the loader is lazy), in eval mode, then the model returns to training mode for
    its step. ``fraction`` < 1 attacks only the first part of each batch and keeps the
    rest clean (a mix of clean and adversarial loss).

    >>> from functools import partial
    >>> from course_lib.training import fit
    >>> net = nn.Sequential(nn.Linear(4, 3))
    >>> X, y = torch.rand(32, 4), torch.randint(0, 3, (32,))
    >>> batches = AdversarialBatches((X, y), net, partial(fgsm, epsilon=0.1), batch_size=8)
    >>> fit(net, batches, num_epochs=1, progress=False)["updates"]
    [4]
    """

    def __init__(
        self,
        data: Any,
        model: nn.Module,
        attack: Attack,
        *,
        batch_size: int | None = None,
        fraction: float = 1.0,
        generator: torch.Generator | None = None,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not callable(attack):
            raise TypeError(f"attack must be callable(model, x, y), got {type(attack).__name__}")
        self.fraction = check_real(fraction, "fraction", low=0, high=1)
        self.data = _batches(data, "data", batch_size, shuffle=True, generator=generator)
        self.model, self.attack = model, attack

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        for X, y in self.data:
            device = model_device(self.model)
            X, y = X.to(device), y.to(device)
            k = math.ceil(self.fraction * len(X))
            was_training = self.model.training
            self.model.eval()
            try:
                attacked = self.attack(self.model, X[:k], y[:k]) if k else X[:0]
            finally:
                self.model.train(was_training)
            yield torch.cat([attacked.detach(), X[k:]]), y
