"""Tests for course_lib.callbacks: every hook is called where the loop promises.

Questions answered here:
- Are the hooks called in the documented order, once per epoch or per batch?
- Does ``state.stop`` end training after that epoch, with the bar left finished?
- Does GradientNorm measure ‖g‖₂ exactly and clip as torch.nn.utils.clip_grad_norm_ does?
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional

from course_lib.callbacks import Callback, GradientNorm
from course_lib.training import fit

pytestmark = pytest.mark.ch04
F64 = torch.float64


def problem(seed=0):
    torch.manual_seed(seed)
    X = torch.randn(24, 3, dtype=F64)
    y = (X.sum(1) > 0).long()
    return X, y, nn.Linear(3, 2).double()


class Recorder(Callback):
    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def on_fit_begin(self, state):
        self.calls.append("fit_begin")

    def on_epoch_begin(self, state):
        self.calls.append(f"epoch_begin {state.epoch}")

    def after_backward(self, state):
        assert all(p.grad is not None for p in state.model.parameters())
        self.calls.append("after_backward")

    def on_batch_end(self, state):
        self.calls.append(f"batch_end {state.step}")

    def on_epoch_end(self, state):
        assert len(state.history["train_loss"]) == state.epoch
        state.log("epoch_squared", state.epoch**2)
        self.calls.append(f"epoch_end {state.epoch}")
        if state.epoch == self.stop_at:
            state.stop, state.stop_reason = True, "asked to"

    def on_fit_end(self, state):
        self.calls.append("fit_end")


def test_hooks_run_in_the_documented_order():
    X, y, net = problem()
    recorder = Recorder()
    history = fit(net, (X, y), batch_size=12, num_epochs=2, callbacks=[recorder], progress=False)
    assert recorder.calls == [
        "fit_begin",
        "epoch_begin 1", "after_backward", "batch_end 1", "after_backward", "batch_end 2",
        "epoch_end 1",
        "epoch_begin 2", "after_backward", "batch_end 3", "after_backward", "batch_end 4",
        "epoch_end 2",
        "fit_end",
    ]  # fmt: skip
    assert history["epoch_squared"] == [1, 4]


def test_stop_ends_training_after_that_epoch_and_the_bar_ends_full(capsys):
    X, y, net = problem()
    history = fit(net, (X, y), batch_size=12, num_epochs=10, callbacks=[Recorder(stop_at=3)],
                  description="stopping")  # fmt: skip
    assert history["epoch"] == [1, 2, 3]
    err = capsys.readouterr().err
    assert "6/6" in err and "100%" in err


def test_forward_context_wraps_only_the_forward_pass():
    entered = []

    class Context(Callback):
        def forward_context(self, state):
            import contextlib

            @contextlib.contextmanager
            def marker():
                entered.append(torch.is_grad_enabled())
                yield

            return marker()

    X, y, net = problem()
    fit(net, (X, y), batch_size=8, num_epochs=1, callbacks=[Context()], progress=False)
    assert entered == [True, True, True]


@pytest.mark.parametrize("max_norm", [None, 0.05])
def test_gradient_norm_measures_and_clips_like_torch(max_norm):
    X, y, net = problem(1)
    reference = problem(1)[2]
    reference.load_state_dict(net.state_dict())
    callback = GradientNorm(max_norm=max_norm)
    history = fit(net, [(X, y)], optimizer=torch.optim.SGD(net.parameters(), lr=0.5),
                  num_epochs=1, callbacks=[callback], progress=False)  # fmt: skip
    loss = functional.cross_entropy(reference(X), y)
    loss.backward()
    norm = torch.sqrt(sum((p.grad**2).sum() for p in reference.parameters()))
    assert history["grad_norm"] == pytest.approx([float(norm)], rel=1e-12)
    if max_norm is not None:
        nn.utils.clip_grad_norm_(reference.parameters(), max_norm)
        clipped = torch.sqrt(sum((p.grad**2).sum() for p in reference.parameters()))
        # torch divides by ‖g‖₂ + 1e-6, so the clipped norm is a hair below max_norm
        assert float(clipped) == pytest.approx(max_norm, rel=1e-4) and float(clipped) < max_norm
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.5 * p.grad
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("max_norm", [0, -1.0, float("inf"), "1"])
def test_gradient_norm_rejects_a_bad_max_norm(max_norm):
    with pytest.raises(ValueError, match="max_norm must be a number > 0"):
        GradientNorm(max_norm=max_norm)
