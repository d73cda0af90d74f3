"""Tests for course_lib.metric_learning: contrastive, triplet and batch-hard mining."""

import pytest
import torch
from helpers import REDUCTIONS, TOL, randn
from torch.nn import functional

from course_lib.metric_learning import (
    batch_hard_triplet_loss,
    batch_hard_triplets,
    contrastive_loss,
    triplet_loss,
)

pytestmark = pytest.mark.ch03


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 2.5])
def test_triplet_matches_triplet_margin_loss(reduction, margin):
    """Plain distances (eps = 1e-6 added to the difference) are torch's triplet_margin_loss."""
    a, p, n = randn(7, 3, seed=0), randn(7, 3, seed=1), randn(7, 3, seed=2)
    p[0] = a[0]  # identical anchor and positive: eps keeps the distance defined
    expected = functional.triplet_margin_loss(a, p, n, margin=margin, reduction=reduction)
    got = triplet_loss(a, p, n, margin=margin, reduction=reduction)
    torch.testing.assert_close(got, expected, **TOL)


def test_triplet_squared_hand_worked():
    """a = 0, p = (1, 0), n = (0, 1.5), m = 1: max(0, 1 + 1 - 2.25) = 0 (easy negative);
    n = (0, 1.2): 1 + 1 - 1.44 = 0.56 (semi-hard); n = (0, 0.5): 1 + 1 - 0.25 = 1.75 (hard)."""
    a = torch.zeros(3, 2, dtype=torch.float64)
    p = torch.tensor([[1.0, 0.0]] * 3, dtype=torch.float64)
    n = torch.tensor([[0.0, 1.5], [0.0, 1.2], [0.0, 0.5]], dtype=torch.float64)
    got = triplet_loss(a, p, n, squared=True, reduction="none")
    torch.testing.assert_close(got, torch.tensor([0.0, 0.56, 1.75], dtype=torch.float64), **TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_contrastive_hand_worked(reduction):
    """m = 1, eps = 0. Positive pair at d = 0.5: d^2 = 0.25. Negative at d = 0.5:
    (1 - 0.5)^2 = 0.25. Negative at d = 5 (3-4-5): max(0, 1 - 5)^2 = 0. Positive at d = 5: 25."""
    x1 = torch.zeros(4, 2, dtype=torch.float64)
    x2 = torch.tensor([[0.3, 0.4], [0.3, 0.4], [3.0, 4.0], [3.0, 4.0]], dtype=torch.float64)
    same = torch.tensor([1, 0, 0, 1])
    per = torch.tensor([0.25, 0.25, 0.0, 25.0], dtype=torch.float64)
    expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    got = contrastive_loss(x1, x2, same, margin=1.0, eps=0.0, reduction=reduction)
    torch.testing.assert_close(got, expected, **TOL)
    got_bool = contrastive_loss(x1, x2, same.bool(), eps=0.0, reduction=reduction)
    torch.testing.assert_close(got_bool, expected, **TOL)


def brute_force_batch_hard(e, labels):
    """Double loop: for each anchor, the largest positive and smallest negative distance."""
    chosen = []
    for i in range(len(e)):
        pos = [
            torch.dist(e[i], e[j]).item()
            for j in range(len(e))
            if j != i and labels[j] == labels[i]
        ]
        neg = [torch.dist(e[i], e[j]).item() for j in range(len(e)) if labels[j] != labels[i]]
        if pos and neg:
            chosen.append((i, max(pos), min(neg)))
    return chosen


@pytest.mark.parametrize("seed", range(5))
def test_batch_hard_triplets_match_brute_force(seed):
    """Same anchors, and the chosen distances (not indices, which may tie) are the extremes."""
    e = randn(12, 3, seed=seed)
    labels = torch.randint(0, 4, (12,), generator=torch.Generator().manual_seed(seed))
    labels[0] = 9  # an anchor with no positive: skipped
    a, p, n = batch_hard_triplets(e, labels)
    expected = brute_force_batch_hard(e, labels)
    assert a.tolist() == [row[0] for row in expected]
    assert all(labels[p] == labels[a]) and all(labels[n] != labels[a]) and all(p != a)
    d_ap, d_an = (e[a] - e[p]).norm(dim=1), (e[a] - e[n]).norm(dim=1)
    torch.testing.assert_close(
        d_ap, torch.tensor([r[1] for r in expected], dtype=torch.float64), **TOL
    )
    torch.testing.assert_close(
        d_an, torch.tensor([r[2] for r in expected], dtype=torch.float64), **TOL
    )


def test_batch_hard_ties_and_single_class():
    """Duplicated embeddings tie; one class only has no negative, so no triplet and loss 0."""
    e = torch.tensor([[0.0], [1.0], [1.0], [5.0]], dtype=torch.float64, requires_grad=True)
    a, p, _ = batch_hard_triplets(e, torch.tensor([0, 0, 0, 1]))
    assert a.tolist() == [0, 1, 2] and p[0].item() in (1, 2)
    a, _, _ = batch_hard_triplets(e, torch.zeros(4, dtype=torch.long))
    assert a.numel() == 0
    loss = batch_hard_triplet_loss(e, torch.zeros(4, dtype=torch.long), margin=1.0)
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(e.grad, torch.zeros_like(e))


@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_loss_is_triplet_loss_on_mined_triplets(squared):
    e, labels = randn(10, 4, seed=7), torch.tensor([0, 0, 1, 1, 2, 2, 2, 3, 3, 3])
    a, p, n = batch_hard_triplets(e, labels)
    expected = triplet_loss(e[a], e[p], e[n], margin=0.5, squared=squared)
    got = batch_hard_triplet_loss(e, labels, margin=0.5, squared=squared)
    torch.testing.assert_close(got, expected, **TOL)


GRADCHECK_CASES = {
    "contrastive": lambda x: contrastive_loss(x[:3], x[3:], torch.tensor([1, 0, 0]), margin=3.0),
    "triplet": lambda x: triplet_loss(x[:2], x[2:4], x[4:], margin=2.0),
    "triplet_squared": lambda x: triplet_loss(x[:2], x[2:4], x[4:], margin=2.0, squared=True),
    "batch_hard": lambda x: batch_hard_triplet_loss(
        x, torch.tensor([0, 0, 1, 1, 2, 2]), margin=3.0
    ),
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_gradcheck(name):
    x = randn(6, 2, seed=11, requires_grad=True)
    assert torch.autograd.gradcheck(GRADCHECK_CASES[name], (x,), eps=1e-6, atol=1e-7)


def test_errors_name_the_argument():
    z = torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"anchor and negative .*\(3, 2\) and \(3, 4\)"):
        triplet_loss(z, z, torch.zeros(3, 4))
    with pytest.raises(ValueError, match="x1 and x2"):
        contrastive_loss(z, torch.zeros(2, 2), torch.ones(3))
    with pytest.raises(ValueError, match="same must hold 0 or 1"):
        contrastive_loss(z, z, torch.tensor([1, -1, 0]))
    with pytest.raises(ValueError, match=r"same must have shape \(3,\)"):
        contrastive_loss(z, z, torch.ones(2))
    with pytest.raises(ValueError, match=r"embeddings must have shape \(N, D\)"):
        batch_hard_triplets(torch.zeros(3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\)"):
        batch_hard_triplets(z, torch.zeros(4, dtype=torch.long))
    with pytest.raises(TypeError, match="labels must hold integer"):
        batch_hard_triplets(z, torch.zeros(3))
    with pytest.raises(ValueError, match="reduction must be one of"):
        triplet_loss(z, z, z, reduction="batchmean")
    with pytest.raises(TypeError, match=r"anchor must be a torch\.Tensor"):
        triplet_loss([[0.0]], z, z)
