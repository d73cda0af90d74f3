"""Chapter 03 metric-learning losses: contrastive, triplet and batch-hard triplet mining.

A siamese network maps inputs to embeddings f(x); these losses pull matching
embeddings together and push others at least a margin m apart. Contrastive
loss follows Hadsell, Chopra & LeCun (2006), the triplet loss Schroff et al.
(2015, FaceNet), and batch-hard mining Hermans, Beyer & Leibe (2017).

Distances follow ``torch.nn.functional.pairwise_distance``:
d(a, b) = ||a - b + eps||_2 with eps = 1e-6 added to the difference, so the
gradient stays finite when a == b and ``triplet_loss`` equals
``torch.nn.functional.triplet_margin_loss``. ``squared=True`` uses the exact
d^2 = ||a - b||^2 (smooth everywhere, no eps).

See the book: 03_losses.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.validation import apply_reduction, check_same_shape, check_tensor

__all__ = ["batch_hard_triplet_loss", "batch_hard_triplets", "contrastive_loss", "triplet_loss"]


def _check_embeddings(x: Tensor, name: str) -> None:
    check_tensor(x, name)
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D), got {tuple(x.shape)}")


def pair_distance(a: Tensor, b: Tensor, *, squared: bool = False, eps: float = 1e-6) -> Tensor:
    """Row-wise d(a_i, b_i) = ||a_i - b_i + eps||, or ||a_i - b_i||^2 if ``squared``.

    >>> pair_distance(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), eps=0.0)
    tensor([5.])
    """
    if squared:
        return ((a - b) ** 2).sum(dim=-1)
    return torch.linalg.vector_norm(a - b + eps, dim=-1)


def contrastive_loss(
    x1: Tensor,
    x2: Tensor,
    same: Tensor,
    *,
    margin: float = 1.0,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Contrastive loss L = y d^2 + (1 - y) max(0, m - d)^2, y = 1 for a positive pair.

    The book's convention, without the 1/2 of Hadsell et al. (2006):
    d = ||x1 - x2 + eps|| as in ``pairwise_distance``.

    Shape: ``x1`` and ``x2`` (N, D), ``same`` (N,) of 0/1 (or bool); output scalar or (N,).

    >>> contrastive_loss(torch.tensor([[0.0, 0.0], [0.0, 0.0]]),
    ...                  torch.tensor([[0.3, 0.4], [0.3, 0.4]]),
    ...                  torch.tensor([1, 0]), eps=0.0, reduction="none")
    tensor([0.2500, 0.2500])

    See the book: 03_losses.
    """
    _check_embeddings(x1, "x1")
    check_same_shape(x1, x2, "x1", "x2")
    check_tensor(same, "same")
    if same.shape != x1.shape[:1]:
        raise ValueError(f"same must have shape ({x1.shape[0]},), got {tuple(same.shape)}")
    if not torch.all((same == 0) | (same == 1)):
        raise ValueError(f"same must hold 0 or 1, got values {torch.unique(same).tolist()}")
    y = same.to(x1.dtype)
    d = pair_distance(x1, x2, eps=eps)
    return apply_reduction(y * d**2 + (1 - y) * torch.clamp(margin - d, min=0) ** 2, reduction)


def triplet_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    margin: float = 1.0,
    squared: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss L = max(0, m + d(a, p) - d(a, n)) (Schroff et al., 2015).

    ``squared=False`` equals ``triplet_margin_loss(anchor, positive, negative,
    margin=m, eps=eps)``; ``squared=True`` uses d^2 as the book and FaceNet do.

    Shape: ``anchor``, ``positive``, ``negative`` (N, D); output scalar or (N,).

    >>> a = torch.tensor([[0.0, 0.0]])
    >>> triplet_loss(a, torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.5]]), eps=0.0)
    tensor(0.5000)

    See the book: 03_losses.
    """
    _check_embeddings(anchor, "anchor")
    check_same_shape(anchor, positive, "anchor", "positive")
    check_same_shape(anchor, negative, "anchor", "negative")
    d_ap = pair_distance(anchor, positive, squared=squared, eps=eps)
    d_an = pair_distance(anchor, negative, squared=squared, eps=eps)
    return apply_reduction(torch.clamp(margin + d_ap - d_an, min=0), reduction)


def _check_labels(embeddings: Tensor, labels: Tensor) -> None:
    _check_embeddings(embeddings, "embeddings")
    check_tensor(labels, "labels")
    if labels.dtype.is_floating_point or labels.dtype.is_complex:
        raise TypeError(f"labels must hold integer class labels, got dtype {labels.dtype}")
    if labels.shape != embeddings.shape[:1]:
        raise ValueError(
            f"embeddings and labels must agree: embeddings has shape {tuple(embeddings.shape)}, "
            f"so labels must have shape ({embeddings.shape[0]},), got {tuple(labels.shape)}"
        )


def batch_hard_triplets(embeddings: Tensor, labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Batch-hard mining (Hermans et al., 2017): one triplet per usable anchor.

    For anchor a: p = argmax_{y_p = y_a, p != a} d(a, p) (hardest positive) and
    n = argmin_{y_n != y_a} d(a, n) (hardest negative). Anchors with no positive
    or no negative in the batch are skipped. Indices only: no gradient flows.

    Shape: ``embeddings`` (N, D), ``labels`` (N,); three index tensors (M,), M <= N.

    >>> e = torch.tensor([[0.0], [1.0], [3.0], [0.5]])
    >>> batch_hard_triplets(e, torch.tensor([0, 0, 0, 1]))
    (tensor([0, 1, 2]), tensor([2, 2, 0]), tensor([3, 3, 3]))

    See the book: 03_losses.
    """
    _check_labels(embeddings, labels)
    with torch.no_grad():
        d2 = ((embeddings[:, None, :] - embeddings[None, :, :]) ** 2).sum(dim=-1)
        same = labels[:, None] == labels[None, :]
        pos_mask = same & ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
        hardest_pos = torch.where(pos_mask, d2, -torch.inf).argmax(dim=1)
        hardest_neg = torch.where(~same, d2, torch.inf).argmin(dim=1)
        anchors = torch.nonzero(pos_mask.any(dim=1) & (~same).any(dim=1)).squeeze(1)
    return anchors, hardest_pos[anchors], hardest_neg[anchors]


def batch_hard_triplet_loss(
    embeddings: Tensor,
    labels: Tensor,
    *,
    margin: float = 1.0,
    squared: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Mean triplet loss over the batch-hard triplets of ``batch_hard_triplets``.

    A batch with no usable anchor gives 0 (still attached to the graph) for
    "mean" and "sum", an empty tensor for "none".

    Shape: ``embeddings`` (N, D), ``labels`` (N,); output scalar or (M,).

    >>> e = torch.tensor([[0.0], [1.0], [3.0], [0.5]])
    >>> batch_hard_triplet_loss(e, torch.tensor([0, 0, 0, 1]), margin=1.0, eps=0.0)
    tensor(2.5000)

    See the book: 03_losses.
    """
    a, p, n = batch_hard_triplets(embeddings, labels)
    if len(a) == 0 and reduction in ("mean", "sum"):
        return (embeddings * 0).sum()
    return triplet_loss(
        embeddings[a], embeddings[p], embeddings[n],
        margin=margin, squared=squared, eps=eps, reduction=reduction,
    )  # fmt: skip
