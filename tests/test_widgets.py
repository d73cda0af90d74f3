"""Tests for course_lib.widgets: the Explorer base class every chapter's explorer subclasses.

Run without a kernel: the figure is redrawn but not displayed, and no stray figure is left.
"""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from course_lib.widgets import Explorer


class Doubler(Explorer):
    """The smallest explorer: one slider, a summary of 2 x its value, one line drawn."""

    def __init__(self, value=1):
        self.slider = widgets.IntSlider(value=value, min=0, max=10)
        self.calls = []
        self._start(value, figsize=(3, 2))

    def _update(self, value):
        self.calls.append(value)
        self.summary.value = f"2 x {value} = {2 * value}"
        self._fig.clear()
        self._fig.subplots().plot([0, 1], [0, 2 * value])
        self._show()


class TwoSliders(Doubler):
    """Two controls in one row: the base class observes both."""

    def __init__(self):
        self.other = widgets.IntSlider(value=5)
        super().__init__(1)

    def _controls(self):
        return [self.slider, self.other]

    def _rows(self):
        return [widgets.HBox(self._controls())]


def test_update_runs_at_the_start_and_on_every_change():
    """Is _update called once with the start value, then with each new value?"""
    explorer = Doubler(3)
    assert explorer.calls == [3] and explorer.summary.value == "2 x 3 = 6"
    explorer.slider.value = 7
    assert explorer.calls == [3, 7] and explorer.summary.value == "2 x 7 = 14"
    assert explorer._fig.axes[0].lines[0].get_ydata()[1] == 14


def test_widget_assembly_and_no_stray_figure():
    """Is the widget the controls, the summary and the output, with no figure left open?"""
    plt.close("all")
    explorer = Doubler()
    box = explorer.widget
    assert isinstance(box, widgets.VBox)
    assert box.children == (explorer.slider, explorer.summary, explorer.output)
    assert not plt.get_fignums()


def test_several_controls_are_observed_and_arranged_by_rows():
    """Does a subclass with two controls redraw on either, laid out as its _rows say?"""
    explorer = TwoSliders()
    explorer.other.value = 9
    assert explorer.calls == [1, 9]
    box = explorer.widget
    assert len(box.children) == 3 and isinstance(box.children[0], widgets.HBox)
    assert box.children[0].children == (explorer.slider, explorer.other)


def test_the_base_class_alone_cannot_update():
    """Does an explorer without _update fail loudly instead of showing nothing?"""

    class Incomplete(Explorer):
        def __init__(self):
            self.slider = widgets.IntSlider()
            self._start(0, figsize=(2, 2))

    with pytest.raises(NotImplementedError):
        Incomplete()


def test_an_ipython_shell_without_a_kernel_prints_nothing(capsys):
    """A plain IPython shell (some tests start one) has no front end: nothing is drawn or
    printed, so doctests give the same output in any order under pytest-xdist."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:

        class Square(Explorer):
            def __init__(self):
                self.slider = widgets.IntSlider(value=2, min=0, max=9)
                self._start(2, figsize=(2, 2))

            def _update(self, value):
                self.summary.value = str(value)
                self._show()

        Square().slider.value = 4
        assert capsys.readouterr().out == ""
    finally:
        InteractiveShell.clear_instance()
        del shell


# ---------------------------------------------------------------- the book's precomputed player


def test_control_choices_cover_each_kind_of_control_and_keep_the_current_value():
    from course_lib.widgets import control_choices

    assert control_choices(widgets.IntSlider(value=3, min=0, max=4)) == [0, 1, 2, 3, 4]
    many = control_choices(widgets.IntSlider(value=7, min=1, max=512), count=5)
    assert many[0] == 1 and many[-1] == 512 and 7 in many and len(many) == 6
    floats = control_choices(widgets.FloatSlider(value=0.3, min=0, max=1, step=0.1), count=3)
    assert floats == [0.0, 0.3, 0.5, 1.0]
    logs = control_choices(widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=2), count=3)
    assert logs == [0.01, 1.0, 100.0]
    assert control_choices(widgets.Dropdown(options=["a", "b", "c"], value="b")) == ["a", "b", "c"]
    long = control_choices(widgets.SelectionSlider(options=list(range(9)), value=3), count=3)
    assert long == [0, 3, 4, 8]
    assert control_choices(widgets.Checkbox(value=True)) == [False, True]


def test_frames_render_every_setting_and_leave_the_controls_as_they_were():
    explorer = Doubler(3)
    data = explorer.frames()
    assert data["controls"] == [{"description": "", "choices": [str(v) for v in range(11)]}]
    assert len(data["frames"]) == 11 and len(data["images"]) == 11
    for value, (index, image, summary) in enumerate(data["frames"]):
        assert index == value and data["summaries"][summary] == f"2 x {value} = {2 * value}"
        assert data["images"][image].startswith("data:image/png;base64,")
    assert data["frames"][data["start"]][0] == 3
    assert explorer.slider.value == 3 and explorer.summary.value == "2 x 3 = 6"
    assert explorer.calls[-1] == 3  # redrawn as it was, once per frame and once at the end
    assert len(explorer.calls) == 1 + 11 + 1


def test_a_large_grid_varies_one_control_at_a_time():
    class Six(Doubler):
        def __init__(self):
            self.others = [widgets.IntSlider(value=1, min=0, max=10) for _ in range(5)]
            super().__init__(1)

        def _controls(self):
            return [self.slider, *self.others]

    explorer = Six()
    settings = explorer._frame_settings()
    assert len(settings) == 1 + 6 * 10  # the current setting, then each control's 10 others
    assert all(sum(v != 1 for v in s) <= 1 for s in settings)


def test_the_player_is_self_contained_and_the_bundle_carries_both_views():
    explorer = TwoSliders()
    page = explorer.frames_html()
    assert page.count('type="range"') == 2 and "<script>" in page
    assert "http://" not in page and "https://" not in page  # nothing from the network
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "text/html" in bundle
    assert 'class="course-frames"' in bundle["text/html"]
