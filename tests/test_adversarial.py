"""course_lib.adversarial and course_lib.simba: the attacks against their formulas, an
independent implementation (the Adversarial Robustness Toolbox), closed-form optima and
hand-worked cases."""

from __future__ import annotations

import math
import warnings
from functools import partial

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional

from course_lib.adversarial import (
    AdversarialBatches,
    fgsm,
    fgsm_step,
    input_gradient,
    pgd,
    pgd_step,
    project_linf,
    robust_accuracy,
)
from course_lib.simba import dct_matrix, simba, simba_accepts
from course_lib.training import evaluate, fit

pytestmark = pytest.mark.ch12


def small_cnn(dtype=torch.float64, seed=0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 10),
    ).to(dtype)


def images(n=16, dtype=torch.float64, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g, dtype=dtype), torch.randint(0, 10, (n,), generator=g)


# ---------------------------------------------------------------- the projection


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 0.6))
def test_projection_is_the_nearest_point_of_the_ball_inside_the_range(seed, epsilon):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(50, generator=g, dtype=torch.float64)
    z = x + 2 * torch.randn(50, generator=g, dtype=torch.float64)
    p = project_linf(z, x, epsilon)
    low, high = torch.clamp(x - epsilon, min=0.0), torch.clamp(x + epsilon, max=1.0)
    torch.testing.assert_close(p, torch.minimum(torch.maximum(z, low), high), rtol=0, atol=0)
    assert ((p - x).abs() <= epsilon + 1e-12).all() and (p >= 0).all() and (p <= 1).all()
    torch.testing.assert_close(project_linf(p, x, epsilon), p, rtol=0, atol=0)  # idempotent
    # no other point of the set is closer to z (the set is a box: check random points of it)
    others = low + (high - low) * torch.rand(200, 50, generator=g, dtype=torch.float64)
    assert (torch.linalg.norm(others - z, dim=1) >= torch.linalg.norm(p - z) - 1e-12).all()


def test_projection_by_hand_and_without_a_range():
    x = torch.tensor([0.05, 0.50, 0.97])
    z = torch.tensor([-0.30, 0.58, 1.20])
    torch.testing.assert_close(project_linf(z, x, 0.1), torch.tensor([0.0, 0.58, 1.0]))
    torch.testing.assert_close(
        project_linf(z, x, 0.1, clip=None), torch.tensor([-0.05, 0.58, 1.07])
    )


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: project_linf(torch.zeros(3), torch.zeros(4), 0.1), ValueError, "same shape"),
        (lambda: project_linf(torch.zeros(3), torch.zeros(3), -0.1), ValueError, "epsilon"),
        (lambda: project_linf([0.0], torch.zeros(1), 0.1), TypeError, "x_adv"),
        (
            lambda: project_linf(torch.zeros(1), torch.zeros(1), 0.1, clip=(1, 0)),
            ValueError,
            "clip",
        ),
        (lambda: fgsm_step(torch.zeros(2), torch.ones(2), float("nan")), ValueError, "epsilon"),
        (lambda: pgd(small_cnn(), *images(2), 0.1, steps=0), ValueError, "steps"),
        (
            lambda: pgd_step(torch.zeros(2), torch.ones(2), torch.zeros(2), 0.1, -1.0),
            ValueError,
            "alpha",
        ),
        (lambda: robust_accuracy(small_cnn(), images(2), "fgsm"), TypeError, "attack"),
        (lambda: robust_accuracy("net", images(2), None), TypeError, "model"),
        (
            lambda: simba(
                lambda z: z, torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), basis="dct"
            ),
            ValueError,
            "basis='dct'",
        ),
        (
            lambda: simba(
                lambda z: z, torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), basis="x"
            ),
            ValueError,
            "basis",
        ),
        (
            lambda: simba(
                lambda z: z, torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), max_queries=0
            ),
            ValueError,
            "max_queries",
        ),
    ],
)
def test_bad_arguments_are_named(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# ---------------------------------------------------------------- FGSM


def test_input_gradient_is_the_gradient_of_the_summed_loss_by_finite_differences():
    net = small_cnn()
    x, y = images(3)
    gradient = input_gradient(net, x, y)
    h = 1e-6
    for index in [(0, 0, 2, 3), (1, 0, 7, 7), (2, 0, 4, 0)]:
        e = torch.zeros_like(x)
        e[index] = h
        loss = lambda z: functional.cross_entropy(net(z), y, reduction="sum").item()  # noqa: E731
        assert gradient[index].item() == pytest.approx(
            (loss(x + e) - loss(x - e)) / (2 * h), rel=1e-5, abs=1e-9
        )
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_equals_its_formula_with_autograd_by_hand(targeted):
    net = small_cnn()
    x, y = images(8)
    leaf = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(functional.cross_entropy(net(leaf), y), leaf)
    step = -0.1 if targeted else 0.1
    expected = torch.clamp(x + step * g.sign(), 0, 1)
    torch.testing.assert_close(
        fgsm(net, x, y, 0.1, targeted=targeted), expected, rtol=0, atol=1e-15
    )


def test_fgsm_stays_in_the_ball_and_the_range_and_fools_more_as_epsilon_grows():
    net = small_cnn()
    x, y = images(64)
    y = net(x).argmax(1)  # attack the model's own predictions: clean accuracy 1
    accuracies = []
    for epsilon in (0.0, 0.05, 0.2, 0.5):
        x_adv = fgsm(net, x, y, epsilon)
        assert ((x_adv - x).abs() <= epsilon + 1e-12).all()
        assert (x_adv >= 0).all() and (x_adv <= 1).all()
        accuracies.append((net(x_adv).argmax(1) == y).double().mean().item())
    assert accuracies[0] == 1.0 and accuracies[-1] < accuracies[0]


def test_targeted_fgsm_lowers_the_loss_of_the_target():
    net = small_cnn()
    x, _ = images(32)
    target = (net(x).argmax(1) + 3) % 10
    before = functional.cross_entropy(net(x), target)
    after = functional.cross_entropy(net(fgsm(net, x, target, 0.02, targeted=True)), target)
    assert after < before


# ---------------------------------------------------------------- PGD


def test_one_pgd_step_from_x_with_alpha_epsilon_is_fgsm():
    net = small_cnn()
    x, y = images(16)
    one_step = pgd(net, x, y, 0.1, alpha=0.1, steps=1, random_start=False)
    torch.testing.assert_close(one_step, fgsm(net, x, y, 0.1), rtol=0, atol=0)


def test_pgd_step_steps_then_projects():
    x = torch.tensor([0.5, 0.5, 0.98])
    x_t = torch.tensor([0.58, 0.42, 0.98])
    g = torch.tensor([1.0, -2.0, 5.0])
    torch.testing.assert_close(pgd_step(x_t, g, x, 0.1, 0.04), torch.tensor([0.6, 0.4, 1.0]))
    # projecting first and stepping second would leave the ball: 0.58 -> 0.58 -> 0.62
    torch.testing.assert_close(
        pgd_step(x_t, g, x, 0.1, 0.04, targeted=True), torch.tensor([0.54, 0.46, 0.94])
    )


def test_pgd_with_a_random_start_stays_inside_and_is_reproducible():
    net = small_cnn()
    x, y = images(32)
    a = pgd(net, x, y, 0.2, steps=5, generator=torch.Generator().manual_seed(3))
    b = pgd(net, x, y, 0.2, steps=5, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert ((a - x).abs() <= 0.2 + 1e-12).all() and (a >= 0).all() and (a <= 1).all()


def test_pgd_loss_never_decreases_on_a_linear_model_and_reaches_the_closed_form_optimum():
    """Two classes, logits Wx + b: the cross-entropy of class y grows as the margin
    (w_y − w_o)·x falls, so its maximum over B_ε(x) ∩ [0, 1] is the corner
    x* = clip(x − ε sign(w_y − w_o)), and each sign step moves every coordinate towards it."""
    torch.manual_seed(0)
    linear = nn.Linear(20, 2).double()
    x = torch.rand(6, 20, dtype=torch.float64)
    y = torch.randint(0, 2, (6,))
    epsilon, alpha = 0.15, 0.02
    w = linear.weight.detach()
    direction = (w[y] - w[1 - y]).sign()
    optimum = project_linf(x - epsilon * direction, x, epsilon)
    x_t, losses = x, []
    for _ in range(12):
        losses.append(functional.cross_entropy(linear(x_t), y, reduction="none").detach())
        x_t = pgd_step(x_t, input_gradient(linear, x_t, y), x, epsilon, alpha)
    losses = torch.stack(losses)
    assert (losses[1:] >= losses[:-1] - 1e-12).all()
    torch.testing.assert_close(x_t, optimum, rtol=0, atol=1e-12)
    best = functional.cross_entropy(linear(optimum), y, reduction="none")
    torch.testing.assert_close(losses[-1], best.detach(), rtol=0, atol=1e-12)


@pytest.mark.slow
def test_pgd_is_at_least_as_strong_as_fgsm_on_a_trained_model():
    torch.manual_seed(0)
    from course_lib.data import load_digits_tensors

    X_train, X_test, y_train, y_test = load_digits_tensors()
    X_train, X_test = X_train / X_train.max(), X_test / X_test.max()
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    fit(net, (X_train, y_train), num_epochs=15, batch_size=64, lr=3e-3, progress=False, seed=0)
    clean = robust_accuracy(net, (X_test, y_test), None)
    assert clean == pytest.approx(evaluate(net, (X_test, y_test))["accuracy"])
    assert robust_accuracy(net, (X_test, y_test), partial(fgsm, epsilon=0.0)) == clean
    with_fgsm = robust_accuracy(net, (X_test, y_test), partial(fgsm, epsilon=0.1))
    with_pgd = robust_accuracy(net, (X_test, y_test), partial(pgd, epsilon=0.1, steps=10))
    assert clean > 0.9 and with_pgd <= with_fgsm < clean


# ---------------------------------------------------------------- against ART


def art_classifier(net):
    pytest.importorskip("art")
    from art.estimators.classification import PyTorchClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return PyTorchClassifier(
            model=net,
            loss=nn.CrossEntropyLoss(),
            input_shape=(1, 8, 8),
            nb_classes=10,
            clip_values=(0.0, 1.0),
            device_type="cpu",
        )


def test_fgsm_equals_the_adversarial_robustness_toolbox():
    from art.attacks.evasion import FastGradientMethod

    net = small_cnn(torch.float32)
    x, y = images(64, torch.float32)
    art_x = FastGradientMethod(art_classifier(net), norm=np.inf, eps=0.1).generate(
        x.numpy(), y=np.eye(10, dtype=np.float32)[y.numpy()]
    )
    ours = fgsm(net, x, y, 0.1).numpy()
    # the same formula in float32: equal up to a few pixels whose gradient is ~0 (ties of sign)
    assert np.mean(np.abs(ours - art_x) < 1e-6) > 0.999
    targets = (y + 1) % 10
    art_t = FastGradientMethod(art_classifier(net), norm=np.inf, eps=0.1, targeted=True).generate(
        x.numpy(), y=np.eye(10, dtype=np.float32)[targets.numpy()]
    )
    assert np.mean(np.abs(fgsm(net, x, targets, 0.1, targeted=True).numpy() - art_t) < 1e-6) > 0.999


def test_pgd_equals_the_adversarial_robustness_toolbox_without_a_random_start():
    from art.attacks.evasion import ProjectedGradientDescent

    net = small_cnn(torch.float32)
    x, y = images(64, torch.float32)
    attack = ProjectedGradientDescent(
        art_classifier(net),
        norm=np.inf,
        eps=0.1,
        eps_step=0.02,
        max_iter=10,
        num_random_init=0,
        verbose=False,
    )
    art_x = attack.generate(x.numpy(), y=np.eye(10, dtype=np.float32)[y.numpy()])
    ours = pgd(net, x, y, 0.1, alpha=0.02, steps=10, random_start=False).numpy()
    # ties of sign at ~0 gradients can make one pixel's path differ by a step: compare most
    # pixels exactly, and the attacks' effect on the model
    assert np.mean(np.abs(ours - art_x) < 1e-5) > 0.98
    assert np.abs(ours - x.numpy()).max() <= 0.1 + 1e-6
    with torch.no_grad():
        ours_pred = net(torch.from_numpy(ours)).argmax(1)
        art_pred = net(torch.from_numpy(art_x)).argmax(1)
    assert (ours_pred == art_pred).double().mean() >= 0.95


# ---------------------------------------------------------------- robust accuracy, training


def test_robust_accuracy_restores_the_mode_and_takes_loaders():
    net = small_cnn().train()
    x, y = images(40)
    loader = [(x[:25], y[:25]), (x[25:], y[25:])]
    assert robust_accuracy(net, loader, None) == pytest.approx(
        evaluate(net, (x, y), batch_size=8)["accuracy"]
    )
    assert net.training
    assert robust_accuracy(
        net, (x, y), partial(fgsm, epsilon=0.3), batch_size=7
    ) <= robust_accuracy(net, (x, y), None)


def test_adversarial_batches_attack_with_the_current_weights_in_eval_mode():
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10), nn.Dropout(0.5)).double().train()
    x, y = images(24)
    seen = []

    def attack(model, xb, yb):
        seen.append(model.training)
        return fgsm(model, xb, yb, 0.1)

    batches = AdversarialBatches(
        (x, y), net, attack, batch_size=8, generator=torch.Generator().manual_seed(0)
    )
    pairs = list(batches)
    assert len(pairs) == len(batches) == 3 and seen == [False] * 3 and net.training
    for xb, yb in pairs:
        rows = [
            int(
                torch.nonzero(
                    (y == label) & (x.flatten(1) - xb_i.flatten()).abs().amax(1).le(0.1 + 1e-12)
                ).numel()
                > 0
            )
            for xb_i, label in zip(xb, yb, strict=True)
        ]
        assert all(rows)  # every input is within ε of some sample with its label
    half = AdversarialBatches([(x, y)], net, partial(fgsm, epsilon=0.1), fraction=0.5)
    ((xb, _),) = list(half)
    torch.testing.assert_close(xb[12:], x[12:], rtol=0, atol=0)
    assert not torch.equal(xb[:12], x[:12])


@pytest.mark.slow
def test_adversarial_training_through_fit_makes_fgsm_weaker():
    from course_lib.data import load_digits_tensors

    X_train, X_test, y_train, y_test = load_digits_tensors()
    X_train, X_test = X_train / X_train.max(), X_test / X_test.max()
    results = {}
    for name in ("standard", "adversarial"):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        data = (X_train, y_train)
        if name == "adversarial":
            data = AdversarialBatches(
                data,
                net,
                partial(pgd, epsilon=0.1, steps=3, generator=torch.Generator().manual_seed(0)),
                batch_size=64,
                generator=torch.Generator().manual_seed(0),
            )
        fit(net, data, num_epochs=15, batch_size=64, lr=3e-3, progress=False, seed=0)
        results[name] = robust_accuracy(net, (X_test, y_test), partial(pgd, epsilon=0.1, steps=10))
    assert results["adversarial"] > results["standard"] + 0.1


# ---------------------------------------------------------------- SimBA


def test_dct_matrix_is_scipys_orthonormal_dct():
    scipy_fft = pytest.importorskip("scipy.fft")
    D = dct_matrix(7, dtype=torch.float64).numpy()
    np.testing.assert_allclose(D, scipy_fft.dct(np.eye(7), norm="ortho", axis=0), atol=1e-12)
    np.testing.assert_allclose(D @ D.T, np.eye(7), atol=1e-12)


def test_acceptance_is_strictly_lower():
    assert simba_accepts(torch.tensor([0.3, 0.3, 0.2]), torch.tensor([0.4, 0.3, 0.1])).tolist() == [
        True,
        False,
        False,
    ]


class QueryOnly:
    """A model the attacker can only query: gradients off, every query counted."""

    def __init__(self, net):
        self.net, self.rows, self.calls = net, 0, 0

    def __call__(self, z):
        assert not torch.is_grad_enabled() and not z.requires_grad, "SimBA used a gradient"
        self.rows += len(z)
        self.calls += 1
        return self.net(z).softmax(dim=1)


@pytest.mark.parametrize("basis", ["pixel", "dct"])
def test_simba_only_queries_outputs_and_respects_its_budget(basis):
    net = small_cnn()
    x, _ = images(12)
    y = net(x).argmax(1).detach()
    model = QueryOnly(net)
    result = simba(
        model,
        x,
        y,
        epsilon=0.3,
        max_queries=150,
        basis=basis,
        generator=torch.Generator().manual_seed(0),
    )
    assert model.rows == int(result.queries.sum())  # every query counted, none hidden
    assert (result.queries <= 150).all() and (result.queries >= 2).all()
    assert (result.x_adv >= 0).all() and (result.x_adv <= 1).all()
    with torch.no_grad():
        p = net(result.x_adv).softmax(1)
    torch.testing.assert_close(result.probability, p[torch.arange(12), y])
    assert torch.equal(result.success, p.argmax(1) != y)
    torch.testing.assert_close(result.l2, (result.x_adv - x).flatten(1).norm(dim=1))
    if basis == "pixel":
        assert (result.linf <= 0.3 + 1e-12).all()  # each pixel moves at most once
    # each accepted step adds at most ε along an orthonormal direction
    assert (result.l2 <= 0.3 * torch.sqrt(result.queries.double()) + 1e-9).all()
    assert result.success.any()


def test_simba_never_raises_the_true_class_probability():
    net = small_cnn()
    x, _ = images(6)
    y = net(x).argmax(1).detach()
    with torch.no_grad():
        start = net(x).softmax(1)[torch.arange(6), y]
    previous = start
    for budget in (5, 20, 60, 200):
        result = simba(
            QueryOnly(net),
            x,
            y,
            epsilon=0.2,
            max_queries=budget,
            generator=torch.Generator().manual_seed(1),
        )
        assert (result.probability <= previous + 1e-15).all()  # same walk, further along
        previous = result.probability


def test_simba_tries_minus_epsilon_only_after_plus_epsilon_was_refused():
    """One input value x = 0.5, one direction; p(class 0) = sigmoid(1 − s·(x − 0.5)). With
    s > 0, +ε lowers it and is accepted at once (2 queries, the first one included); with
    s < 0, +ε is refused and −ε accepted (3 queries). The seed's misplaced break would
    give up after +ε both times."""
    for s, queries, value in ((4.0, 2, 0.7), (-4.0, 3, 0.3)):

        def predict(z, s=s):
            p0 = torch.sigmoid(1 - s * (z[:, 0] - 0.5))
            return torch.stack([p0, 1 - p0], dim=1)

        result = simba(
            predict, torch.tensor([[0.5]]), torch.tensor([0]), epsilon=0.2, max_queries=10
        )
        assert result.queries.item() == queries
        assert result.x_adv.item() == pytest.approx(value)
        assert result.probability.item() == pytest.approx(torch.sigmoid(torch.tensor(0.2)).item())


def test_simba_already_misclassified_inputs_cost_one_query():
    def predict(z):
        return torch.tensor([[0.2, 0.8]]).expand(len(z), 2)

    result = simba(predict, torch.rand(3, 4), torch.zeros(3, dtype=torch.long), max_queries=50)
    assert result.success.all() and (result.queries == 1).all() and (result.l2 == 0).all()


def test_simba_stops_when_the_directions_run_out():
    def predict(z):  # the true class always wins: every step is refused
        return torch.tensor([[0.9, 0.1]]).expand(len(z), 2)

    result = simba(predict, torch.rand(2, 5), torch.zeros(2, dtype=torch.long), max_queries=1000)
    assert (result.queries == 1 + 2 * 5).all() and not result.success.any()
    assert math.isclose(float(result.l2.max()), 0.0)
