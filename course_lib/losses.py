"""Chapter 03 losses in PyTorch: regression, margin, cross-entropy, KL, focal and multi-label.

Every function takes tensors, returns a tensor that autograd differentiates,
and copies the signature of its ``torch.nn.functional`` counterpart so a test
can swap the built-in in. ``reduction`` is "mean", "sum" or "none". The focal
loss is that of Lin et al. (2017), "Focal Loss for Dense Object Detection";
the metric-learning losses (contrastive, triplet from Schroff et al. 2015,
FaceNet, and batch-hard mining from Hermans et al. 2017) live in
``course_lib.metric_learning``.

See the book: 03_losses.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.validation import (
    REDUCTIONS,
    apply_reduction,
    check_class_target,
    check_same_shape,
)

__all__ = [
    *("l1_loss", "mse_loss", "l2_loss", "huber_loss", "hinge_loss", "multiclass_hinge_loss"),
    *("cross_entropy", "kl_div", "weighted_cross_entropy", "focal_loss", "multilabel_bce"),
]


def _check_class_weight(weight: Tensor | None, n_classes: int, name: str) -> None:
    if weight is not None and (not isinstance(weight, Tensor) or weight.shape != (n_classes,)):
        got = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(f"{name} must be a tensor of shape ({n_classes},), got {got}")


# --------------------------------------------------------------------------- #
# Regression: L1, L2 and Huber
# --------------------------------------------------------------------------- #
def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:  # noqa: A002
    """L1 loss L_i = |y_i - f(x_i)|; its mean is the MAE.

    Shape: ``input`` and ``target`` any shape, the same; output scalar or that shape.

    >>> l1_loss(torch.tensor([1.0, 4.0]), torch.tensor([2.0, 2.0]))
    tensor(1.5000)

    See the book: 03_losses.
    """
    check_same_shape(input, target, "input", "target")
    return apply_reduction((input - target).abs(), reduction)


def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:  # noqa: A002
    """L2 loss L_i = (y_i - f(x_i))^2; its mean is the MSE.

    Shape: ``input`` and ``target`` any shape, the same; output scalar or that shape.

    >>> mse_loss(torch.tensor([1.0, 4.0]), torch.tensor([2.0, 2.0]))
    tensor(2.5000)

    See the book: 03_losses.
    """
    check_same_shape(input, target, "input", "target")
    return apply_reduction((input - target) ** 2, reduction)


l2_loss = mse_loss


def huber_loss(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    *,
    reduction: str = "mean",
    delta: float = 1.0,
) -> Tensor:
    """Huber loss: quadratic near zero, linear beyond ``delta``.

    L_delta = 1/2 (y - f(x))^2 if |y - f(x)| < delta, else delta (|y - f(x)| - delta / 2).

    Shape: ``input`` and ``target`` any shape, the same; output scalar or that shape.

    >>> huber_loss(torch.tensor([0.5, 3.0]), torch.zeros(2), reduction="none")
    tensor([0.1250, 2.5000])

    See the book: 03_losses.
    """
    check_same_shape(input, target, "input", "target")
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta}")
    err = (input - target).abs()
    loss = torch.where(err < delta, 0.5 * err**2, delta * (err - 0.5 * delta))
    return apply_reduction(loss, reduction)


# --------------------------------------------------------------------------- #
# Margin (hinge) losses
# --------------------------------------------------------------------------- #
def hinge_loss(
    scores: Tensor, target: Tensor, *, margin: float = 1.0, reduction: str = "mean"
) -> Tensor:
    """Binary hinge loss L_i = max(0, m - y_i f(x_i)) with labels y_i = +-1.

    Shape: ``scores`` and ``target`` any shape, the same; output scalar or that shape.

    >>> hinge_loss(torch.tensor([2.0, 0.5, -1.0]), torch.tensor([1.0, 1.0, 1.0]))
    tensor(0.8333)

    See the book: 03_losses.
    """
    check_same_shape(scores, target, "scores", "target")
    if not torch.all((target == 1) | (target == -1)):
        values = torch.unique(target).tolist()
        hint = "; map 0 -> -1 first (target = 2 * target - 1)" if 0 in values else ""
        raise ValueError(f"target must hold labels -1 and +1, got values {values}{hint}")
    return apply_reduction(torch.clamp(margin - target * scores, min=0), reduction)


def multiclass_hinge_loss(
    logits: Tensor, target: Tensor, *, margin: float = 1.0, reduction: str = "mean"
) -> Tensor:
    """Multi-class hinge, as ``torch.nn.functional.multi_margin_loss`` (p=1).

    L_i = 1/C sum_{j != y_i} max(0, m - a_{i,y_i} + a_{i,j}): torch divides by C.

    Shape: ``logits`` (N, C), ``target`` (N,) integers; output scalar or (N,).

    >>> multiclass_hinge_loss(torch.tensor([[2.0, 1.5, -1.0]]), torch.tensor([0]))
    tensor(0.1667)

    See the book: 03_losses.
    """
    check_class_target(logits, target)
    correct = logits.gather(1, target[:, None])
    terms = torch.clamp(margin - correct + logits, min=0).scatter(1, target[:, None], 0.0)
    return apply_reduction(terms.sum(dim=1) / logits.shape[1], reduction)


# --------------------------------------------------------------------------- #
# Probabilistic losses: cross-entropy, KL, focal, multi-label
# --------------------------------------------------------------------------- #
def log_softmax(logits: Tensor) -> Tensor:
    """ln S(a_k) = a_k - ln sum_j e^(a_j), by log-sum-exp: finite for logits of +-1e4.

    >>> log_softmax(torch.tensor([[1e4, 0.0]]))
    tensor([[     0., -10000.]])
    """
    return logits - torch.logsumexp(logits, dim=1, keepdim=True)


def cross_entropy(
    logits: Tensor, target: Tensor, *, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """Cross-entropy from logits, L_i = -w_{y_i} ln S(a_{i,y_i}).

    With ``weight`` the mean is sum_i w_{y_i} L_i / sum_i w_{y_i}, as in torch.

    Shape: ``logits`` (N, C), ``target`` (N,) integers, ``weight`` (C,);
    output scalar or (N,).

    >>> cross_entropy(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
    tensor(0.6931)

    See the book: 03_losses.
    """
    check_class_target(logits, target)
    _check_class_weight(weight, logits.shape[1], "weight")
    nll = -log_softmax(logits).gather(1, target[:, None]).squeeze(1)
    if weight is None:
        return apply_reduction(nll, reduction)
    w = weight[target]
    if reduction == "mean":
        return (w * nll).sum() / w.sum()
    return apply_reduction(w * nll, reduction)


def weighted_cross_entropy(
    logits: Tensor, target: Tensor, *, class_weights: Tensor, reduction: str = "mean"
) -> Tensor:
    """Class-weighted cross-entropy L_i = -alpha_{k0} ln S(a_{i,k0}), e.g. alpha_k = 1 / N_k.

    Same as ``cross_entropy(logits, target, weight=class_weights)``.

    Shape: ``logits`` (N, C), ``target`` (N,), ``class_weights`` (C,).

    >>> weighted_cross_entropy(torch.zeros(2, 2), torch.tensor([0, 1]),
    ...                        class_weights=torch.tensor([1.0, 3.0]))
    tensor(0.6931)

    See the book: 03_losses.
    """
    _check_class_weight(class_weights, logits.shape[-1], "class_weights")
    return cross_entropy(logits, target, weight=class_weights, reduction=reduction)


def kl_div(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    *,
    reduction: str = "mean",
) -> Tensor:
    """KL divergence D(p || q) = sum p ln(p / q), torch's convention: ``input`` is ln q.

    Pointwise p (ln p - ln q) with 0 ln 0 = 0; "batchmean" divides the sum by N
    (the true KL per sample), "mean" by the number of elements, as torch does.

    Shape: ``input`` (log-probabilities) and ``target`` (probabilities) the same.

    >>> p = torch.tensor([[0.5, 0.5]])
    >>> kl_div(torch.log(torch.tensor([[0.25, 0.75]])), p, reduction="batchmean")
    tensor(0.1438)

    See the book: 03_losses.
    """
    check_same_shape(input, target, "input", "target")
    pointwise = torch.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return pointwise.sum() / (input.shape[0] if input.ndim else 1)
    return apply_reduction(pointwise, reduction, (*REDUCTIONS, "batchmean"))


def focal_loss(
    logits: Tensor,
    target: Tensor,
    *,
    gamma: float = 2.0,
    alpha: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class focal loss (Lin et al., 2017), FL_i = -alpha_y (1 - p_y)^gamma ln p_y.

    ln p_y comes from the log-softmax and 1 - p_y = -expm1(ln p_y), so logits of
    +-1e4 give finite values. "mean" is the plain mean over samples; with
    gamma = 0 and alpha = None this is ``cross_entropy``.

    Shape: ``logits`` (N, C), ``target`` (N,), ``alpha`` (C,); output scalar or (N,).

    >>> focal_loss(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
    tensor(0.1733)

    See the book: 03_losses.
    """
    check_class_target(logits, target)
    _check_class_weight(alpha, logits.shape[1], "alpha")
    if not gamma >= 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    log_p = log_softmax(logits).gather(1, target[:, None]).squeeze(1)
    loss = -((-torch.expm1(log_p)) ** gamma) * log_p
    return apply_reduction(loss if alpha is None else alpha[target] * loss, reduction)


def multilabel_bce(
    logits: Tensor, targets: Tensor, *, pos_weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """Multi-label loss: a sigmoid per class and binary cross-entropy, from logits.

    L = -[w y ln sigma(a) + (1 - y) ln(1 - sigma(a))], written as
    (1 - y) a + (1 + (w - 1) y) ln(1 + e^(-a)) with ln(1 + e^(-a)) = logaddexp(0, -a):
    stable for any a, equal to ``binary_cross_entropy_with_logits``.

    Shape: ``logits`` and ``targets`` (N, C) in [0, 1]; ``pos_weight`` (C,).

    >>> multilabel_bce(torch.tensor([[0.0, 1e4]]), torch.tensor([[1.0, 1.0]]))
    tensor(0.3466)

    See the book: 03_losses.
    """
    check_same_shape(logits, targets, "logits", "targets")
    if targets.numel() and (targets.min() < 0 or targets.max() > 1):
        raise ValueError(
            f"targets must lie in [0, 1], got min {targets.min()}, max {targets.max()}"
        )
    softplus_neg = torch.logaddexp(torch.zeros_like(logits), -logits)
    w = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * targets
    return apply_reduction((1 - targets) * logits + w * softplus_neg, reduction)
