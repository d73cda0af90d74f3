"""Instructor-side grading: the nbgrader workflow, sandboxed and robust.

The ``course`` command (``cli``) releases and collects (``course``, ``collect``),
autogrades (``workflow``, ``grader``), hands back feedback, exports and reports
(``report``). A submission is rebuilt from the source (``notebook``); its code runs in a
sandbox (``sandbox``: bubblewrap, resource limits, no network; ``_runner`` inside it) and
every test cell runs outside it, in the grader's process (``trusted``), against plain
values sent back from the student's functions (``canonical``) or stand-ins for objects
that stay in the sandbox (``remote``). See the book's instructor guide.

This ``__init__`` imports nothing: the sandbox runner imports ``course_grader``
and must stay light.
"""
