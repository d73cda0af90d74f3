"""A figure and an explorer for chapter 04's learning-rate schedules.

See the book: 04_optimization.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes

from course_lib.plotting import axes_or_new
from course_lib.schedules import SCHEDULE_NAMES, linear_scaling_rule, schedule_curve
from course_lib.widgets import Explorer, control_choices, one_at_a_time

__all__ = ["ScheduleExplorer", "plot_schedules"]


def plot_schedules(
    curves: dict[str, np.ndarray],
    *,
    ax: Axes | None = None,
    highlight: str | None = None,
    title: str = "Learning-rate schedules",
    log_scale: bool = False,
) -> Axes:
    """One line per named learning-rate curve against the epoch; ``highlight`` drawn bold.

    The static twin of :class:`ScheduleExplorer`.

    See the book: 04_optimization.
    """
    if not curves:
        raise ValueError("curves must hold at least one named learning-rate curve")
    if highlight is not None and highlight not in curves:
        raise ValueError(f"highlight must be one of {list(curves)}, got {highlight!r}")
    ax = axes_or_new(ax, figsize=(7, 4))
    for name, lrs in curves.items():
        lrs = np.asarray(lrs, dtype=np.float64)
        if highlight is None or name == highlight:
            ax.plot(np.arange(len(lrs)), lrs, lw=2.2, label=name)
        else:
            ax.plot(np.arange(len(lrs)), lrs, lw=1.0, color="0.75", label=name)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch t")
    ax.set_ylabel("learning rate α_t")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


class ScheduleExplorer(Explorer):
    """A learning-rate schedule picker with sliders for its parameters.

    The dropdown picks one of ``course_lib.schedules.SCHEDULE_NAMES``; the sliders
    set the base learning rate through the batch size (linear scaling rule,
    alpha_0 = 0.1 b / 256), the decay parameters and the warm-up length. Sliders
    the chosen schedule does not use are greyed out. The chosen curve is drawn bold
    over the others (grey), all with the same parameters.

    Examples
    --------
    >>> explorer = ScheduleExplorer(epochs=10)
    >>> explorer.schedule.value = "step"
    >>> explorer.sliders["step_size"].value = 3
    >>> explorer.lrs.round(4).tolist()[:4]
    [0.1, 0.1, 0.1, 0.05]

    See the book: 04_optimization.
    """

    def __init__(self, *, epochs: int = 60, schedule: str = "warm-up + cosine"):
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 10 <= epochs <= 500:
            raise ValueError(f"epochs must be an integer in [10, 500], got {epochs!r}")
        if schedule not in SCHEDULE_NAMES:
            raise ValueError(f"schedule must be one of {list(SCHEDULE_NAMES)}, got {schedule!r}")
        self.epochs = epochs
        layout = widgets.Layout(width="45%")
        style = {"description_width": "110px"}
        self.schedule = widgets.Dropdown(
            options=list(SCHEDULE_NAMES), value=schedule, description="schedule", style=style
        )
        self.slider = self.schedule  # the base class's main control
        self.sliders = {
            "batch_size": widgets.SelectionSlider(
                options=[2**k for k in range(4, 13)],
                value=256,
                description="batch size b",
                style=style,
                layout=layout,
            ),
            "step_size": widgets.IntSlider(
                value=max(epochs // 3, 1),
                min=1,
                max=epochs,
                description="step size s",
                style=style,
                layout=layout,
            ),
            "gamma": widgets.FloatSlider(
                value=0.5,
                min=0.05,
                max=1.0,
                step=0.01,
                description="decay γ",
                style=style,
                layout=layout,
            ),
            "k": widgets.FloatLogSlider(
                value=0.1,
                base=10,
                min=-3,
                max=1,
                step=0.05,
                description="1/t rate k",
                style=style,
                layout=layout,
            ),
            "eta_min_ratio": widgets.FloatSlider(
                value=0.0,
                min=0.0,
                max=0.5,
                step=0.01,
                description="η_min / η_0",
                style=style,
                layout=layout,
            ),
            "warmup_epochs": widgets.IntSlider(
                value=max(epochs // 10, 1),
                min=1,
                max=epochs // 2,
                description="warm-up W",
                style=style,
                layout=layout,
            ),
            "start_factor": widgets.FloatSlider(
                value=0.1,
                min=0.01,
                max=1.0,
                step=0.01,
                description="warm-up start",
                style=style,
                layout=layout,
            ),
        }
        self.lrs = np.empty(0)
        self._start(schedule, figsize=(8, 4))

    def _controls(self) -> list[widgets.ValueWidget]:
        return [self.schedule, *self.sliders.values()]

    def _on_change(self, change: dict) -> None:
        self._update(self.schedule.value)

    def _frame_settings(self) -> list[tuple]:
        """For the book: each schedule, with its own parameters and the batch size varied
        one at a time (the parameters it does not use would not change its curve)."""
        controls = self._controls()
        names = list(self.sliders)
        settings = []
        for schedule, own in SCHEDULE_NAMES.items():
            base = (schedule, *(self.sliders[name].value for name in names))
            varied = {1 + names.index(name): name for name in ("batch_size", *own)}
            settings += one_at_a_time(base, {
                i: control_choices(controls[i], count=3 if name == "batch_size" else 4)
                for i, name in varied.items()
            })  # fmt: skip
        return settings

    def _update(self, name: str) -> None:
        params = {key: slider.value for key, slider in self.sliders.items()}
        base_lr = linear_scaling_rule(params.pop("batch_size"))
        for key, slider in self.sliders.items():
            slider.disabled = key != "batch_size" and key not in SCHEDULE_NAMES[name]
        curves = {
            other: schedule_curve(other, self.epochs, base_lr, **params) for other in SCHEDULE_NAMES
        }
        self.lrs = curves[name]
        self.summary.value = (
            f"<b>{name}</b>: α_0 = 0.1 · {self.sliders['batch_size'].value} / 256 = "
            f"{base_lr:.4g}; α at the middle epoch {self.lrs[self.epochs // 2]:.4g}, "
            f"at the last epoch {self.lrs[-1]:.4g}"
        )
        self._fig.clear()
        plot_schedules(
            curves,
            ax=self._fig.subplots(),
            highlight=name,
            title=f"{name} schedule over {self.epochs} epochs",
        )
        self._show()
