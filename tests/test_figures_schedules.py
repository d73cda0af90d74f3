"""Tests for course_lib.figures.schedules: the schedule figure and the schedule explorer."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from helpers import SCHEDULE_PARAMS

from course_lib.figures.schedules import ScheduleExplorer, plot_schedules
from course_lib.schedules import (
    SCHEDULE_NAMES,
    schedule_curve,
)

pytestmark = pytest.mark.ch04


def test_plot_schedules_draws_every_curve():
    curves = {name: schedule_curve(name, 15, 0.1, **SCHEDULE_PARAMS) for name in SCHEDULE_NAMES}
    ax = plot_schedules(curves, highlight="cosine")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == set(SCHEDULE_NAMES)
    assert lines["cosine"].get_linewidth() > lines["step"].get_linewidth()
    for name, line in lines.items():
        assert list(line.get_ydata()) == pytest.approx(list(curves[name]))
    with pytest.raises(ValueError, match="highlight must be one of"):
        plot_schedules(curves, highlight="nope")
    with pytest.raises(ValueError, match="at least one"):
        plot_schedules({})


@pytest.fixture
def schedule_explorer():
    return ScheduleExplorer(epochs=40, schedule="cosine")


def _slider_params(explorer):
    params = {key: slider.value for key, slider in explorer.sliders.items()}
    return params, 0.1 * params.pop("batch_size") / 256


@pytest.mark.parametrize("name", list(SCHEDULE_NAMES))
def test_schedule_explorer_curve_follows_dropdown_and_sliders(schedule_explorer, name):
    schedule_explorer.schedule.value = name
    schedule_explorer.sliders["batch_size"].value = 1024
    schedule_explorer.sliders["gamma"].value = 0.7
    params, base_lr = _slider_params(schedule_explorer)
    assert base_lr == pytest.approx(0.4)
    np.testing.assert_allclose(
        schedule_explorer.lrs, schedule_curve(name, 40, base_lr, **params), rtol=1e-15
    )
    assert name in schedule_explorer.summary.value
    for key, slider in schedule_explorer.sliders.items():
        assert slider.disabled == (key != "batch_size" and key not in SCHEDULE_NAMES[name])
    (ax,) = schedule_explorer._fig.axes
    bold = max(ax.get_lines(), key=lambda line: line.get_linewidth())
    assert bold.get_label() == name


def test_schedule_explorer_assembly_and_no_stray_figure(schedule_explorer):
    box = schedule_explorer.widget
    assert isinstance(box, widgets.VBox)
    assert box.children[0] is schedule_explorer.schedule
    assert len(box.children) == 1 + len(schedule_explorer.sliders) + 2
    assert not plt.get_fignums()


def test_schedule_explorer_validation():
    with pytest.raises(ValueError, match="epochs must be an integer in"):
        ScheduleExplorer(epochs=5)
    with pytest.raises(ValueError, match="schedule must be one of"):
        ScheduleExplorer(schedule="linear")
