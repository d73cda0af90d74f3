"""Tests for course_lib.transfer and course_lib.domain_adaptation.

- Frozen parameters get no gradient and an optimizer step (Adam with weight decay too)
  leaves them unchanged; ``unfreeze`` undoes it.
- Layer-wise parameter groups carry η · decay^(S − 1 − s), and skip frozen parameters.
- ``distillation_loss`` equals ``F.kl_div(log_softmax(s/T), softmax(t/T), "batchmean")·T²``
  weighted by α plus (1 − α) cross-entropy; ``reduction="mean"`` would divide by N·K.
  Its gradient is α T (q^s − q^t)/N (+ the hard term), and the T² keeps it O(1) in T.
- The gradient-reversal layer is the identity forward and −λ times the gradient backward
  (gradcheck of x ↦ R_λ(x) against −λ I).
- A DANN step moves the features against the domain classifier; on the rotated moons it
  lifts target accuracy over source-only training on average.
"""

from __future__ import annotations

import pytest
import torch
from helpers import TOL, randn
from torch import nn
from torch.autograd.gradcheck import GradcheckError
from torch.nn import functional

from course_lib.domain_adaptation import (
    DANN,
    GradientReversal,
    dann_lambda,
    dann_step,
    grad_reverse,
    make_shifted_moons,
    rotate_points,
)
from course_lib.transfer import (
    digits_to_mnist_frame,
    distillation_loss,
    freeze,
    labels_per_class,
    layerwise_param_groups,
    load_pretrained,
    small_cnn,
    soft_targets,
    trainable_fraction,
    unfreeze,
)

pytestmark = pytest.mark.ch08


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)).double()


def test_frozen_parameters_get_no_gradient_and_do_not_move():
    net = _net()
    freeze(net[0])
    before = [p.detach().clone() for p in net[0].parameters()]
    head_before = net[2].weight.detach().clone()
    optimizer = torch.optim.AdamW(net.parameters(), lr=0.1, weight_decay=0.5)
    x, y = randn(8, 4, seed=1), torch.randint(0, 3, (8,))
    functional.cross_entropy(net(x), y).backward()
    assert all(p.grad is None for p in net[0].parameters())
    optimizer.step()
    for p, q in zip(net[0].parameters(), before, strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert not torch.equal(net[2].weight, head_before)
    assert trainable_fraction(net) == pytest.approx(18 / 43)
    unfreeze(net)
    assert all(p.requires_grad for p in net.parameters())


def test_freeze_rejects_a_non_module():
    with pytest.raises(TypeError, match="module"):
        freeze(torch.zeros(3))


def test_layerwise_groups_carry_the_intended_learning_rates():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2))
    groups = layerwise_param_groups(list(net), lr=0.1, decay=0.5, weight_decay=0.01)
    optimizer = torch.optim.SGD(groups, lr=1.0)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.025, 0.05, 0.1])
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.01] * 3
    assert optimizer.param_groups[0]["params"][0] is net[0].weight
    freeze(net[0])
    assert len(layerwise_param_groups(list(net), lr=0.1)) == 2
    # one SGD step moves each layer by its own lr times the gradient
    net = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)).double()
    optimizer = torch.optim.SGD(layerwise_param_groups(list(net), lr=0.1, decay=0.1))
    w = [layer.weight.detach().clone() for layer in net]
    net(torch.ones(1, 1, dtype=torch.float64)).sum().backward()
    grads = [layer.weight.grad.clone() for layer in net]
    optimizer.step()
    for layer, w0, g, lr in zip(net, w, grads, [0.01, 0.1], strict=True):
        torch.testing.assert_close(layer.weight, w0 - lr * g, **TOL)
    with pytest.raises(ValueError, match="stages"):
        layerwise_param_groups([], lr=0.1)


@pytest.mark.parametrize(("T", "alpha"), [(1.0, 0.5), (4.0, 0.9), (20.0, 1.0), (2.0, 0.0)])
def test_distillation_loss_equals_its_formula(T, alpha):
    s, t = 3 * randn(7, 5, seed=2), 3 * randn(7, 5, seed=3)
    y = torch.randint(0, 5, (7,), generator=torch.Generator().manual_seed(4))
    soft = functional.kl_div(functional.log_softmax(s / T, 1), functional.softmax(t / T, 1),
                             reduction="batchmean")  # fmt: skip
    expected = alpha * T**2 * soft + (1 - alpha) * functional.cross_entropy(s, y)
    torch.testing.assert_close(distillation_loss(s, t, y, T=T, alpha=alpha), expected, **TOL)
    # by hand: KL = (1/N) Σ_n Σ_i q^t log(q^t / q^s)
    qs, qt = soft_targets(s, T), soft_targets(t, T)
    torch.testing.assert_close(soft, (qt * (qt.log() - qs.log())).sum(1).mean(), **TOL)
    with pytest.warns(UserWarning, match="batchmean"):
        mean = functional.kl_div(functional.log_softmax(s / T, 1), qt, reduction="mean")
    torch.testing.assert_close(mean * 5, soft, **TOL)  # "mean" divides by N·K


def test_distillation_gradient_scales_as_documented():
    s, t = randn(6, 4, seed=5).requires_grad_(), randn(6, 4, seed=6)
    for T in (1.0, 3.0, 10.0):
        (grad,) = torch.autograd.grad(distillation_loss(s, t, None, T=T, alpha=1.0), s)
        torch.testing.assert_close(grad, T * (soft_targets(s, T) - soft_targets(t, T)) / 6,
                                   **TOL)  # fmt: skip
    # large T: the T² keeps the gradient near (z_s − z_t)/(K N) for zero-mean logits
    s0, t0 = s - s.mean(1, keepdim=True), t - t.mean(1, keepdim=True)
    s0 = s0.detach().requires_grad_()
    (grad,) = torch.autograd.grad(distillation_loss(s0, t0, None, T=1000.0, alpha=1.0), s0)
    torch.testing.assert_close(grad, (s0 - t0).detach() / (4 * 6), rtol=1e-2, atol=1e-4)
    # no gradient reaches the teacher
    t_leaf = t.clone().requires_grad_()
    distillation_loss(s, t_leaf, None, T=2.0, alpha=1.0).backward()
    assert t_leaf.grad is None


def test_distillation_loss_validates():
    z = randn(3, 4, seed=7)
    with pytest.raises(ValueError, match="targets"):
        distillation_loss(z, z, None, T=2.0, alpha=0.5)
    with pytest.raises(ValueError, match="T"):
        distillation_loss(z, z, None, T=0.0, alpha=1.0)
    with pytest.raises(ValueError, match="shape"):
        distillation_loss(z, z[:, :3], None, T=1.0, alpha=1.0)
    huge = torch.tensor([[1e4, -1e4, 0.0]], dtype=torch.float64)
    assert torch.isfinite(distillation_loss(huge, -huge, torch.tensor([0]), T=1.0, alpha=0.5))


@pytest.mark.parametrize("lambd", [0.0, 0.3, 1.0, 2.5])
def test_gradient_reversal_is_identity_forward_and_minus_lambda_backward(lambd):
    x = randn(4, 3, seed=8).requires_grad_()
    y = grad_reverse(x, lambd)
    torch.testing.assert_close(y, x, rtol=0, atol=0)
    g = randn(4, 3, seed=9)
    (grad,) = torch.autograd.grad(y, x, g)
    torch.testing.assert_close(grad, -lambd * g, **TOL)


@pytest.mark.parametrize("lambd", [0.3, 1.0, 2.5])
def test_gradient_reversal_gradcheck(lambd):
    """gradcheck compares autograd's Jacobian with finite differences of the forward.

    R_λ alone must fail it (forward derivative I, backward −λ I). Adding −(1 + λ)·x.detach()
    (finite differences see −(1 + λ) I, autograd sees 0) makes both −λ I: passes iff the
    backward is exactly −λ times the incoming gradient.
    """
    x = randn(3, 2, seed=10).requires_grad_()
    assert torch.autograd.gradcheck(lambda a: grad_reverse(a, lambd) - (1 + lambd) * a.detach(),
                                    (x,))  # fmt: skip
    with pytest.raises(GradcheckError):
        torch.autograd.gradcheck(lambda a: grad_reverse(a, lambd), (x,))


def test_gradient_reversal_module_and_lambda_ramp():
    layer = GradientReversal(0.5)
    assert "lambd=0.5" in repr(layer)
    x = randn(2, 2, seed=12).requires_grad_()
    layer(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, -0.5), **TOL)
    assert dann_lambda(0.0) == 0.0
    assert dann_lambda(0.5) == pytest.approx(2 / (1 + torch.e**-5) - 1)
    assert dann_lambda(1.0, lambda_max=0.3) == pytest.approx(0.3, rel=1e-4)
    with pytest.raises(ValueError, match="lambd"):
        GradientReversal(-1.0)


def test_dann_step_reverses_the_domain_gradient_for_the_features():
    torch.manual_seed(0)
    model = DANN(2, 2).double()
    x_s, x_t = randn(16, 2, seed=13), randn(16, 2, seed=14) + 1
    y_s = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(15))

    def feature_grad(lambd):
        model.zero_grad()
        model.reversal.lambd = lambd
        d = torch.cat([torch.zeros(16), torch.ones(16)]).double()
        functional.binary_cross_entropy_with_logits(model.domain_logits(torch.cat([x_s, x_t])),
                                                    d).backward()  # fmt: skip
        return model.features[0].weight.grad.clone(), model.domain_classifier[0].weight.grad.clone()

    g1, d1 = feature_grad(1.0)
    g2, d2 = feature_grad(2.0)
    torch.testing.assert_close(g2, 2 * g1, **TOL)  # features: −λ ∂L_d/∂θ_f
    torch.testing.assert_close(d2, d1, **TOL)  # the domain classifier: ∂L_d/∂θ_d, λ-free
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    logs = dann_step(model, optimizer, x_s, y_s, x_t, 0.5)
    assert set(logs) == {"label_loss", "domain_loss", "domain_accuracy"}
    assert model.reversal.lambd == 0.5


@pytest.mark.slow
def test_dann_lifts_target_accuracy_on_the_rotated_moons():
    X_s, y_s, X_t, y_t = make_shifted_moons(600, degrees=35, random_state=0)

    def run(seed, adapt):
        torch.manual_seed(seed)
        model = DANN(2, 2)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        g = torch.Generator().manual_seed(seed)
        for step in range(1000):
            i, j = torch.randint(0, 600, (64,), generator=g), torch.randint(0, 600, (64,),
                                                                           generator=g)  # fmt: skip
            dann_step(model, optimizer, X_s[i], y_s[i], X_t[j],
                      dann_lambda(step / 1000) if adapt else 0.0)  # fmt: skip
        with torch.no_grad():
            return (model(X_t).argmax(1) == y_t).float().mean().item()

    before = sum(run(s, False) for s in range(3)) / 3
    after = sum(run(s, True) for s in range(3)) / 3
    assert after > before + 0.05


def test_rotations_and_shifted_moons():
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).numpy()
    out = rotate_points(X, 90, center=(0, 0))
    torch.testing.assert_close(torch.as_tensor(out), torch.tensor([[0.0, 1.0], [-1.0, 0.0]],
                               dtype=torch.float64), atol=1e-12, rtol=0)  # fmt: skip
    X_s, y_s, X_t, _ = make_shifted_moons(100, degrees=0)
    assert X_s.shape == X_t.shape == (100, 2) and y_s.dtype == torch.int64
    with pytest.raises(ValueError, match="shape"):
        rotate_points(X[:, :1], 10)


def test_small_cnn_digits_frame_and_label_sampling():
    model = small_cnn(3, width=4)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 3)
    assert isinstance(model[1], nn.Linear) and model[1].in_features == 64
    images = torch.rand(5, 1, 8, 8)
    framed = digits_to_mnist_frame(images)
    assert framed.shape == (5, 1, 28, 28)
    assert framed[:, :, :4].abs().max() == 0 and framed[:, :, -4:].abs().max() == 0
    with pytest.raises(ValueError, match="shape"):
        digits_to_mnist_frame(torch.rand(5, 8, 8))
    y = torch.arange(10).repeat(5)
    idx = labels_per_class(y, 3, seed=1)
    assert y[idx].bincount().tolist() == [3] * 10 and len(set(idx.tolist())) == 30
    with pytest.raises(ValueError, match="per_class"):
        labels_per_class(y, 6)


def test_load_pretrained_says_what_it_needs_without_torchvision(monkeypatch):
    import importlib

    real = importlib.import_module

    def no_torchvision(name, *args, **kwargs):
        if name.startswith("torchvision"):
            raise ImportError("No module named 'torchvision'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_torchvision)
    with pytest.raises(ImportError, match="torchvision"):
        load_pretrained("resnet18", num_classes=5)
