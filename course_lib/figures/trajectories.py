"""Pictures of optimizers walking on 2-D test functions: contours with paths, and an animation.

The paths come from :func:`course_lib.trajectories.trajectory`.

See the book: 04_optimization.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from torch import Tensor

from course_lib.plotting import axes_or_new
from course_lib.validation import check_int

__all__ = ["animate_trajectories", "plot_trajectories"]


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
    ax = axes_or_new(ax, figsize=(6, 5))
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
    check_int(frames, "frames", 1)
    steps = lengths.pop()
    fig, ax = plt.subplots(figsize=(6, 5))
    plot_trajectories(
        fn, {}, xlim=xlim, ylim=ylim, ax=ax, title=title, levels=levels, log_levels=log_levels
    )
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
