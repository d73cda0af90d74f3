"""Optimizers on 2-D test functions: the paths they take, and a picture of them.

Three surfaces show the pathologies of chapter 04: an ill-conditioned
quadratic (a long narrow valley), Rosenbrock's banana-shaped valley, and the
saddle x^2 - y^2. :func:`trajectory` runs any ``torch.optim.Optimizer`` on one
of them from a starting point and records every iterate.

>>> import torch
>>> path = trajectory(quadratic, (1.0, 1.0), torch.optim.SGD, num_steps=2, lr=0.1)
>>> path.round(4).tolist()
[[1.0, 1.0], [0.9, -1.0], [0.81, 1.0]]

See the book: 04_optimization.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = ["quadratic", "rosenbrock", "saddle", "trajectory"]


def quadratic(p: Tensor, *, condition: float = 20.0) -> Tensor:
    """f(x, y) = (x^2 + condition * y^2) / 2: Hessian diag(1, condition).

    The condition number of the Hessian is ``condition``; gradient descent
    needs lr < 2 / condition to converge and then crawls along x.
    """
    return 0.5 * (p[..., 0] ** 2 + condition * p[..., 1] ** 2)


def rosenbrock(p: Tensor, *, a: float = 1.0, b: float = 100.0) -> Tensor:
    """f(x, y) = (a - x)^2 + b (y - x^2)^2, minimum 0 at (a, a^2)."""
    return (a - p[..., 0]) ** 2 + b * (p[..., 1] - p[..., 0] ** 2) ** 2


def saddle(p: Tensor) -> Tensor:
    """f(x, y) = x^2 - y^2: a saddle point at the origin, unbounded below along y."""
    return p[..., 0] ** 2 - p[..., 1] ** 2


def trajectory(
    fn: Callable[[Tensor], Tensor],
    start: Sequence[float],
    optimizer_cls: type[torch.optim.Optimizer],
    *,
    num_steps: int = 100,
    **optimizer_kwargs: Any,
) -> np.ndarray:
    """Run ``optimizer_cls`` on ``fn`` from ``start``; return the iterates.

    Returns
    -------
    ndarray of shape (num_steps + 1, 2)
        Row 0 is the start, row k the point after k steps (float64).
    """
    start_array = np.asarray(start, dtype=np.float64)
    if start_array.shape != (2,) or not np.all(np.isfinite(start_array)):
        raise ValueError(f"start must be two finite numbers (x, y), got {start!r}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 0:
        raise ValueError(f"num_steps must be a non-negative integer, got {num_steps!r}")
    point = torch.tensor(start_array, requires_grad=True)
    optimizer = optimizer_cls([point], **optimizer_kwargs)
    path = [point.detach().clone()]
    for _ in range(num_steps):
        optimizer.zero_grad()
        fn(point).backward()
        optimizer.step()
        path.append(point.detach().clone())
    return torch.stack(path).numpy()
