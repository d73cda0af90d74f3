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
