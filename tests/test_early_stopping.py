"""Tests for course_lib.early_stopping: GL, P_k, PQ and patience on hand-worked curves.

Each criterion is replayed on small curves whose stopping epoch is computed by hand
from Prechelt's (1998) formulas; the callback stops ``fit`` at the same epoch as the
replay of its own history and restores the best weights.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import randn
from torch import nn

from course_lib.early_stopping import (
    EarlyStopping,
    StoppingRule,
    generalization_loss,
    stopping_epoch,
    training_progress,
)
from course_lib.training import evaluate, fit

pytestmark = pytest.mark.ch06

# a validation curve with its minimum at epoch 4 and a noisy rise after it
VAL = [1.00, 0.80, 0.70, 0.65, 0.66, 0.68, 0.64, 0.70, 0.75, 0.80]
TRAIN = [1.00, 0.70, 0.55, 0.45, 0.40, 0.36, 0.33, 0.31, 0.30, 0.295]


def test_generalization_loss_by_hand():
    gl = generalization_loss(VAL)
    # epoch 6: 100 (0.68 / 0.65 − 1); epoch 7 is a new best: 0
    assert gl[5] == pytest.approx(100 * (0.68 / 0.65 - 1))
    assert gl[6] == 0.0
    assert gl[9] == pytest.approx(100 * (0.80 / 0.64 - 1))


def test_training_progress_by_hand():
    p = training_progress(TRAIN, k=5)
    assert np.isnan(p[:4]).all()
    strip = TRAIN[5:10]
    assert p[9] == pytest.approx(1000 * (np.mean(strip) / min(strip) - 1))


@pytest.mark.parametrize(
    ("criterion", "options", "expected"),
    [
        # GL: 100(0.66/0.65 − 1) = 1.54, 100(0.68/0.65 − 1) = 4.6 > 3 at epoch 6
        ("gl", {"alpha": 3.0}, (6, 4)),
        # α = 5: epoch 6 (4.6) passes, epoch 7 is a new best, epoch 8: 9.4 > 5
        ("gl", {"alpha": 5.0}, (8, 7)),
        # patience 2: no better than 0.65 at epochs 5, 6 -> stop at 6
        ("patience", {"patience": 2}, (6, 4)),
        # patience 3: epoch 7 is a new best, then 8, 9, 10 without one
        ("patience", {"patience": 3}, (10, 7)),
        # PQ with k = 5: epoch 5: GL = 1.54, P_5 = 1000 (0.62/0.40 − 1) = 550 -> 0.0028;
        # epoch 10: GL = 25, P_5 = 1000 (0.319/0.295 − 1) = 81.4 -> 0.31
        ("pq", {"alpha": 0.2, "k": 5}, (10, 7)),
        ("pq", {"alpha": 0.5, "k": 5}, (10, 7)),  # never fires: the last epoch
    ],
)
def test_stopping_epoch_on_a_hand_worked_curve(criterion, options, expected):
    assert stopping_epoch(TRAIN, VAL, criterion, **options) == expected


def test_pq_value_by_hand_and_only_at_strip_ends():
    rule = StoppingRule("pq", alpha=0.2, k=5)
    values = []
    for tr, va in zip(TRAIN, VAL, strict=True):
        rule.update(tr, va)
        values.append(rule.value)
    assert math.isnan(values[3])  # not yet the end of a strip
    gl10 = 100 * (0.80 / 0.64 - 1)
    p10 = 1000 * (np.mean(TRAIN[5:]) / min(TRAIN[5:]) - 1)
    assert values[9] == pytest.approx(gl10 / p10)


def test_rule_errors():
    with pytest.raises(ValueError, match="criterion"):
        StoppingRule("loss")
    with pytest.raises(ValueError, match="val_losses"):
        generalization_loss([1.0, -1.0])
    with pytest.raises(ValueError, match="differ"):
        stopping_epoch([1.0], [1.0, 2.0])


def test_callback_stops_fit_where_the_replay_does_and_restores_the_best():
    torch.manual_seed(0)
    X, y = randn(64, 5, seed=1).float(), torch.randint(0, 2, (64,))
    Xv, yv = randn(32, 5, seed=2).float(), torch.randint(0, 2, (32,))  # noise labels: over-fits
    model = nn.Sequential(nn.Linear(5, 64), nn.ReLU(), nn.Linear(64, 2))
    stopper = EarlyStopping("patience", patience=3)
    history = fit(model, (X, y), batch_size=16, num_epochs=60, lr=0.01, val_data=(Xv, yv),
                  callbacks=[stopper], progress=False, seed=0)  # fmt: skip
    stop, best = stopping_epoch(history["train_loss"], history["val_loss"], "patience", patience=3)
    assert history["epoch"][-1] == stop < 60
    assert stopper.rule.best_epoch == best
    restored = evaluate(model, (Xv, yv))["loss"]
    assert restored == pytest.approx(min(history["val_loss"]), rel=1e-6)


def test_callback_needs_a_validation_set():
    X, y = randn(16, 3, seed=1).float(), torch.randint(0, 2, (16,))
    with pytest.raises(ValueError, match="val_data"):
        fit(nn.Linear(3, 2), (X, y), batch_size=8, num_epochs=2,
            callbacks=[EarlyStopping("gl")], progress=False)  # fmt: skip
