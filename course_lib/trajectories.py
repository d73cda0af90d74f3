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

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from torch import Tensor

__all__ = [
    *("animate_trajectories", "plot_trajectories", "quadratic", "rosenbrock", "saddle"),
    "trajectory",
]


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


def plot_trajectories(
    fn: Callable[[Tensor], Tensor],
    paths: dict[str, np.ndarray],
    *,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-2.0, 2.0),
    ax: Axes | None = None,
    title: str = "Optimizer trajectories",
    levels: int = 30,
    log_levels: bool = False,
) -> Axes:
    """Contours of ``fn`` with one line per named path (start marked with a dot)."""
    ax = ax if ax is not None else plt.subplots(figsize=(6, 5))[1]
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    grid = torch.tensor(np.stack(np.meshgrid(xs, ys), axis=-1))  # (200, 200, 2)
    with torch.no_grad():
        z = fn(grid).numpy()
    if log_levels:
        z = np.log1p(z - z.min())
    ax.contour(xs, ys, z, levels=levels, cmap="Greys", linewidths=0.7)
    for name, path in paths.items():
        path = np.asarray(path)
        (line,) = ax.plot(path[:, 0], path[:, 1], lw=1.8, label=name)
        ax.plot(path[0, 0], path[0, 1], "o", color=line.get_color())
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title(title)
    if paths:
        ax.legend(fontsize=8)
    return ax


def animate_trajectories(
    fn: Callable[[Tensor], Tensor],
    paths: dict[str, np.ndarray],
    *,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-2.0, 2.0),
    title: str = "Optimizer trajectories",
    frames: int = 60,
    interval: int = 80,
    levels: int = 30,
    log_levels: bool = False,
) -> FuncAnimation:
    """An animation of several optimizers walking on ``fn``, drawn over its contours.

    Frame k shows every path up to step ``round(k * (steps - 1) / (frames - 1))``,
    so all paths (of equal length) finish together in the last frame. The figure
    is closed; embed it with ``IPython.display.HTML(anim.to_jshtml())``, which
    plays in the HTML book without a kernel.

    See the book: 04_optimization.
    """
    if not paths:
        raise ValueError("paths must hold at least one named trajectory")
    arrays = {name: np.asarray(path, dtype=np.float64) for name, path in paths.items()}
    lengths = {len(path) for path in arrays.values()}
    for name, path in arrays.items():
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(f"path {name!r} must have shape (steps, 2), got {path.shape}")
    if len(lengths) != 1:
        raise ValueError(f"every path must have the same number of steps, got {sorted(lengths)}")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames must be a positive integer, got {frames!r}")
    steps = lengths.pop()
    fig, ax = plt.subplots(figsize=(6, 5))
    plot_trajectories(fn, {}, xlim=xlim, ylim=ylim, ax=ax, title=title, levels=levels,
                      log_levels=log_levels)
    lines, heads = [], []
    for name, path in arrays.items():
        (line,) = ax.plot(path[:1, 0], path[:1, 1], lw=1.8, label=name)
        (head,) = ax.plot(path[:1, 0], path[:1, 1], "o", color=line.get_color())
        lines.append(line)
        heads.append(head)
    ax.legend(fontsize=8, loc="upper right")
    counter = ax.text(0.02, 0.02, "", transform=ax.transAxes)
    stops = np.rint(np.linspace(0, steps - 1, frames)).astype(int)

    def update(i: int):
        k = stops[i]
        for line, head, path in zip(lines, heads, arrays.values(), strict=True):
            line.set_data(path[: k + 1, 0], path[: k + 1, 1])
            head.set_data(path[k : k + 1, 0], path[k : k + 1, 1])
        counter.set_text(f"step {k}")
        return [*lines, *heads, counter]

    anim = FuncAnimation(fig, update, frames=frames, interval=interval, blit=False)
    plt.close(fig)
    return anim
