"""Tests for course_lib.schedules: each factor, fed to LambdaLR, against PyTorch's scheduler.

Two SGD optimizers with the same base lr are stepped side by side for 50
epochs, one under ``LambdaLR(our_factor)``, one under the built-in; their
``param_groups[0]["lr"]`` agree to rtol 1e-10 at every epoch (the built-ins
update recursively, so agreement is to float rounding, not bit for bit).
"""

import itertools
import math

import pytest
import torch
from helpers import SCHEDULE_PARAMS
from torch.optim import lr_scheduler

from course_lib.schedules import (
    SCHEDULE_NAMES,
    cosine_annealing,
    exponential_decay,
    inverse_time_decay,
    linear_scaling_rule,
    linear_warmup,
    schedule_curve,
    step_decay,
    warmup_cosine_lr,
)

pytestmark = pytest.mark.ch04


BASE_LR = 0.1


NUM_EPOCHS = 50


def lr_trace(make_scheduler) -> list[float]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(NUM_EPOCHS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


CASES = [
    (
        "step",
        lambda t: step_decay(t, step_size=7, gamma=0.3),
        lambda o: lr_scheduler.StepLR(o, 7, gamma=0.3),
    ),
    (
        "exponential",
        lambda t: exponential_decay(t, gamma=0.93),
        lambda o: lr_scheduler.ExponentialLR(o, 0.93),
    ),
    (
        "cosine",
        lambda t: cosine_annealing(t, T_max=NUM_EPOCHS, eta_min_ratio=0.05),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=NUM_EPOCHS, eta_min=0.05 * BASE_LR),
    ),
    (
        "cosine-past-T_max",
        lambda t: cosine_annealing(t, T_max=15, eta_min_ratio=0.1),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=15, eta_min=0.1 * BASE_LR),
    ),
    (
        "linear-warmup",
        lambda t: linear_warmup(t, warmup_epochs=5, start_factor=0.2),
        lambda o: lr_scheduler.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=5),
    ),
    (
        "warmup-cosine",
        lambda t: warmup_cosine_lr(t, 5, NUM_EPOCHS, start_factor=0.25, eta_min_ratio=0.01),
        lambda o: lr_scheduler.SequentialLR(
            o,
            [
                lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=5),
                lr_scheduler.CosineAnnealingLR(o, T_max=NUM_EPOCHS - 5, eta_min=0.01 * BASE_LR),
            ],
            milestones=[5],
        ),
    ),
]


@pytest.mark.parametrize(("name", "factor", "builtin"), CASES, ids=[c[0] for c in CASES])
def test_lambda_lr_matches_builtin_scheduler(name, factor, builtin):
    """Does LambdaLR with our factor give the built-in scheduler's lr at every one of 50 epochs?"""
    ours = lr_trace(lambda o: lr_scheduler.LambdaLR(o, factor))
    theirs = lr_trace(builtin)
    torch.testing.assert_close(torch.tensor(ours), torch.tensor(theirs), rtol=1e-10, atol=0)


def test_inverse_time_decay_values():
    """Is 1/t decay 1 / (1 + k t): 1 at t = 0, 1/2 at t = 1/k, and decreasing?"""
    values = [inverse_time_decay(t, k=0.25) for t in range(10)]
    assert values[0] == 1.0 and values[4] == 0.5
    assert all(a > b for a, b in itertools.pairwise(values))
    assert inverse_time_decay(7, k=0) == 1.0


def test_cosine_endpoints():
    """Does the cosine start at 1, end at eta_min_ratio and pass the midpoint at T_max / 2?"""
    assert cosine_annealing(0, 20, 0.1) == 1.0
    assert cosine_annealing(20, 20, 0.1) == pytest.approx(0.1, abs=1e-15)
    assert cosine_annealing(10, 20, 0.1) == pytest.approx(0.55, abs=1e-15)


def test_warmup_is_continuous_at_the_milestone():
    """Does warm-up end at exactly 1 where the cosine starts at 1?"""
    assert linear_warmup(5, 5, 0.1) == 1.0 and warmup_cosine_lr(5, 5, 20, 0.1) == 1.0
    assert warmup_cosine_lr(4, 5, 20, 0.1) == pytest.approx(0.82, abs=1e-15)


@pytest.mark.parametrize(("batch_size", "lr"), [(256, 0.1), (32, 0.0125), (8192, 3.2)])
def test_linear_scaling_rule(batch_size, lr):
    """Is the lr base_lr * b / 256 (Goyal et al. 2017)?"""
    assert linear_scaling_rule(batch_size) == pytest.approx(lr, rel=1e-15)
    assert math.isclose(linear_scaling_rule(batch_size, base_lr=0.2, base_batch=512), lr)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: step_decay(-1, 5, 0.5), "epoch"),
        (lambda: step_decay(1.5, 5, 0.5), "epoch"),
        (lambda: step_decay(3, 0, 0.5), "step_size"),
        (lambda: exponential_decay(3, 1.5), "gamma"),
        (lambda: exponential_decay(3, 0), "gamma"),
        (lambda: inverse_time_decay(3, -0.1), "k"),
        (lambda: cosine_annealing(3, 0), "T_max"),
        (lambda: cosine_annealing(3, 10, 1.5), "eta_min_ratio"),
        (lambda: linear_warmup(3, 0), "warmup_epochs"),
        (lambda: linear_warmup(3, 5, 0.0), "start_factor"),
        (lambda: warmup_cosine_lr(3, 5, 5), "total_epochs"),
        (lambda: warmup_cosine_lr(-2, 5, 10), "epoch"),
        (lambda: linear_scaling_rule(0), "batch_size"),
        (lambda: linear_scaling_rule(64, base_lr=0), "base_lr"),
        (lambda: linear_scaling_rule(64, base_batch=0), "base_batch"),
    ],
)
def test_invalid_arguments_name_the_argument(call, argument):
    """Does each bad argument raise a ValueError whose message starts with its name?"""
    with pytest.raises(ValueError, match=f"^{argument} "):
        call()


@pytest.mark.parametrize("name", list(SCHEDULE_NAMES))
def test_schedule_curve_is_the_factor_times_the_base_lr(name):
    epochs = 30
    factor = {
        "constant": lambda t: 1.0,
        "step": lambda t: step_decay(t, 7, 0.8),
        "exponential": lambda t: exponential_decay(t, 0.8),
        "1/t": lambda t: inverse_time_decay(t, 0.3),
        "cosine": lambda t: cosine_annealing(t, epochs - 1, 0.05),
        "warm-up + cosine": lambda t: warmup_cosine_lr(t, 4, epochs - 1, 0.2, 0.05),
    }[name]
    curve = schedule_curve(name, epochs, base_lr=0.4, **SCHEDULE_PARAMS)
    assert curve.shape == (epochs,)
    for t in range(epochs):
        assert curve[t] == pytest.approx(0.4 * factor(t), rel=1e-15)


def test_cosine_curves_end_at_eta_min():
    for name in ("cosine", "warm-up + cosine"):
        assert schedule_curve(name, 20, 0.1, **SCHEDULE_PARAMS)[-1] == pytest.approx(0.1 * 0.05)


def test_schedule_curve_validation():
    with pytest.raises(ValueError, match="name must be one of"):
        schedule_curve("linear", 10)
    with pytest.raises(ValueError, match="needs the parameters"):
        schedule_curve("step", 10, gamma=0.5)
    with pytest.raises(ValueError, match="base_lr must be a number > 0"):
        schedule_curve("constant", 10, base_lr=0)
    with pytest.raises(ValueError, match="epochs must be an integer >= 2"):
        schedule_curve("constant", 1)
