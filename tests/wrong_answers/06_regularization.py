"""Wrong-but-plausible answers for 06_regularization: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_dropout:non_inverted": {
        "cell": "q1_dropout",
        "tests": "q1_tests",
        "why": "non-inverted dropout: keeps units with probability 1 - p but never divides by 1 - p",
        "source": '''def dropout(x, p, training=True):
    """Inverted dropout: zero each element with probability p, divide the others by 1 - p."""
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    mask = (torch.rand_like(x) >= p).to(x.dtype)
    return x * mask
''',
    },
    "q1_dropout:also_at_eval": {
        "cell": "q1_dropout",
        "tests": "q1_tests",
        "why": "drops units at evaluation time too (ignores training)",
        "source": '''def dropout(x, p, training=True):
    """Inverted dropout: zero each element with probability p, divide the others by 1 - p."""
    if p == 1:
        return torch.zeros_like(x)
    mask = (torch.rand_like(x) >= p).to(x.dtype)
    return x * mask / (1 - p)
''',
    },
    "q1_dropout:p_is_keep_probability": {
        "cell": "q1_dropout",
        "tests": "q1_tests",
        "why": "reads p as the probability of keeping a unit (Srivastava et al.'s p), not dropping",
        "source": '''def dropout(x, p, training=True):
    """Inverted dropout: zero each element with probability p, divide the others by 1 - p."""
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    mask = (torch.rand_like(x) < p).to(x.dtype)
    return x * mask / p
''',
    },
    "q2_batch_norm:batch_statistics_at_eval": {
        "cell": "q2_batch_norm",
        "tests": "q2_tests",
        "why": "normalizes with the batch's statistics in evaluation mode too",
        "source": '''def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """BatchNorm of x (N, C) or (N, C, H, W); returns (y, new_running_mean, new_running_var)."""
    dims = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    n = x.numel() // x.shape[1]
    mean = x.mean(dim=dims)
    var = ((x - mean.view(shape)) ** 2).mean(dim=dims)
    if training:
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
    return gamma.view(shape) * x_hat + beta.view(shape), running_mean, running_var
''',
    },
    "q2_batch_norm:biased_running_variance": {
        "cell": "q2_batch_norm",
        "tests": "q2_tests",
        "why": "updates the running variance with the biased batch variance (no n / (n - 1))",
        "source": '''def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """BatchNorm of x (N, C) or (N, C, H, W); returns (y, new_running_mean, new_running_var)."""
    dims = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    if training:
        mean = x.mean(dim=dims)
        var = ((x - mean.view(shape)) ** 2).mean(dim=dims)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
    return gamma.view(shape) * x_hat + beta.view(shape), running_mean, running_var
''',
    },
    "q2_batch_norm:cs231n_momentum": {
        "cell": "q2_batch_norm",
        "tests": "q2_tests",
        "why": "CS231n's convention: momentum weighs the old running value, not the new batch",
        "source": '''def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """BatchNorm of x (N, C) or (N, C, H, W); returns (y, new_running_mean, new_running_var)."""
    dims = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    if training:
        n = x.numel() // x.shape[1]
        mean = x.mean(dim=dims)
        var = ((x - mean.view(shape)) ** 2).mean(dim=dims)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
    return gamma.view(shape) * x_hat + beta.view(shape), running_mean, running_var
''',
    },
    "q2_batch_norm:unbiased_variance_in_output": {
        "cell": "q2_batch_norm",
        "tests": "q2_tests",
        "why": "normalizes the training output with the unbiased variance (torch.var's default)",
        "source": '''def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """BatchNorm of x (N, C) or (N, C, H, W); returns (y, new_running_mean, new_running_var)."""
    dims = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    if training:
        mean = x.mean(dim=dims)
        var = x.var(dim=dims)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
    return gamma.view(shape) * x_hat + beta.view(shape), running_mean, running_var
''',
    },
    "q3_gl:previous_epoch": {
        "cell": "q3_gl",
        "tests": "q3_tests",
        "why": "compares the validation loss with the previous epoch's instead of the best so far",
        "source": '''def gl_early_stopping(val_losses, alpha):
    """(stop_epoch, best_epoch), from 1, of the GL_alpha criterion on a validation curve."""
    best, best_epoch = float("inf"), 0
    for t, loss in enumerate(val_losses, start=1):
        previous = val_losses[t - 2] if t > 1 else loss
        if loss < best:
            best, best_epoch = loss, t
        if 100 * (loss / previous - 1) > alpha:
            return t, best_epoch
    return len(val_losses), best_epoch
''',
    },
    "q3_gl:zero_based_epochs": {
        "cell": "q3_gl",
        "tests": "q3_tests",
        "why": "returns Python indices (from 0) instead of epochs counted from 1",
        "source": '''def gl_early_stopping(val_losses, alpha):
    """(stop_epoch, best_epoch), from 1, of the GL_alpha criterion on a validation curve."""
    best, best_epoch = float("inf"), 0
    for t, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, t
        if 100 * (loss / best - 1) > alpha:
            return t, best_epoch
    return len(val_losses) - 1, best_epoch
''',
    },
    "q3_gl:best_of_the_whole_curve": {
        "cell": "q3_gl",
        "tests": "q3_tests",
        "why": "uses the minimum of the whole curve, which early stopping cannot see yet",
        "source": '''def gl_early_stopping(val_losses, alpha):
    """(stop_epoch, best_epoch), from 1, of the GL_alpha criterion on a validation curve."""
    best = min(val_losses)
    best_epoch = list(val_losses).index(best) + 1
    for t, loss in enumerate(val_losses, start=1):
        if 100 * (loss / best - 1) > alpha and t > best_epoch:
            return t, best_epoch
    return len(val_losses), best_epoch
''',
    },
    "q3_gl:greater_or_equal": {
        "cell": "q3_gl",
        "tests": "q3_tests",
        "why": "stops when GL(t) >= alpha instead of GL(t) > alpha",
        "source": '''def gl_early_stopping(val_losses, alpha):
    """(stop_epoch, best_epoch), from 1, of the GL_alpha criterion on a validation curve."""
    best, best_epoch = float("inf"), 0
    for t, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch = loss, t
        if 100 * (loss / best - 1) >= alpha:
            return t, best_epoch
    return len(val_losses), best_epoch
''',
    },
    "q4_label_smoothing:pytorch_convention": {
        "cell": "q4_label_smoothing",
        "tests": "q4_tests",
        "why": "PyTorch's targets (1 - eps) onehot + eps / K instead of the seeds' 1 - eps, eps / (K - 1)",
        "source": '''def smooth_labels(y, num_classes, epsilon):
    """(N, K) targets: 1 - epsilon for the true class, epsilon / (K - 1) for every other class."""
    targets = torch.full((len(y), num_classes), epsilon / num_classes, dtype=torch.float64)
    targets[torch.arange(len(y)), y] += 1 - epsilon
    return targets


def smoothed_cross_entropy(logits, y, epsilon):
    """Mean over the batch of -sum_i p_i log softmax(logits)_i with the smoothed targets p."""
    p = smooth_labels(y, logits.shape[1], epsilon).to(logits.dtype)
    return -(p * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
''',
    },
    "q4_label_smoothing:unstable_log_softmax": {
        "cell": "q4_label_smoothing",
        "tests": "q4_tests",
        "why": "log(softmax(z)) computed naively: exp overflows and log(0) = -inf for huge logits",
        "source": '''def smooth_labels(y, num_classes, epsilon):
    """(N, K) targets: 1 - epsilon for the true class, epsilon / (K - 1) for every other class."""
    targets = torch.full((len(y), num_classes), epsilon / (num_classes - 1), dtype=torch.float64)
    targets[torch.arange(len(y)), y] = 1 - epsilon
    return targets


def smoothed_cross_entropy(logits, y, epsilon):
    """Mean over the batch of -sum_i p_i log softmax(logits)_i with the smoothed targets p."""
    p = smooth_labels(y, logits.shape[1], epsilon).to(logits.dtype)
    e = torch.exp(logits)
    return -(p * torch.log(e / e.sum(dim=1, keepdim=True))).sum(dim=1).mean()
''',
    },
    "q4_label_smoothing:sum_not_mean": {
        "cell": "q4_label_smoothing",
        "tests": "q4_tests",
        "why": "sums the loss over the batch instead of averaging it",
        "source": '''def smooth_labels(y, num_classes, epsilon):
    """(N, K) targets: 1 - epsilon for the true class, epsilon / (K - 1) for every other class."""
    targets = torch.full((len(y), num_classes), epsilon / (num_classes - 1), dtype=torch.float64)
    targets[torch.arange(len(y)), y] = 1 - epsilon
    return targets


def smoothed_cross_entropy(logits, y, epsilon):
    """Mean over the batch of -sum_i p_i log softmax(logits)_i with the smoothed targets p."""
    p = smooth_labels(y, logits.shape[1], epsilon).to(logits.dtype)
    return -(p * torch.log_softmax(logits, dim=1)).sum()
''',
    },
}
