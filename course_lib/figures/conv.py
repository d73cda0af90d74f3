"""Figures and a calculator for chapter 05's convolutions: filters, feature maps, window positions.

:class:`ConvArithmeticCalculator` is the interactive twin of
:func:`plot_window_positions`: sliders for N, F, P, S, D and K, the output
size and the parameter count, and the figure redrawn.

See the book: 05_cnn.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_lib.conv import conv_output_size, conv_param_count
from course_lib.plotting import panel_grid
from course_lib.validation import to_numpy
from course_lib.widgets import Explorer

__all__ = [
    *("ConvArithmeticCalculator", "plot_window_positions", "show_feature_maps"),
    "show_filters",
]


def show_filters(weight: Any, *, title: str = "Filters", ncols: int = 8) -> Figure:
    """The K filters of a convolution layer, weight of shape (K, D, F, F), one panel each.

    A grey input (D = 1) is shown with a diverging map centred on 0 (red
    positive, blue negative); a colour input (D = 3) as an RGB image rescaled to
    [0, 1]; otherwise the first input channel.
    """
    w = to_numpy(weight, "weight", dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (K, D, F, F), got {w.shape}")
    fig, axes = panel_grid(w.shape[0], ncols=ncols, size=1.3)
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
    m = to_numpy(maps, "maps", dtype=np.float64)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (C, H, W) or (1, C, H, W), got {m.shape}")
    shown = m[:max_maps]
    fig, axes = panel_grid(len(shown), ncols=ncols, size=1.3)
    for k, ax in enumerate(axes):
        ax.imshow(shown[k], cmap="viridis")
        ax.set_title(f"channel {k}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{title} ({m.shape[0]} maps of {m.shape[1]} x {m.shape[2]})")
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
    out = conv_output_size(n, f, stride=stride, padding=padding)
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


class ConvArithmeticCalculator(Explorer):
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
        self.result: dict[str, Any] = {}
        self._start(None, figsize=(12, 3))

    def _controls(self) -> list[widgets.ValueWidget]:
        return list(self.sliders.values())

    def _rows(self) -> list[widgets.Widget]:
        """The sliders in two rows: N, F, P, then S, D, K."""
        controls = self._controls()
        return [widgets.HBox(controls[:3]), widgets.HBox(controls[3:])]

    def _update(self, _value: Any = None) -> None:
        v = {name: s.value for name, s in self.sliders.items()}
        params = conv_param_count(v["f"], v["d"], v["k"])
        try:
            out = conv_output_size(v["n"], v["f"], stride=v["stride"], padding=v["padding"])
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
