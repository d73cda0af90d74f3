"""SimBA, the simple black-box attack (Guo et al., 2019): only the model's output probabilities.

A black-box attacker cannot compute ∇_x J; it can only query p_h(· | x'). SimBA walks
along a set Q of orthonormal directions q, drawn without replacement, and for each one
tries x' + εq and then x' − εq; a step is kept when it lowers the probability of the
true class, p'_y < p_y, and the walk moves on to the next direction only after a step
was accepted or both signs failed. It stops when y is no longer the arg-max (success),
or when the query budget or the directions run out.

Two bases: ``"pixel"`` (the standard basis, one pixel at a time; each pixel moves at
most once, so ‖δ‖∞ ≤ ε) and ``"dct"`` (the 2-D DCT-II basis of each channel,
low frequencies first, which finds a successful direction with fewer queries).
After T accepted steps, ‖δ‖₂ ≤ ε√T: the directions are orthonormal, and clipping
into [0, 1] only shortens a step.

Note the seeds' pseudocode puts the ``break`` outside the ``if``, which gives up on a
direction after the first sign; in the algorithm it sits inside: try +ε, and −ε only
when +ε was refused.

See the book: 12_adversarial.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from course_lib.validation import check_int, check_real, check_tensor

__all__ = ["SimBAResult", "dct_matrix", "simba", "simba_accepts"]


def simba_accepts(p_new: Tensor, p_old: Tensor) -> Tensor:
    """SimBA's acceptance rule: keep a step when the true class's probability fell.

    Strictly: p'_y < p_y (an equal probability is refused, so the walk never stalls on a
    plateau and p_y never increases).

    >>> simba_accepts(torch.tensor([0.4, 0.5, 0.6]), torch.tensor([0.5, 0.5, 0.5]))
    tensor([ True, False, False])
    """
    return p_new < p_old


def dct_matrix(n: int, *, dtype: torch.dtype = torch.float32, device=None) -> Tensor:
    """The orthonormal DCT-II matrix D (n × n); row k is the k-th cosine basis vector.

    D[k, i] = c_k cos(π (2i + 1) k / (2n)), c_0 = √(1/n), c_k = √(2/n): D Dᵀ = I.

    >>> D = dct_matrix(4, dtype=torch.float64)
    >>> torch.allclose(D @ D.T, torch.eye(4, dtype=torch.float64))
    True
    """
    n = check_int(n, "n", 1)
    k = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(n, dtype=torch.float64)[None, :]
    D = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    D[0] /= math.sqrt(2)
    return D.to(dtype=dtype, device=device)


@dataclass
class SimBAResult:
    """What :func:`simba` returns, one entry per image.

    Attributes
    ----------
    x_adv : Tensor like x
    success : bool Tensor (N,)
        The arg-max is no longer the true class.
    queries : int Tensor (N,)
        Model evaluations spent on the image, the first one included.
    probability : Tensor (N,)
        The true class's final probability.
    l2, linf : Tensor (N,)
        ‖x_adv − x‖₂ and ‖x_adv − x‖∞.
    """

    x_adv: Tensor
    success: Tensor
    queries: Tensor
    probability: Tensor
    l2: Tensor
    linf: Tensor


def _orders(n: int, shape: tuple[int, ...], basis: str, generator, device) -> Tensor:
    """For each image, the order in which it visits the d directions (flat indices)."""
    d = math.prod(shape)
    if basis == "pixel":
        return torch.stack([torch.randperm(d, generator=generator) for _ in range(n)]).to(device)
    channels, height, width = shape
    u = torch.arange(height)[:, None].expand(height, width)
    v = torch.arange(width)[None, :].expand(height, width)
    band = torch.maximum(u, v).reshape(-1).repeat(channels).double()  # low frequencies first
    noise = torch.rand((n, d), generator=generator, dtype=torch.float64)
    return torch.argsort(band[None, :] + noise, dim=1).to(device)


def _directions(index: Tensor, shape: tuple[int, ...], dct, dtype) -> Tensor:
    """The unit directions q with these flat indices, one per row (``dct=None``: pixels)."""
    q = torch.zeros((len(index), math.prod(shape)), dtype=dtype, device=index.device)
    if dct is None:
        q[torch.arange(len(index), device=index.device), index] = 1.0
        return q.reshape(len(index), *shape)
    _, height, width = shape
    c, rest = index // (height * width), index % (height * width)
    u, v = rest // width, rest % width
    planes = dct[0][u][:, :, None] * dct[1][v][:, None, :]  # (n, H, W), unit norm
    q = q.reshape(len(index), shape[0], height, width)
    q[torch.arange(len(index), device=index.device), c] = planes
    return q


def simba(
    predict_proba: Callable[[Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    epsilon: float = 0.2,
    max_queries: int = 1000,
    basis: str = "pixel",
    clip: tuple[float, float] = (0.0, 1.0),
    generator: torch.Generator | None = None,
) -> SimBAResult:
    """Attack a batch of images with SimBA, each image on its own walk.

    Parameters
    ----------
    predict_proba : callable
        Maps a batch of inputs to class probabilities (N, K); called under
        ``torch.no_grad()``, the only access to the model.
    x : Tensor (N, C, H, W) (or (N, D) with ``basis="pixel"``), inside ``clip``
    y : Tensor (N,) of true labels
    epsilon : float > 0
        The step along each direction.
    max_queries : int ≥ 1
        The budget per image, the first evaluation of x included.
    basis : "pixel" or "dct"
    generator : torch.Generator, optional
        Draws each image's order of directions.

    Returns
    -------
    SimBAResult
    """
    check_tensor(x, "x")
    check_tensor(y, "y")
    if x.ndim < 2 or y.shape != (len(x),):
        raise ValueError(
            f"x must be (N, ...) and y (N,), got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    epsilon = check_real(epsilon, "epsilon", low=0, low_open=True)
    max_queries = check_int(max_queries, "max_queries", 1)
    if basis not in ("pixel", "dct"):
        raise ValueError(f"basis must be 'pixel' or 'dct', got {basis!r}")
    if basis == "dct" and x.ndim != 4:
        raise ValueError(f"basis='dct' needs images (N, C, H, W), got x of shape {tuple(x.shape)}")
    shape, n = tuple(x.shape[1:]), len(x)
    dct = None
    if basis == "dct":
        dct = [dct_matrix(side, dtype=x.dtype, device=x.device) for side in shape[-2:]]
    orders = _orders(n, shape, basis, generator, x.device)
    rows = torch.arange(n, device=x.device)
    with torch.no_grad():
        x = x.detach()
        x_adv = x.clone()
        probabilities = predict_proba(x_adv)
        if probabilities.shape[0] != n or probabilities.ndim != 2:
            raise ValueError(
                "predict_proba must return probabilities of shape (N, K), "
                f"got {tuple(probabilities.shape)}"
            )
        p_y = probabilities[rows, y]
        fooled = probabilities.argmax(dim=1) != y
        queries = torch.ones(n, dtype=torch.long, device=x.device)
        for step in range(orders.shape[1]):
            walking = ~fooled & (queries < max_queries)
            if not walking.any():
                break
            index = walkers = rows[walking]
            q = _directions(orders[walkers, step], shape, dct, x.dtype)
            for sign in (1.0, -1.0):
                trying = index[queries[index] < max_queries]
                if len(trying) == 0:
                    break
                q_try = q[torch.searchsorted(walkers, trying)]
                candidate = (x_adv[trying] + sign * epsilon * q_try).clamp(*clip)
                p_new = predict_proba(candidate)
                queries[trying] += 1
                accepted = simba_accepts(p_new[torch.arange(len(trying)), y[trying]], p_y[trying])
                kept = trying[accepted]
                x_adv[kept] = candidate[accepted]
                p_y[kept] = p_new[accepted, y[kept]]
                fooled[kept] = p_new[accepted].argmax(dim=1) != y[kept]
                index = trying[~accepted]  # only the refused try the other sign
        delta = (x_adv - x).reshape(n, -1)
    return SimBAResult(x_adv, fooled, queries, p_y, delta.norm(dim=1), delta.abs().amax(dim=1))
