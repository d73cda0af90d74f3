"""Figures and widgets that belong to one concept, one module per concept.

The rule, for every chapter: a figure or an explorer that draws one concept
(ROC curves, softmax temperatures, filters, learning-rate schedules, optimizer
paths, ...) lives in ``course_lib/figures/<concept>.py``, named after the
concept module it draws (``figures/metrics.py`` draws ``course_lib.metrics``).
Each explorer subclasses :class:`course_lib.widgets.Explorer`. Generic figures
(image grids, training histories, decision boundaries) stay in
:mod:`course_lib.plotting`, which, like :mod:`course_lib.widgets`, imports no
concept. This package imports nothing: import the module you need,
``from course_lib.figures.metrics import plot_roc_curve``.
"""
