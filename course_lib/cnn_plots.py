"""Figures and a widget for chapter 05: images, filters, feature maps, training curves.

Each function draws with Matplotlib, gives every panel a title (and the
curves their axis labels and units) and returns the ``Figure`` or ``Axes``.
:class:`ConvArithmeticCalculator` is the interactive twin of
:func:`plot_window_positions`: sliders for N, F, P, S, D and K, the output
size and the parameter count, and the figure redrawn.

See the book: 05_cnn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython import get_ipython
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_lib.cnn import conv_params, output_size

__all__ = [
    "ConvArithmeticCalculator",
    "plot_histories",
    "plot_window_positions",
    "show_feature_maps",
    "show_filters",
    "show_images",
]

HISTORY_LABELS = {
    "train_loss": ("training loss", "cross-entropy (nats)"),
    "val_loss": ("test loss", "cross-entropy (nats)"),
    "train_accuracy": ("training accuracy", "accuracy"),
    "val_accuracy": ("test accuracy", "accuracy"),
}


def _array(image: Any) -> np.ndarray:
    if hasattr(image, "detach"):
        image = image.detach().cpu().numpy()
    return np.asarray(image, dtype=np.float64)


def _grid(n: int, ncols: int | None, size: float) -> tuple[Figure, np.ndarray]:
    ncols = min(n, ncols or 8)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows + 0.6), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes.flat[:n]


def show_images(
    images: Sequence[Any],
    *,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    ncols: int | None = None,
    cmap: str = "gray",
    size: float = 2.5,
    symmetric: bool | Sequence[bool] = False,
    same_scale: bool = False,
) -> Figure:
    """Show images side by side, each with its title and no axis ticks.

    Parameters
    ----------
    images : sequence of (H, W) or (H, W, 3) arrays or tensors
        A (1, H, W) or (3, H, W) tensor is also accepted (channels first).
    symmetric : bool or sequence of bool
        Colour around zero with a diverging map (for filter responses that
        are negative and positive), the same range on both sides; one flag
        for all images or one per image.
    same_scale : bool
        Colour every grey image on one common range (the smallest and
        largest value over all of them), so that brightness compares across
        panels.
    """
    if len(images) == 0:
        raise ValueError("images is empty: nothing to show")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image: {len(titles)} for {len(images)}")
    flags = [symmetric] * len(images) if isinstance(symmetric, bool) else list(symmetric)
    if len(flags) != len(images):
        raise ValueError(f"symmetric must be a bool or one per image: {len(flags)} flags")
    arrays = [_array(image) for image in images]
    common = (min(a.min() for a in arrays), max(a.max() for a in arrays)) if same_scale else None
    fig, axes = _grid(len(images), ncols, size)
    for k, (ax, image) in enumerate(zip(axes, arrays, strict=True)):
        img = image
        if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
            img = np.moveaxis(img, 0, -1)
        img = img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img
        if flags[k]:
            bound = float(np.abs(img).max()) or 1.0
            shown = ax.imshow(img, cmap="RdBu_r", vmin=-bound, vmax=bound)
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
        else:
            low, high = common if common is not None and img.ndim == 2 else (None, None)
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=low, vmax=high)
        ax.set_title(titles[k] if titles is not None else f"image {k}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_filters(weight: Any, *, title: str = "Filters", ncols: int = 8) -> Figure:
    """The K filters of a convolution layer, weight of shape (K, D, F, F), one panel each.

    A grey input (D = 1) is shown with a diverging map centred on 0 (red
    positive, blue negative); a colour input (D = 3) as an RGB image rescaled to
    [0, 1]; otherwise the first input channel.
    """
    w = _array(weight)
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (K, D, F, F), got {w.shape}")
    fig, axes = _grid(w.shape[0], ncols, 1.3)
    bound = float(np.abs(w).max()) or 1.0
    for k, ax in enumerate(axes):
        if w.shape[1] == 3:
            rgb = np.moveaxis(w[k], 0, -1)
            ax.imshow((rgb - rgb.min()) / (np.ptp(rgb) or 1.0))
        else:
            ax.imshow(w[k, 0], cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.set_title(f"filter {k}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_feature_maps(
    maps: Any, *, title: str = "Feature maps", max_maps: int = 16, ncols: int = 8
) -> Figure:
    """The first ``max_maps`` channels of one sample's feature maps, shape (C, H, W)."""
    m = _array(maps)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (C, H, W) or (1, C, H, W), got {m.shape}")
    shown = m[:max_maps]
    fig, axes = _grid(len(shown), ncols, 1.3)
    for k, ax in enumerate(axes):
        ax.imshow(shown[k], cmap="viridis")
        ax.set_title(f"channel {k}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{title} ({m.shape[0]} maps of {m.shape[1]} x {m.shape[2]})")
    fig.tight_layout()
    return fig


def plot_histories(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    keys: Sequence[str] = ("train_loss", "val_accuracy"),
    suptitle: str | None = None,
) -> Figure:
    """Curves of several training runs side by side, one panel per history key.

    ``histories`` maps a run's name to the dict returned by
    :func:`course_lib.training.fit`; every run is drawn in every panel.
    """
    if not histories:
        raise ValueError("histories is empty: nothing to plot")
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 3.8), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for name, history in histories.items():
            if key not in history:
                raise KeyError(f"history {name!r} has no {key!r}; it has {sorted(history)}")
            epochs = history.get("epoch", range(1, len(history[key]) + 1))
            ax.plot(list(epochs), history[key], marker="o", ms=3, label=name)
        title, unit = HISTORY_LABELS.get(key, (key, key))
        ax.set_title(title[0].upper() + title[1:] + " per epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.legend()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_window_positions(
    n: int, f: int, stride: int = 1, padding: int = 0, *, ax: Axes | None = None
) -> Axes:
    """One row of a padded input and every position of a filter sliding over it.

    Cells of the input are white, padding grey, and cells that no window
    covers (when S does not divide N - F + 2P) red: the floor in
    floor((N - F + 2P) / S) + 1 drops them.
    """
    out = output_size(n, f, stride=stride, padding=padding)
    total = n + 2 * padding
    last_end = (out - 1) * stride + f
    if ax is None:
        ax = plt.subplots(figsize=(min(14, 1 + 0.45 * total), 1.2 + 0.32 * out))[1]
    for c in range(total):
        colour = "0.85" if c < padding or c >= padding + n else "white"
        if c >= last_end:
            colour = "tab:red"
        ax.add_patch(Rectangle((c, 0), 1, 1, facecolor=colour, edgecolor="black"))
    for k in range(out):
        y = -0.6 - 0.45 * k
        ax.add_patch(Rectangle((k * stride + 0.05, y), f - 0.1, 0.35, color="tab:blue", alpha=0.6))
        ax.text(k * stride + f / 2, y + 0.17, str(k), ha="center", va="center", fontsize=7)
    ax.set_xlim(-0.2, total + 0.2)
    ax.set_ylim(-0.6 - 0.45 * out, 1.2)
    ax.set_yticks([])
    ax.set_xlabel("position in the padded input (pixels)")
    left = total - last_end
    fate = f"{left} cell(s) never covered (red)" if left else "the windows tile the input exactly"
    ax.set_title(
        f"N={n}, F={f}, P={padding}, S={stride}: floor(({n} - {f} + 2·{padding}) / {stride}) + 1 "
        f"= {out} positions; {fate}",
        fontsize=10,
    )
    return ax


class ConvArithmeticCalculator:
    """Sliders for N, F, P, S, D and K: the output size, the parameter count and the windows.

    Moving a slider recomputes ``self.result`` (output side, parameters, uncovered
    rows) and redraws :func:`plot_window_positions`. A combination where the
    filter does not fit is reported in the summary instead of raising.

    >>> calc = ConvArithmeticCalculator(n=7, f=3, padding=0, stride=2, d=3, k=8)
    >>> calc.result["output"], calc.result["params"]
    (3, 224)
    >>> calc.sliders["stride"].value = 3
    >>> calc.result["output"], calc.result["uncovered"]
    (2, 1)

    See the book: 05_cnn.
    """

    def __init__(
        self, *, n: int = 7, f: int = 3, padding: int = 0, stride: int = 1, d: int = 3, k: int = 8
    ):
        def slider(value: int, low: int, high: int, text: str) -> widgets.IntSlider:
            return widgets.IntSlider(value=value, min=low, max=high, description=text,
                                     continuous_update=False)  # fmt: skip

        self.sliders = {
            "n": slider(n, 1, 32, "N (input)"),
            "f": slider(f, 1, 11, "F (filter)"),
            "padding": slider(padding, 0, 5, "P (padding)"),
            "stride": slider(stride, 1, 5, "S (stride)"),
            "d": slider(d, 1, 512, "D (depth)"),
            "k": slider(k, 1, 512, "K (filters)"),
        }
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.result: dict[str, Any] = {}
        self._fig = plt.figure(figsize=(12, 3))
        plt.close(self._fig)  # drawn into the Output widget only
        for s in self.sliders.values():
            s.observe(lambda _change: self._update(), names="value")
        self._update()

    @property
    def widget(self) -> widgets.VBox:
        """Sliders in two rows, the summary line and the figure."""
        names = list(self.sliders)
        rows = [widgets.HBox([self.sliders[k] for k in names[:3]]),
                widgets.HBox([self.sliders[k] for k in names[3:]])]  # fmt: skip
        return widgets.VBox([*rows, self.summary, self.output])

    def _update(self) -> None:
        v = {name: s.value for name, s in self.sliders.items()}
        params = conv_params(v["d"], v["k"], v["f"])
        try:
            out = output_size(v["n"], v["f"], stride=v["stride"], padding=v["padding"])
        except ValueError as error:
            self.result = {"output": None, "params": params, "uncovered": None}
            self.summary.value = f"<b>no output</b>: {error}"
            self._fig.clear()
            self._show()
            return
        span = v["n"] - v["f"] + 2 * v["padding"]
        self.result = {"output": out, "params": params, "uncovered": span % v["stride"]}
        exact = "divides exactly" if span % v["stride"] == 0 else "does not divide: floor"
        self.summary.value = (
            f"output {out} x {out} x {v['k']} &nbsp;|&nbsp; (N - F + 2P) / S = {span}/{v['stride']}"
            f" ({exact}) &nbsp;|&nbsp; parameters (F·F·D + 1)·K = ({v['f']}·{v['f']}·{v['d']} + 1)"
            f"·{v['k']} = {params:,}"
        )
        self._fig.clear()
        plot_window_positions(v["n"], v["f"], v["stride"], v["padding"], ax=self._fig.add_subplot())
        self._show()

    def _show(self) -> None:
        if get_ipython() is None:  # a script or a doctest: nothing to display
            return
        self.output.clear_output(wait=True)
        with self.output:
            display(self._fig)

    def _ipython_display_(self) -> None:
        display(self.widget)
