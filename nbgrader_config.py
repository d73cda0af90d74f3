"""nbgrader configuration: solutions/ is the instructor's source, exercises/ the release.

Run nbgrader from the repository root with the environment's bin/ on PATH
(nbgrader calls `alembic`): `make exercises` does both. See CONTRIBUTING.md.
"""

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "deep-learning-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Only notebooks are assignments; the data they need comes from course_lib.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# Per-cell execution limit for validation and autograding. Every solution cell
# runs in well under 2 s on a 2-core laptop CPU; nbgrader's default is 30 s.
c.Execute.timeout = 60
# Interrupt, don't hang, when a student's cell never returns.
c.Execute.interrupt_on_timeout = True

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback pages never show hidden tests: course_grader.feedback strips them (and the
# traceback lines that quote them) from the autograded notebooks of plain `nbgrader autograde`;
# `course autograde` never writes them in the first place. Its "Autograder report" table gets
# the scores and comments entered in the formgrader since autograding (RefreshReport).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course_grader.feedback.HideHiddenTests",
    "course_grader.feedback.RefreshReport",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# `nbgrader zip_collect` (and `course collect`) on an LMS download: file names such as
# "ada_12345_67890_02_metrics.ipynb" or "ada_late_12345_02_metrics.ipynb", that is the
# student's login, then anything, then the notebook's name. Adapt it to your LMS.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9][A-Za-z0-9.-]*)_(?:[^/]*?_)??"
    r"(?P<file_id>\d\d_[A-Za-z0-9_]+\.ipynb)$"
)
