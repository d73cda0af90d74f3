"""Wrong-but-plausible answers for 02_metrics: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_confusion_matrix:predictions_in_rows": {
        "cell": "q1_confusion_matrix",
        "tests": "q1_tests",
        "why": "indexes [y_pred, y_true]: the transposed matrix, predicted class in rows",
        "source": '''def confusion_matrix(y_true, y_pred, n_classes):
    """Return the (n_classes, n_classes) confusion matrix, true class in rows."""
    cm = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_pred, dtype=int), np.asarray(y_true, dtype=int)), 1)
    return cm
''',
    },
    "q1_confusion_matrix:fancy_index_increment": {
        "cell": "q1_confusion_matrix",
        "tests": "q1_tests",
        "why": "cm[y_true, y_pred] += 1 with fancy indexing counts a repeated (true, predicted) pair only once",
        "source": '''def confusion_matrix(y_true, y_pred, n_classes):
    """Return the (n_classes, n_classes) confusion matrix, true class in rows."""
    cm = np.zeros((n_classes, n_classes), dtype=int)
    cm[np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)] += 1
    return cm
''',
    },
    "q1_confusion_matrix:size_from_the_data": {
        "cell": "q1_confusion_matrix",
        "tests": "q1_tests",
        "why": "sizes the matrix from the largest label seen, so a class that never occurs loses its row and column",
        "source": '''def confusion_matrix(y_true, y_pred, n_classes):
    """Return the (n_classes, n_classes) confusion matrix, true class in rows."""
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    k = int(max(y_true.max(), y_pred.max())) + 1
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm
''',
    },
    "q2_per_class_scores:precision_and_recall_swapped": {
        "cell": "q2_per_class_scores",
        "tests": "q2_tests",
        "why": "reads FP from the row and FN from the column (the axes swapped), which swaps precision and recall",
        "source": '''def per_class_scores(cm):
    """Return (precision, recall, f1), three float arrays with one entry per class."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    fp = cm.sum(axis=1) - tp
    fn = cm.sum(axis=0) - tp

    def safe_divide(num, den):
        return np.divide(num, den, out=np.zeros_like(num), where=den != 0)

    return safe_divide(tp, tp + fp), safe_divide(tp, tp + fn), safe_divide(2 * tp, 2 * tp + fp + fn)
''',
    },
    "q2_per_class_scores:divide_then_nan_to_num": {
        "cell": "q2_per_class_scores",
        "tests": "q2_tests",
        "why": "divides first and repairs the nan afterwards with np.nan_to_num: the 0 / 0 still warns",
        "source": '''def per_class_scores(cm):
    """Return (precision, recall, f1), three float arrays with one entry per class."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    precision = np.nan_to_num(tp / (tp + fp))
    recall = np.nan_to_num(tp / (tp + fn))
    f1 = np.nan_to_num(2 * tp / (2 * tp + fp + fn))
    return precision, recall, f1
''',
    },
    "q2_per_class_scores:f1_of_the_averages": {
        "cell": "q2_per_class_scores",
        "tests": "q2_tests",
        "why": "computes F1 as the arithmetic mean of precision and recall instead of their harmonic mean",
        "source": '''def per_class_scores(cm):
    """Return (precision, recall, f1), three float arrays with one entry per class."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp

    def safe_divide(num, den):
        return np.divide(num, den, out=np.zeros_like(num), where=den != 0)

    precision, recall = safe_divide(tp, tp + fp), safe_divide(tp, tp + fn)
    return precision, recall, (precision + recall) / 2
''',
    },
    "q3_f1_average:weighted_by_predictions": {
        "cell": "q3_f1_average",
        "tests": "q3_tests",
        "why": "weights each class by how often it is predicted (column sums) instead of its true support (row sums)",
        "source": '''def f1_average(cm, average):
    """Return the micro, macro or weighted F1 of a confusion matrix."""
    cm = np.asarray(cm, dtype=float)
    if average == "micro":
        tp = np.trace(cm)
        errors = cm.sum() - tp
        return 2 * tp / (2 * tp + 2 * errors) if cm.sum() else 0.0
    _, _, f1 = per_class_scores(cm)
    if average == "macro":
        return float(f1.mean())
    if average == "weighted":
        support = cm.sum(axis=0)
        return float((f1 * support).sum() / support.sum()) if support.sum() else 0.0
    raise ValueError(f'average must be "micro", "macro" or "weighted", got {average!r}')
''',
    },
    "q3_f1_average:micro_as_the_mean_of_per_class_f1": {
        "cell": "q3_f1_average",
        "tests": "q3_tests",
        "why": "micro F1 as the plain mean of the per-class F1 weighted equally, i.e. macro under another name",
        "source": '''def f1_average(cm, average):
    """Return the micro, macro or weighted F1 of a confusion matrix."""
    cm = np.asarray(cm, dtype=float)
    _, _, f1 = per_class_scores(cm)
    if average in ("micro", "macro"):
        return float(f1.mean())
    if average == "weighted":
        support = cm.sum(axis=1)
        return float((f1 * support).sum() / support.sum()) if support.sum() else 0.0
    raise ValueError(f'average must be "micro", "macro" or "weighted", got {average!r}')
''',
    },
    "q3_f1_average:macro_skips_absent_classes": {
        "cell": "q3_f1_average",
        "tests": "q3_tests",
        "why": "averages macro F1 only over the classes that occur in the data, although every class of the matrix counts",
        "source": '''def f1_average(cm, average):
    """Return the micro, macro or weighted F1 of a confusion matrix."""
    cm = np.asarray(cm, dtype=float)
    if average == "micro":
        tp = np.trace(cm)
        errors = cm.sum() - tp
        return 2 * tp / (2 * tp + 2 * errors) if cm.sum() else 0.0
    _, _, f1 = per_class_scores(cm)
    if average == "macro":
        present = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
        return float(f1[present].mean())
    if average == "weighted":
        support = cm.sum(axis=1)
        return float((f1 * support).sum() / support.sum()) if support.sum() else 0.0
    raise ValueError(f'average must be "micro", "macro" or "weighted", got {average!r}')
''',
    },
    "q4_roc_points:one_point_per_sample": {
        "cell": "q4_roc_points",
        "tests": "q4_tests",
        "why": "sorts the samples and takes one cumulative-sum step per sample, so tied scores make several points",
        "source": '''def roc_points(y_true, y_score):
    """Return (fpr, tpr, thresholds) at +inf and at every distinct score, decreasing."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    order = np.argsort(-y_score, kind="stable")
    positives = (y_true[order] == 1).astype(float)
    tpr = np.r_[0.0, np.cumsum(positives)] / positives.sum()
    fpr = np.r_[0.0, np.cumsum(1 - positives)] / (1 - positives).sum()
    return fpr, tpr, np.r_[np.inf, y_score[order]]
''',
    },
    "q4_roc_points:strict_threshold": {
        "cell": "q4_roc_points",
        "tests": "q4_tests",
        "why": "predicts positive for score > t instead of score >= t: every point is one threshold late",
        "source": '''def roc_points(y_true, y_score):
    """Return (fpr, tpr, thresholds) at +inf and at every distinct score, decreasing."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    thresholds = np.r_[np.inf, np.unique(y_score)[::-1]]
    n_pos, n_neg = np.sum(y_true == 1), np.sum(y_true == 0)
    predicted = y_score[None, :] > thresholds[:, None]
    tpr = (predicted & (y_true == 1)).sum(axis=1) / n_pos
    fpr = (predicted & (y_true == 0)).sum(axis=1) / n_neg
    return fpr, tpr, thresholds
''',
    },
    "q4_roc_points:no_point_at_infinity": {
        "cell": "q4_roc_points",
        "tests": "q4_tests",
        "why": "starts at the highest score instead of +inf, so the curve misses its (0, 0) corner",
        "source": '''def roc_points(y_true, y_score):
    """Return (fpr, tpr, thresholds) at +inf and at every distinct score, decreasing."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    thresholds = np.unique(y_score)[::-1]
    n_pos, n_neg = np.sum(y_true == 1), np.sum(y_true == 0)
    predicted = y_score[None, :] >= thresholds[:, None]
    tpr = (predicted & (y_true == 1)).sum(axis=1) / n_pos
    fpr = (predicted & (y_true == 0)).sum(axis=1) / n_neg
    return fpr, tpr, thresholds
''',
    },
    "q5_average_precision:trapezoid_area": {
        "cell": "q5_average_precision",
        "tests": "q5_tests",
        "why": "integrates the precision-recall curve with the trapezoid rule instead of the staircase sum",
        "source": '''def average_precision(y_true, y_score):
    """Return AP = sum_n (R_n - R_{n-1}) P_n over the distinct thresholds, high to low."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    n_pos = np.sum(y_true == 1)
    precisions, recalls = [1.0], [0.0]
    for t in np.unique(y_score)[::-1]:
        predicted = y_score >= t
        tp = np.sum(predicted & (y_true == 1))
        precisions.append(tp / predicted.sum())
        recalls.append(tp / n_pos)
    p, r = np.array(precisions), np.array(recalls)
    return float(np.sum((r[1:] - r[:-1]) * (p[1:] + p[:-1]) / 2))
''',
    },
    "q5_average_precision:precision_of_the_previous_threshold": {
        "cell": "q5_average_precision",
        "tests": "q5_tests",
        "why": "weights the recall step by the precision of the previous threshold (P_{n-1}), the slides' index slip",
        "source": '''def average_precision(y_true, y_score):
    """Return AP = sum_n (R_n - R_{n-1}) P_n over the distinct thresholds, high to low."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    ap, previous_recall, previous_precision = 0.0, 0.0, 1.0
    n_pos = np.sum(y_true == 1)
    for t in np.unique(y_score)[::-1]:
        predicted = y_score >= t
        tp = np.sum(predicted & (y_true == 1))
        precision, recall = tp / predicted.sum(), tp / n_pos
        ap += (recall - previous_recall) * previous_precision
        previous_recall, previous_precision = recall, precision
    return float(ap)
''',
    },
    "q5_average_precision:one_step_per_sample": {
        "cell": "q5_average_precision",
        "tests": "q5_tests",
        "why": "walks the sorted samples one by one, so tied scores are split into several precision steps",
        "source": '''def average_precision(y_true, y_score):
    """Return AP = sum_n (R_n - R_{n-1}) P_n over the distinct thresholds, high to low."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    order = np.argsort(-y_score, kind="stable")
    hits = (y_true[order] == 1).astype(float)
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    return float(np.sum(precision * hits) / hits.sum())
''',
    },
}
