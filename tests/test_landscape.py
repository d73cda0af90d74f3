"""Tests for course_lib.landscape: the two-weight network, Hessians and critical points.

Hessians are checked against closed forms (quadratics, the saddle x^2 - y^2, the
two-weight network's origin) and against central finite differences of the
autograd gradient, in float64; loss slices against hand-worked linear models.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_lib.landscape import (
    critical_point_kind,
    filter_normalized_direction,
    flat_loss,
    hessian,
    hessian_eigenvalues,
    loss_along_directions,
    two_weight_loss,
    two_weight_net,
)

pytestmark = pytest.mark.ch04
F64 = torch.float64


def fd_hessian(fn, point, eps=1e-5):
    """Central differences of the autograd gradient, column by column."""

    def grad(p):
        p = p.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(fn(p), p)
        return g

    columns = []
    for j in range(point.numel()):
        e = torch.zeros_like(point)
        e[j] = eps
        columns.append((grad(point + e) - grad(point - e)) / (2 * eps))
    return torch.stack(columns, dim=1)


def test_two_weight_net_matches_its_formula_on_a_grid():
    x = torch.linspace(-2, 2, 7, dtype=F64)
    w1, w2 = torch.meshgrid(torch.linspace(-3, 3, 5, dtype=F64),
                            torch.linspace(-1, 1, 4, dtype=F64), indexing="ij")
    loss = two_weight_loss(w1, w2, x, torch.sin(x))
    assert loss.shape == (5, 4)
    for i in range(5):
        for j in range(4):
            y_hat = [math.tanh(float(w2[i, j]) * math.tanh(float(w1[i, j]) * float(v)))
                     for v in x]
            pairs = zip(x, y_hat, strict=True)
            expected = sum((math.sin(float(v)) - h) ** 2 for v, h in pairs) / len(x)
            assert float(loss[i, j]) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_two_weight_loss_is_symmetric_under_flipping_both_weights():
    x = torch.linspace(-1, 1, 9, dtype=F64)
    y = two_weight_net(0.7, -1.3, x)
    w = torch.randn(50, 2, dtype=F64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(two_weight_loss(w[:, 0], w[:, 1], x, y),
                               two_weight_loss(-w[:, 0], -w[:, 1], x, y), rtol=0, atol=1e-15)


def test_two_weight_origin_is_a_saddle_with_the_closed_form_eigenvalues():
    """At w = 0 only the mixed derivative survives: d2L/dw1dw2 = -2 mean(x y)."""
    x = torch.tensor([0.5, 1.0, 2.0], dtype=F64)
    y = torch.tensor([0.3, 0.6, 0.8], dtype=F64)
    mixed = -2 * float((x * y).mean())
    H = hessian(lambda w: two_weight_loss(w[0], w[1], x, y), torch.zeros(2, dtype=F64))
    torch.testing.assert_close(H, torch.tensor([[0.0, mixed], [mixed, 0.0]], dtype=F64),
                               rtol=1e-12, atol=1e-14)
    eig = hessian_eigenvalues(lambda w: two_weight_loss(w[0], w[1], x, y),
                              torch.zeros(2, dtype=F64))
    torch.testing.assert_close(eig, torch.tensor([mixed, -mixed], dtype=F64), rtol=1e-12,
                               atol=1e-14)
    assert critical_point_kind(eig) == "saddle"


@pytest.mark.parametrize("condition", [1.0, 10.0, 1000.0])
def test_hessian_of_a_quadratic_is_its_matrix(condition):
    A = torch.tensor([[condition, 0.3], [0.3, 1.0]], dtype=F64)
    H = hessian(lambda p: 0.5 * p @ A @ p, torch.tensor([0.4, -2.0], dtype=F64))
    torch.testing.assert_close(H, A, rtol=1e-13, atol=1e-13)


def test_hessian_equals_finite_differences_for_a_small_network():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    X = torch.randn(20, 3, dtype=F64)
    y = torch.randint(0, 2, (20,))
    fn, theta = flat_loss(net, nn.functional.cross_entropy, X, y)
    assert theta.numel() == sum(p.numel() for p in net.parameters()) == 26
    torch.testing.assert_close(fn(theta), nn.functional.cross_entropy(net(X), y), rtol=1e-14,
                               atol=0)
    H = hessian(fn, theta)
    torch.testing.assert_close(H, fd_hessian(fn, theta), rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(H, H.T, rtol=0, atol=0)


def test_flat_loss_does_not_touch_the_model():
    net = nn.Linear(2, 1).double()
    before = [p.detach().clone() for p in net.parameters()]
    fn, theta = flat_loss(net, nn.functional.mse_loss, torch.ones(4, 2, dtype=F64),
                          torch.zeros(4, 1, dtype=F64))
    fn(theta + 1.0)
    for p, q in zip(net.parameters(), before, strict=True):
        assert torch.equal(p.detach(), q)
    with pytest.raises(ValueError, match="expected a vector of 3 parameters"):
        fn(torch.zeros(4, dtype=F64))


@pytest.mark.parametrize(
    ("eigenvalues", "kind"),
    [([1.0, 2.0], "minimum"), ([-1.0, -3.0], "maximum"), ([-1.0, 2.0], "saddle"),
     ([0.0, 2.0], "degenerate"), ([1e-12, -1e-12], "degenerate")],
)
def test_critical_point_kind(eigenvalues, kind):
    assert critical_point_kind(torch.tensor(eigenvalues, dtype=F64)) == kind


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="point must be a non-empty 1-D tensor"):
        hessian(lambda p: p.sum(), torch.zeros(2, 2))
    with pytest.raises(TypeError, match="point must be a floating-point tensor"):
        hessian(lambda p: p.sum(), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="fn must return a scalar"):
        hessian(lambda p: p * 2, torch.zeros(2))
    with pytest.raises(ValueError, match="x and y must be non-empty 1-D"):
        two_weight_loss(0.0, 0.0, torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match="w1 and w2 must have the same shape"):
        two_weight_loss(torch.zeros(2), torch.zeros(3), torch.zeros(3), torch.zeros(3))
    with pytest.raises(TypeError, match="w1 must be a tensor or a number"):
        two_weight_net("a", 1.0, torch.zeros(2))
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        flat_loss("net", nn.functional.mse_loss, torch.zeros(1), torch.zeros(1))
    with pytest.raises(ValueError, match="eigenvalues must be a non-empty 1-D"):
        critical_point_kind(torch.zeros(0))


def linear(weight, bias=None):
    """An nn.Linear in float64 with the given weight (and bias, else none)."""
    weight = torch.tensor(weight, dtype=F64)
    net = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None).double()
    net.weight.data = weight
    if bias is not None:
        net.bias.data = torch.tensor(bias, dtype=F64)
    return net


def test_filter_normalization_gives_every_filter_the_norm_of_the_model_filter():
    """Rows of a linear layer and output channels of a convolution are the filters."""
    net = linear([[3.0, 4.0], [0.0, 0.5], [0.0, 0.0]], bias=[1.0, 2.0, 3.0])
    d = filter_normalized_direction(net, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(d["weight"].norm(dim=1), torch.tensor([5.0, 0.5, 0.0], dtype=F64))
    assert torch.equal(d["bias"], torch.zeros(3, dtype=F64))  # Li et al.: biases ignored
    d_keep = filter_normalized_direction(net, ignore_1d=False)
    assert torch.equal(d_keep["bias"], net.bias.detach())
    conv = nn.Conv2d(3, 4, 3).double()
    d = filter_normalized_direction(conv, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(d["weight"].flatten(1).norm(dim=1),
                               conv.weight.detach().flatten(1).norm(dim=1))
    again = filter_normalized_direction(conv, generator=torch.Generator().manual_seed(1))
    assert torch.equal(d["weight"], again["weight"])  # reproducible with a seeded generator


def test_one_dimensional_slice_of_a_linear_model_by_hand():
    """w = (3, 4), x = (1, 0), y = 0, d = (5, 0): L(alpha) = (3 + 5 alpha)^2."""
    net = linear([[3.0, 4.0]])
    data = (torch.tensor([[1.0, 0.0]], dtype=F64), torch.zeros(1, 1, dtype=F64))
    alphas = [-1.0, -0.6, 0.0, 0.5, 1.0]
    losses = loss_along_directions(net, nn.functional.mse_loss, data,
                                   [{"weight": torch.tensor([[5.0, 0.0]], dtype=F64)}], alphas)
    expected = torch.tensor([(3 + 5 * a) ** 2 for a in alphas], dtype=F64)
    torch.testing.assert_close(losses, expected, rtol=1e-14, atol=1e-14)


def test_two_dimensional_slice_by_hand():
    """w = (3, 4), x = (1, 1), y = 0, d1 = e1, d2 = e2: L(a, b) = (7 + a + b)^2."""
    net = linear([[3.0, 4.0]])
    data = (torch.ones(1, 2, dtype=F64), torch.zeros(1, 1, dtype=F64))
    e1, e2 = torch.tensor([[1.0, 0.0]], dtype=F64), torch.tensor([[0.0, 1.0]], dtype=F64)
    alphas = torch.tensor([-2.0, 0.0, 3.0], dtype=F64)
    losses = loss_along_directions(net, nn.functional.mse_loss, data,
                                   [{"weight": e1}, {"weight": e2}], alphas)
    expected = (7 + alphas[:, None] + alphas[None, :]) ** 2
    torch.testing.assert_close(losses, expected, rtol=1e-14, atol=1e-14)


def test_slice_uses_eval_mode_and_leaves_the_model_as_it_was():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).double()
    X = torch.randn(32, 3, dtype=F64)
    y = torch.randint(0, 2, (32,))
    net.train()(X)  # running statistics that differ from the batch's own
    before = {k: v.clone() for k, v in net.state_dict().items()}
    d = filter_normalized_direction(net, generator=torch.Generator().manual_seed(0))
    losses = loss_along_directions(net, nn.functional.cross_entropy, (X, y), [d], [0.0, 0.3])
    assert net.training
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k
    net.eval()
    with torch.no_grad():
        at_zero = nn.functional.cross_entropy(net(X), y).item()
    assert losses[0].item() == pytest.approx(at_zero, rel=1e-12)
    assert losses[1].item() != pytest.approx(at_zero, rel=1e-6)


def test_batches_are_averaged_by_their_sizes():
    net = linear([[0.5, -1.0]], bias=[0.2])
    X = torch.randn(7, 2, dtype=F64, generator=torch.Generator().manual_seed(0))
    y = torch.randn(7, 1, dtype=F64, generator=torch.Generator().manual_seed(1))
    d = {"weight": torch.tensor([[1.0, 1.0]], dtype=F64), "bias": torch.zeros(1, dtype=F64)}
    whole = loss_along_directions(net, nn.functional.mse_loss, (X, y), [d], [-0.5, 0.0, 0.7])
    batches = [(X[:3], y[:3]), (X[3:], y[3:])]  # sizes 3 and 4
    split = loss_along_directions(net, nn.functional.mse_loss, batches, [d], [-0.5, 0.0, 0.7])
    torch.testing.assert_close(split, whole, rtol=1e-13, atol=1e-15)


def test_slice_validation_names_the_argument():
    net = linear([[3.0, 4.0]])
    data = (torch.ones(1, 2, dtype=F64), torch.zeros(1, 1, dtype=F64))
    good = {"weight": torch.ones(1, 2, dtype=F64)}
    with pytest.raises(ValueError, match="directions must be a list of one or two"):
        loss_along_directions(net, nn.functional.mse_loss, data, good, [0.0])
    with pytest.raises(ValueError, match="directions must be a list of one or two"):
        loss_along_directions(net, nn.functional.mse_loss, data, [good] * 3, [0.0])
    with pytest.raises(ValueError, match=r"directions\[0\] must have one tensor per parameter"):
        loss_along_directions(net, nn.functional.mse_loss, data,
                              [{"weight": torch.ones(2, 2, dtype=F64)}], [0.0])
    with pytest.raises(ValueError, match="alphas must be a non-empty 1-D"):
        loss_along_directions(net, nn.functional.mse_loss, data, [good], [])
    with pytest.raises(ValueError, match="data holds no examples"):
        loss_along_directions(net, nn.functional.mse_loss, [], [good], [0.0])
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        filter_normalized_direction("net")
