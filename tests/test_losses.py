"""Tests for course_lib.losses: each loss against torch.nn.functional, in float64.

Every loss is compared for the three reductions with rtol = atol = 1e-12,
checked with ``torch.autograd.gradcheck``, and fed logits of +-1e4 where a
naive softmax or sigmoid would overflow.
"""

import math

import pytest
import torch
from helpers import REDUCTIONS, TOL, gen, randn
from hypothesis import given
from hypothesis import strategies as st
from torch.nn import functional

from course_lib.losses import (
    cross_entropy,
    focal_loss,
    hinge_loss,
    huber_loss,
    kl_div,
    l1_loss,
    l2_loss,
    mse_loss,
    multiclass_hinge_loss,
    multilabel_bce,
    weighted_cross_entropy,
)

pytestmark = pytest.mark.ch03

N, C = 6, 4


def labels(n=N, c=C, seed=1):
    return torch.randint(0, c, (n,), generator=gen(seed))


# --------------------------------------------------------------------------- #
# Against torch.nn.functional, every reduction
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(reduction):
    """Are L1, L2 and Huber (two deltas) torch's values?"""
    x, y = randn(N, 3, seed=0, scale=2.0), randn(N, 3, seed=1)
    torch.testing.assert_close(
        l1_loss(x, y, reduction=reduction), functional.l1_loss(x, y, reduction=reduction), **TOL
    )
    torch.testing.assert_close(
        mse_loss(x, y, reduction=reduction), functional.mse_loss(x, y, reduction=reduction), **TOL
    )
    for delta in (0.3, 1.0, 2.5):
        torch.testing.assert_close(
            huber_loss(x, y, delta=delta, reduction=reduction),
            functional.huber_loss(x, y, delta=delta, reduction=reduction),
            **TOL,
        )


def test_l2_is_mse_and_huber_hand_worked():
    """l2_loss is mse_loss; Huber with delta = 1 on errors 0.5 and 3: 0.125 and 2.5."""
    assert l2_loss is mse_loss
    # 1/2 * 0.5^2 = 0.125 (quadratic); 1 * (3 - 1/2) = 2.5 (linear)
    got = huber_loss(torch.tensor([0.5, -3.0], dtype=torch.float64), torch.zeros(2).double())
    torch.testing.assert_close(got, torch.tensor(1.3125, dtype=torch.float64), **TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_torch(reduction, weighted):
    """Is cross_entropy torch's, with and without class weights (weighted mean)?"""
    logits, target = randn(N, C, scale=3.0), labels()
    weight = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64) if weighted else None
    expected = functional.cross_entropy(logits, target, weight=weight, reduction=reduction)
    got = cross_entropy(logits, target, weight=weight, reduction=reduction)
    torch.testing.assert_close(got, expected, **TOL)
    if weighted:
        got_w = weighted_cross_entropy(logits, target, class_weights=weight, reduction=reduction)
        torch.testing.assert_close(got_w, expected, **TOL)


@pytest.mark.filterwarnings("ignore:reduction. .mean. divides:UserWarning")
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
def test_kl_div_matches_torch(reduction):
    """Is kl_div(ln q, p) torch's, including a zero probability in p (0 ln 0 = 0)?"""
    log_q = torch.log_softmax(randn(N, C, seed=2), dim=1)
    p = torch.softmax(randn(N, C, seed=3), dim=1)
    p[0] = torch.tensor([0.0, 0.5, 0.5, 0.0], dtype=torch.float64)
    expected = functional.kl_div(log_q, p, reduction=reduction)
    torch.testing.assert_close(kl_div(log_q, p, reduction=reduction), expected, **TOL)


def test_kl_div_batchmean_is_cross_entropy_minus_entropy():
    """D(p||q) = H(p, q) - H(p) per sample; batchmean averages it over the batch."""
    log_q = torch.log_softmax(randn(N, C, seed=4), dim=1)
    p = torch.softmax(randn(N, C, seed=5), dim=1)
    h_pq, h_p = -(p * log_q).sum(1), -(p * p.log()).sum(1)
    got = kl_div(log_q, p, reduction="batchmean")
    torch.testing.assert_close(got, (h_pq - h_p).mean(), **TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_pos_weight", [False, True])
def test_multilabel_bce_matches_torch(reduction, with_pos_weight):
    """Is multilabel_bce binary_cross_entropy_with_logits, soft targets and pos_weight included?"""
    logits = randn(N, C, seed=6, scale=4.0)
    targets = torch.rand(N, C, generator=gen(7), dtype=torch.float64).round()
    targets[0, 0] = 0.3  # a soft target
    pw = torch.tensor([1.0, 3.0, 0.5, 10.0], dtype=torch.float64) if with_pos_weight else None
    expected = functional.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=pw, reduction=reduction
    )
    got = multilabel_bce(logits, targets, pos_weight=pw, reduction=reduction)
    torch.testing.assert_close(got, expected, **TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.4])
def test_multiclass_hinge_matches_multi_margin_loss(reduction, margin):
    """Is multiclass_hinge_loss torch's multi_margin_loss with p = 1?"""
    logits, target = randn(N, C, seed=8), labels(seed=9)
    expected = functional.multi_margin_loss(logits, target, margin=margin, reduction=reduction)
    got = multiclass_hinge_loss(logits, target, margin=margin, reduction=reduction)
    torch.testing.assert_close(got, expected, **TOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_matches_formula_and_torch_relu(reduction):
    """Binary hinge: scores (2, 0.5, -1), y = +1, m = 1 give (0, 0.5, 2); torch's
    hinge_embedding_loss is a different loss, so the check is max(0, m - y s) itself."""
    scores = torch.tensor([2.0, 0.5, -1.0, 0.25], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, 1.0, -1.0], dtype=torch.float64)
    expected = torch.tensor([0.0, 0.5, 2.0, 1.25], dtype=torch.float64)
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    torch.testing.assert_close(hinge_loss(scores, y, reduction=reduction), expected, **TOL)


# --------------------------------------------------------------------------- #
# Focal loss
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_with_gamma_zero_is_cross_entropy(reduction):
    """FL with gamma = 0 and no alpha is the cross-entropy."""
    logits, target = randn(N, C, seed=10, scale=3.0), labels(seed=11)
    torch.testing.assert_close(
        focal_loss(logits, target, gamma=0.0, reduction=reduction),
        functional.cross_entropy(logits, target, reduction=reduction),
        **TOL,
    )


def test_focal_hand_worked():
    """logits (ln 3, 0): p = (3/4, 1/4).
    Target 0: -(1 - 3/4)^2 ln(3/4) = -(1/16) ln(0.75) = 0.0179801...
    Target 1 with alpha_1 = 0.25: -0.25 (3/4)^2 ln(1/4) = 0.25 * 0.5625 * ln 4 = 0.1949476...
    """
    logits = torch.tensor([[math.log(3.0), 0.0], [math.log(3.0), 0.0]], dtype=torch.float64)
    target = torch.tensor([0, 1])
    alpha = torch.tensor([1.0, 0.25], dtype=torch.float64)
    expected = torch.tensor(
        [-(1 / 16) * math.log(0.75), 0.25 * 0.5625 * math.log(4.0)], dtype=torch.float64
    )
    got = focal_loss(logits, target, gamma=2.0, alpha=alpha, reduction="none")
    torch.testing.assert_close(got, expected, **TOL)
    torch.testing.assert_close(
        got, torch.tensor([0.0179801, 0.1949476], dtype=torch.float64), rtol=0, atol=1e-7
    )


def test_focal_down_weights_easy_examples():
    """A confident correct example loses more relative weight than a hard one as gamma grows."""
    logits = torch.tensor([[4.0, 0.0], [0.0, 0.5]], dtype=torch.float64)
    target = torch.tensor([0, 0])
    ratio = focal_loss(logits, target, gamma=2.0, reduction="none") / cross_entropy(
        logits, target, reduction="none"
    )
    assert ratio[0] < 0.001 < 0.3 < ratio[1] < 1


# --------------------------------------------------------------------------- #
# Gradients and huge logits
# --------------------------------------------------------------------------- #
GRADCHECK_CASES = {
    "l1": lambda x: l1_loss(x, randn(3, 2, seed=20)),
    "mse": lambda x: mse_loss(x, randn(3, 2, seed=20)),
    "huber": lambda x: huber_loss(x, randn(3, 2, seed=20), delta=0.7),
    "hinge": lambda x: hinge_loss(x, torch.tensor([[1.0, -1.0]] * 3).double(), margin=2.0),
    "multiclass_hinge": lambda x: multiclass_hinge_loss(x, torch.tensor([0, 1, 1])),
    "cross_entropy": lambda x: cross_entropy(
        x, torch.tensor([0, 1, 1]), weight=torch.tensor([1.0, 2.0], dtype=torch.float64)
    ),
    "kl_div": lambda x: kl_div(torch.log_softmax(x, 1), torch.full((3, 2), 0.5).double()),
    "kl_div_target": lambda x: kl_div(randn(3, 2, seed=21), torch.softmax(x, 1)),
    "focal": lambda x: focal_loss(
        x, torch.tensor([0, 1, 0]), gamma=2.0, alpha=torch.tensor([0.3, 0.7], dtype=torch.float64)
    ),
    "multilabel_bce": lambda x: multilabel_bce(
        x,
        torch.tensor([[1.0, 0.0]] * 3).double(),
        pos_weight=torch.tensor([2.0, 1.0], dtype=torch.float64),
    ),
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_gradcheck(name):
    """Does autograd's gradient match finite differences (float64, away from kinks)?"""
    x = randn(3, 2, seed=22, scale=1.5, requires_grad=True)
    assert torch.autograd.gradcheck(GRADCHECK_CASES[name], (x,), eps=1e-6, atol=1e-7)


HUGE = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=torch.float64)
HUGE_CASES = {
    "cross_entropy": (cross_entropy, torch.tensor([1, 1]), functional.cross_entropy),
    "focal": (lambda x, t: focal_loss(x, t, gamma=0.0), torch.tensor([1, 1]), None),
    "focal_gamma2": (focal_loss, torch.tensor([1, 1]), None),
    "multilabel_bce": (
        multilabel_bce,
        torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]], dtype=torch.float64),
        functional.binary_cross_entropy_with_logits,
    ),
}


@pytest.mark.parametrize("name", HUGE_CASES)
def test_huge_logits_give_finite_loss_and_gradients(name):
    """Logits of +-1e4: the loss is finite and right (1e4 where the wrong class wins), the
    gradient finite."""
    loss_fn, target, reference = HUGE_CASES[name]
    x = HUGE.clone().requires_grad_(True)
    loss = loss_fn(x, target)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 1000
    assert torch.isfinite(x.grad).all()
    expected = (reference or functional.cross_entropy)(HUGE, target)
    if name != "focal_gamma2":
        torch.testing.assert_close(loss, expected, **TOL)


# --------------------------------------------------------------------------- #
# Hypothesis: bounded shapes and values
# --------------------------------------------------------------------------- #
finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@given(
    n=st.integers(1, 5),
    c=st.integers(1, 5),
    data=st.data(),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_cross_entropy_property(n, c, data, reduction):
    """For any small batch, cross_entropy is torch's and is >= 0."""
    rows = data.draw(st.lists(st.lists(finite, min_size=c, max_size=c), min_size=n, max_size=n))
    logits = torch.tensor(rows, dtype=torch.float64)
    target = torch.tensor(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    got = cross_entropy(logits, target, reduction=reduction)
    expected = functional.cross_entropy(logits, target, reduction=reduction)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    assert torch.all(got >= 0)


@given(
    values=st.lists(st.tuples(finite, finite), min_size=1, max_size=8),
    delta=st.floats(0.01, 10),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_huber_property(values, delta, reduction):
    """Huber is torch's, lies between 0 and both delta |e| and e^2 / 2 (per element)."""
    x = torch.tensor([v[0] for v in values], dtype=torch.float64)
    y = torch.tensor([v[1] for v in values], dtype=torch.float64)
    got = huber_loss(x, y, delta=delta, reduction=reduction)
    expected = functional.huber_loss(x, y, delta=delta, reduction=reduction)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    per = huber_loss(x, y, delta=delta, reduction="none")
    e = (x - y).abs()
    assert torch.all(per >= 0)
    assert torch.all(per <= torch.minimum(delta * e, 0.5 * e**2) + 1e-9)


# --------------------------------------------------------------------------- #
# Errors name the argument
# --------------------------------------------------------------------------- #
def test_shape_mismatch_names_both_arguments():
    with pytest.raises(ValueError, match=r"input and target .*\(3,\) and \(4,\)"):
        mse_loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="logits and targets"):
        multilabel_bce(torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="scores and target"):
        hinge_loss(torch.zeros(2), torch.ones(3))
    with pytest.raises(ValueError, match=r"logits and target must agree"):
        cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        cross_entropy(torch.zeros(3), torch.tensor([0, 1, 2]))


def test_target_errors():
    logits = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"target must hold class indices in \[0, 2\]"):
        cross_entropy(logits, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="target must hold class indices"):
        focal_loss(logits, torch.tensor([-1, 0]))
    with pytest.raises(TypeError, match="target must hold integer"):
        cross_entropy(logits, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target must hold labels -1 and \+1.*map 0 -> -1"):
        hinge_loss(torch.zeros(2), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="targets must lie in"):
        multilabel_bce(torch.zeros(2), torch.tensor([0.0, 2.0]))
    with pytest.raises(TypeError, match=r"input must be a torch\.Tensor"):
        l1_loss([1.0], torch.zeros(1))


def test_parameter_errors():
    x, t = torch.zeros(2, 3), torch.tensor([0, 1])
    for reduction in ("avg", "batchmean"):
        with pytest.raises(ValueError, match="reduction must be one of"):
            l1_loss(torch.zeros(2), torch.zeros(2), reduction=reduction)
    with pytest.raises(ValueError, match="reduction must be one of"):
        kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="delta must be positive"):
        huber_loss(torch.zeros(2), torch.zeros(2), delta=0.0)
    with pytest.raises(ValueError, match=r"weight must be a tensor of shape \(3,\)"):
        cross_entropy(x, t, weight=torch.ones(2))
    with pytest.raises(ValueError, match=r"class_weights must be a tensor of shape \(3,\)"):
        weighted_cross_entropy(x, t, class_weights=torch.ones(4))
    with pytest.raises(ValueError, match="alpha must be a tensor"):
        focal_loss(x, t, alpha=torch.ones(2))
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        focal_loss(x, t, gamma=-1.0)


def test_batch_of_one_and_non_contiguous():
    """Batch size 1 and a transposed (non-contiguous) logits tensor still match torch."""
    logits = randn(C, N, seed=30).t()
    assert not logits.is_contiguous()
    target = labels(seed=31)
    torch.testing.assert_close(
        cross_entropy(logits, target), functional.cross_entropy(logits, target), **TOL
    )
    torch.testing.assert_close(
        focal_loss(logits[:1], target[:1], gamma=0.0),
        functional.cross_entropy(logits[:1], target[:1]),
        **TOL,
    )
