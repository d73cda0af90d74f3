"""Wrong-but-plausible answers for 03_losses: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_huber:sum_instead_of_mean": {
        "cell": "q1_huber",
        "tests": "q1_tests",
        "why": "returns the sum of the element losses instead of their mean",
        "source": '''def huber(y_hat, y, delta=1.0):
    """Mean Huber loss of the residuals y_hat - y."""
    r = np.abs(np.asarray(y_hat, dtype=float) - np.asarray(y, dtype=float))
    return float(np.sum(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))))
''',
    },
    "q1_huber:linear_part_without_offset": {
        "cell": "q1_huber",
        "tests": "q1_tests",
        "why": "writes the linear part as delta * |r|, forgetting the - delta / 2 that makes the two pieces meet",
        "source": '''def huber(y_hat, y, delta=1.0):
    """Mean Huber loss of the residuals y_hat - y."""
    r = np.abs(np.asarray(y_hat, dtype=float) - np.asarray(y, dtype=float))
    return float(np.mean(np.where(r <= delta, 0.5 * r**2, delta * r)))
''',
    },
    "q1_huber:smooth_l1_instead": {
        "cell": "q1_huber",
        "tests": "q1_tests",
        "why": "computes PyTorch's smooth L1 (0.5 r^2 / delta, |r| - delta / 2), which equals Huber / delta and only agrees at delta = 1",
        "source": '''def huber(y_hat, y, delta=1.0):
    """Mean Huber loss of the residuals y_hat - y."""
    r = np.abs(np.asarray(y_hat, dtype=float) - np.asarray(y, dtype=float))
    return float(np.mean(np.where(r <= delta, 0.5 * r**2 / delta, r - 0.5 * delta)))
''',
    },
    "q2_cross_entropy:log_of_softmax": {
        "cell": "q2_cross_entropy",
        "tests": "q2_tests",
        "why": "takes the log of a (max-shifted) softmax: the probability of a wrong class underflows to 0 and log(0) = -inf",
        "source": '''def cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y under softmax(logits), via log-sum-exp."""
    logits = np.asarray(logits, dtype=float)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))
''',
    },
    "q2_cross_entropy:logsumexp_without_shift": {
        "cell": "q2_cross_entropy",
        "tests": "q2_tests",
        "why": "writes log(sum(exp(a))) without subtracting the maximum: exp(1e4) overflows",
        "source": '''def cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y under softmax(logits), via log-sum-exp."""
    logits = np.asarray(logits, dtype=float)
    logsumexp = np.log(np.exp(logits).sum(axis=1))
    return float(np.mean(logsumexp - logits[np.arange(len(y)), y]))
''',
    },
    "q2_cross_entropy:column_indexing": {
        "cell": "q2_cross_entropy",
        "tests": "q2_tests",
        "why": "picks the true-class logits with logits[:, y], an (N, N) block, instead of logits[arange(N), y]",
        "source": '''def cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y under softmax(logits), via log-sum-exp."""
    logits = np.asarray(logits, dtype=float)
    m = logits.max(axis=1, keepdims=True)
    logsumexp = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(logsumexp - logits[:, y]))
''',
    },
    "q3_focal_loss:torch_log_of_softmax": {
        "cell": "q3_focal_loss",
        "tests": "q3_tests",
        "why": "ln p as torch.log(torch.softmax(x, dim=1)): exact for ordinary logits, but softmax underflows to 0 at +-1e4 and the loss is inf",
        "source": '''def focal_loss(logits, y, gamma=2.0):
    """Mean focal loss -(1 - p)^gamma ln p of the true classes."""
    import torch

    x = torch.as_tensor(np.asarray(logits, dtype=float))
    log_p = torch.log(torch.softmax(x, dim=1))[torch.arange(len(y)), torch.as_tensor(y)]
    return float(torch.mean(-((1.0 - torch.exp(log_p)) ** gamma) * log_p))
''',
    },
    "q3_focal_loss:numpy_log_of_softmax": {
        "cell": "q3_focal_loss",
        "tests": "q3_tests",
        "why": "the same mistake in NumPy: a stable softmax, then its log, which is log(0) = -inf (with a warning) at +-1e4",
        "source": '''def focal_loss(logits, y, gamma=2.0):
    """Mean focal loss -(1 - p)^gamma ln p of the true classes."""
    logits = np.asarray(logits, dtype=float)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = (e / e.sum(axis=1, keepdims=True))[np.arange(len(y)), y]
    return float(np.mean(-((1.0 - p) ** gamma) * np.log(p)))
''',
    },
    "q3_focal_loss:weights_by_p": {
        "cell": "q3_focal_loss",
        "tests": "q3_tests",
        "why": "weights by p^gamma instead of (1 - p)^gamma, which up-weights the easy samples (equal only at p = 1/2)",
        "source": '''def focal_loss(logits, y, gamma=2.0):
    """Mean focal loss -(1 - p)^gamma ln p of the true classes."""
    logits = np.asarray(logits, dtype=float)
    m = logits.max(axis=1, keepdims=True)
    log_p_all = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    log_p = log_p_all[np.arange(len(y)), y]
    return float(np.mean(-(np.exp(log_p) ** gamma) * log_p))
''',
    },
    "q4_batch_hard:anchor_is_its_own_positive": {
        "cell": "q4_batch_hard",
        "tests": "q4_tests",
        "why": "counts the anchor itself as a positive, so an anchor alone in its class is not skipped",
        "source": '''def batch_hard_triplet_loss(embeddings, labels, margin=1.0):
    """Mean triplet loss over batch-hard triplets, one per usable anchor."""
    E = np.asarray(embeddings, dtype=float)
    labels = np.asarray(labels)
    d = np.sqrt(((E[:, None, :] - E[None, :, :]) ** 2).sum(axis=-1))
    same = labels[:, None] == labels[None, :]
    usable = (~same).any(axis=1)
    if not usable.any():
        return 0.0
    hardest_positive = np.where(same, d, -np.inf).max(axis=1)
    hardest_negative = np.where(~same, d, np.inf).min(axis=1)
    losses = np.maximum(0.0, hardest_positive - hardest_negative + margin)
    return float(losses[usable].mean())
''',
    },
    "q4_batch_hard:easiest_instead_of_hardest": {
        "cell": "q4_batch_hard",
        "tests": "q4_tests",
        "why": "takes the closest positive and the farthest negative (the easiest triplet, min and max swapped)",
        "source": '''def batch_hard_triplet_loss(embeddings, labels, margin=1.0):
    """Mean triplet loss over batch-hard triplets, one per usable anchor."""
    E = np.asarray(embeddings, dtype=float)
    labels = np.asarray(labels)
    d = np.sqrt(((E[:, None, :] - E[None, :, :]) ** 2).sum(axis=-1))
    same = labels[:, None] == labels[None, :]
    positive = same & ~np.eye(len(labels), dtype=bool)
    usable = positive.any(axis=1) & (~same).any(axis=1)
    if not usable.any():
        return 0.0
    easiest_positive = np.where(positive, d, np.inf).min(axis=1)
    easiest_negative = np.where(~same, d, -np.inf).max(axis=1)
    losses = np.maximum(0.0, easiest_positive - easiest_negative + margin)
    return float(losses[usable].mean())
''',
    },
    "q4_batch_hard:mean_over_all_anchors": {
        "cell": "q4_batch_hard",
        "tests": "q4_tests",
        "why": "counts the skipped anchors as zero losses and divides by N instead of by the anchors used",
        "source": '''def batch_hard_triplet_loss(embeddings, labels, margin=1.0):
    """Mean triplet loss over batch-hard triplets, one per usable anchor."""
    E = np.asarray(embeddings, dtype=float)
    labels = np.asarray(labels)
    d = np.sqrt(((E[:, None, :] - E[None, :, :]) ** 2).sum(axis=-1))
    same = labels[:, None] == labels[None, :]
    positive = same & ~np.eye(len(labels), dtype=bool)
    usable = positive.any(axis=1) & (~same).any(axis=1)
    if not usable.any():
        return 0.0
    hardest_positive = np.where(positive, d, -np.inf).max(axis=1)
    hardest_negative = np.where(~same, d, np.inf).min(axis=1)
    losses = np.maximum(0.0, hardest_positive - hardest_negative + margin)
    return float(np.where(usable, losses, 0.0).mean())
''',
    },
    "q4_batch_hard:squared_distances": {
        "cell": "q4_batch_hard",
        "tests": "q4_tests",
        "why": "uses squared Euclidean distances, which changes the loss (and what the margin means)",
        "source": '''def batch_hard_triplet_loss(embeddings, labels, margin=1.0):
    """Mean triplet loss over batch-hard triplets, one per usable anchor."""
    E = np.asarray(embeddings, dtype=float)
    labels = np.asarray(labels)
    d = ((E[:, None, :] - E[None, :, :]) ** 2).sum(axis=-1)
    same = labels[:, None] == labels[None, :]
    positive = same & ~np.eye(len(labels), dtype=bool)
    usable = positive.any(axis=1) & (~same).any(axis=1)
    if not usable.any():
        return 0.0
    hardest_positive = np.where(positive, d, -np.inf).max(axis=1)
    hardest_negative = np.where(~same, d, np.inf).min(axis=1)
    losses = np.maximum(0.0, hardest_positive - hardest_negative + margin)
    return float(losses[usable].mean())
''',
    },
}
