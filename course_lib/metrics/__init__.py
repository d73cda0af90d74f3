"""Metrics for classifiers: counts, rates, F-scores, ROC and precision-recall.

Split as scikit-learn splits ``sklearn.metrics``: :mod:`.classification`
holds the metrics of predicted labels (confusion matrix, precision, recall,
F1, specificity, accuracy, log-loss), :mod:`.ranking` those of scores (ROC and
PR curves, AUC, average precision, one threshold). Import either from here,
``from course_lib import metrics; metrics.roc_curve(...)``.

Signatures follow :mod:`sklearn.metrics` so that a test can swap the two:
``(y_true, y_pred, *, keyword_only=...)``; every ``*_score`` is
higher-is-better and every ``*_loss`` lower-is-better. Inputs may be lists,
NumPy arrays or PyTorch tensors (on any device).

Conventions used throughout (chapter 02 of the book):

- the confusion matrix has the true class in rows and the predicted class in
  columns, ``C[i, j]`` = number of samples of class ``i`` predicted as ``j``;
- a sample is predicted positive when its score is ``>= threshold``.

See the book: 02_metrics.
"""

from course_lib.metrics._base import UndefinedMetricWarning
from course_lib.metrics.classification import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    multilabel_confusion_matrix,
    normalize_confusion_matrix,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    specificity_score,
)
from course_lib.metrics.ranking import (
    auc,
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
    threshold_metrics,
)

__all__ = [
    "UndefinedMetricWarning",
    "accuracy_score",
    "auc",
    "average_precision_score",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "multilabel_confusion_matrix",
    "normalize_confusion_matrix",
    "precision_recall_curve",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "roc_auc_score",
    "roc_curve",
    "specificity_score",
    "threshold_metrics",
]
