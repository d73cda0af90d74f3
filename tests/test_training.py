"""Tests for course_lib.training: the one loop trains, the history is right, runs repeat.

Questions answered here:
- Does ``fit`` lower the loss and record one entry per epoch, with the right numbers?
- Is ``fit`` on tensors, without shuffling, exactly hand-written mini-batch descent?
- Does ``evaluate`` weight each batch by its size and leave the model's mode alone?
- Are schedulers stepped per epoch or per step, and evaluation sets named as asked?
- Does the same seed give the same history, and the given optimizer get used?
- Is the progress bar shown, finished (and hidden on request)? Are bad arguments refused?
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional

from course_lib.data import make_loaders
from course_lib.training import (
    TensorBatches,
    correct_predictions,
    evaluate,
    fit,
    minibatch_indices,
    model_device,
)

pytestmark = pytest.mark.ch04
F64 = torch.float64


def blobs(n=120, seed=0):
    """Three well separated Gaussian blobs in 2-D, as tensors, split 2:1."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    X = centres[y] + torch.randn(n, 2, generator=g)
    cut = 2 * n // 3
    return make_loaders(X[:cut], y[:cut], X[cut:], y[cut:], batch_size=16, seed=seed)


def small_net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def test_fit_learns_and_records_one_entry_per_epoch():
    train, test = blobs()
    history = fit(small_net(), train, num_epochs=6, lr=0.05, val_data=test, progress=False)
    assert history["epoch"] == [1, 2, 3, 4, 5, 6]
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(history[key]) == 6, key
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] >= 0.95
    assert all(s > 0 for s in history["seconds"])


def test_fit_history_without_validation_has_no_val_keys():
    train, _ = blobs()
    history = fit(small_net(), train, num_epochs=1, progress=False)
    assert "val_loss" not in history and "val_accuracy" not in history


def test_train_loss_is_the_size_weighted_mean_of_the_batch_losses():
    """With lr = 0 nothing changes, so the epoch's loss is evaluate's loss on the same data."""
    train, _ = blobs()
    net = small_net()
    before = [p.detach().clone() for p in net.parameters()]
    history = fit(net, train, num_epochs=2, optimizer=torch.optim.SGD(net.parameters(), lr=0.0),
                  progress=False)  # fmt: skip
    for p, q in zip(net.parameters(), before, strict=True):
        torch.testing.assert_close(p, q)  # the given optimizer was used
    scores = evaluate(net, train)
    assert history["train_loss"] == pytest.approx([scores["loss"]] * 2, rel=1e-6)
    assert history["train_accuracy"] == pytest.approx([scores["accuracy"]] * 2)


def test_evaluate_weights_batches_by_size_and_restores_the_mode():
    X = torch.randn(10, 2)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    loader = [(X[:8], y[:8]), (X[8:], y[8:])]  # uneven batches
    net = small_net().train()
    scores = evaluate(net, loader)
    with torch.no_grad():
        logits = net(X)
    assert scores["loss"] == pytest.approx(functional.cross_entropy(logits, y).item(), rel=1e-6)
    assert scores["accuracy"] == pytest.approx((logits.argmax(1) == y).float().mean().item())
    assert net.training  # put back in training mode
    net.eval()
    evaluate(net, loader)
    assert not net.training


def test_evaluate_gives_nan_accuracy_for_regression():
    X, y = torch.randn(8, 2), torch.randn(8, 1)
    scores = evaluate(nn.Linear(2, 1), [(X, y)], loss_fn=functional.mse_loss)
    assert math.isnan(scores["accuracy"]) and scores["loss"] > 0


def test_same_seed_same_history():
    """Two runs with the same seeds (weights, loader order, dropout) give the same numbers."""

    def run():
        train, test = blobs(seed=1)
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
        history = fit(net, train, num_epochs=3, val_data=test, seed=5, progress=False)
        return {k: v for k, v in history.items() if k != "seconds"}

    assert run() == run()


def test_fit_shows_a_progress_bar_unless_told_not_to(capsys):
    train, _ = blobs()
    fit(small_net(), train, num_epochs=2, progress=True, description="blobs")
    err = capsys.readouterr().err
    assert "blobs" in err and "10/10" in err and "100%" in err  # 5 batches x 2 epochs
    fit(small_net(), train, num_epochs=1, progress=False)
    assert capsys.readouterr().err == ""


def test_fit_moves_the_model_to_the_requested_device():
    train, _ = blobs()
    net = small_net()
    fit(net, train, num_epochs=1, device="cpu", progress=False)
    assert model_device(net).type == "cpu"
    assert model_device(nn.ReLU()).type == "cpu"  # no parameters


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (dict(num_epochs=0), ValueError, "num_epochs must be an integer >= 1"),
        (dict(num_epochs=1.5), ValueError, "num_epochs must be an integer >= 1"),
        (dict(num_epochs=1, model="net"), TypeError, "model must be a torch.nn.Module"),
        (dict(num_epochs=1, train_loader=3), TypeError, "data must be a loader of"),
        (dict(num_epochs=1, train_loader=[]), ValueError, "data yielded no samples"),
        (dict(num_epochs=1, loss_fn="mse"), TypeError, "loss_fn must be callable"),
        (dict(num_epochs=1, scheduler_interval="batch"), ValueError, "'epoch' or 'step'"),
        (dict(num_epochs=1, callbacks=[print]), TypeError, "each callback must be"),
        (dict(num_epochs=1, lr=-1.0), ValueError, "lr must be a number >= 0"),
        (dict(num_epochs=1, eval_data={"train": []}), ValueError, "other than 'train'"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, error, pattern):
    train, _ = blobs()
    args = dict(model=small_net(), train_loader=train, progress=False) | kwargs
    with pytest.raises(error, match=pattern):
        fit(args.pop("model"), args.pop("train_loader"), **args)


def test_evaluate_rejects_an_empty_loader():
    with pytest.raises(ValueError, match="data yielded no samples"):
        evaluate(small_net(), [])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fit_on_cuda_with_cpu_batches():
    """Batches that live on the CPU are moved to the model's GPU, batch by batch."""
    train, test = blobs()
    net = small_net().to("cuda")
    history = fit(net, train, num_epochs=6, lr=0.05, val_data=test, progress=False)
    assert model_device(net).type == "cuda"
    assert history["val_accuracy"][-1] >= 0.95


# --------------------------------------------------------------------------- #
# Tensors in, mini-batches out: chapter 04's batch, mini-batch and stochastic descent
# --------------------------------------------------------------------------- #
@given(n=st.integers(1, 200), data=st.data())
def test_batches_partition_the_samples(n, data):
    b = data.draw(st.integers(1, n))
    batches = minibatch_indices(n, b, generator=torch.Generator().manual_seed(n))
    assert len(batches) == -(-n // b)
    assert all(len(batch) == b for batch in batches[:-1])
    assert sorted(torch.cat(batches).tolist()) == list(range(n))


def test_shuffling_follows_the_generator():
    a = minibatch_indices(50, 8, generator=torch.Generator().manual_seed(1))
    b = minibatch_indices(50, 8, generator=torch.Generator().manual_seed(1))
    c = minibatch_indices(50, 8, generator=torch.Generator().manual_seed(2))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


def test_tensor_batches_reshuffle_every_pass_and_cover_every_row():
    X, y = torch.arange(10.0)[:, None], torch.arange(10)
    batches = TensorBatches(X, y, 4, generator=torch.Generator().manual_seed(0))
    first, second = ([b.tolist() for _, b in batches] for _ in range(2))
    assert len(batches) == 3 and [len(b) for b in first] == [4, 4, 2]
    assert sorted(torch.cat([b for _, b in batches]).tolist()) == list(range(10))
    assert first != second
    for Xb, yb in batches:
        torch.testing.assert_close(Xb[:, 0].long(), yb)  # rows stay paired


def hand_written_gd(model, X, y, lr, batch_size, num_epochs):
    for _ in range(num_epochs):
        for start in range(0, len(X), batch_size):
            loss = functional.cross_entropy(
                model(X[start : start + batch_size]), y[start : start + batch_size]
            )
            grads = torch.autograd.grad(loss, list(model.parameters()))
            with torch.no_grad():
                for p, g in zip(model.parameters(), grads, strict=True):
                    p -= lr * g


def make_problem(seed=0):
    torch.manual_seed(seed)
    X = torch.randn(40, 5, dtype=F64)
    y = (X[:, 0] + X[:, 1] > 0).long()
    return X, y, nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 2)).double()


@pytest.mark.parametrize("batch_size", [40, 7, 1])
def test_fit_on_tensors_equals_hand_written_descent(batch_size, monkeypatch):
    """Batch (b = N), mini-batch and stochastic (b = 1) descent, step for step, in float64."""
    X, y, net = make_problem()
    reference = make_problem()[2]
    reference.load_state_dict(net.state_dict())
    monkeypatch.setattr(torch, "randperm", lambda n, generator=None: torch.arange(n))
    history = fit(net, (X, y), optimizer=torch.optim.SGD(net.parameters(), lr=0.2),
                  batch_size=batch_size, num_epochs=3, eval_data={"full": (X, y)},
                  progress=False)  # fmt: skip
    monkeypatch.undo()
    hand_written_gd(reference, X, y, 0.2, batch_size, 3)
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)
    assert history["updates"] == [k * -(-40 // batch_size) for k in (1, 2, 3)]
    with torch.no_grad():
        full = float(functional.cross_entropy(net(X), y))
    assert history["full_loss"][-1] == pytest.approx(full, rel=1e-12)


def test_schedulers_step_per_epoch_or_per_step():
    X, y, net = make_problem(1)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    history = fit(net, (X, y), optimizer=opt, batch_size=8, num_epochs=4, scheduler=sched,
                  generator=torch.Generator().manual_seed(0), progress=False)  # fmt: skip
    assert history["lr"] == pytest.approx([0.5, 0.5, 0.05, 0.05])
    X, y, net = make_problem(1)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 / (1 + step))
    history = fit(net, (X, y), optimizer=opt, batch_size=8, num_epochs=3, scheduler=sched,
                  scheduler_interval="step", progress=False)  # fmt: skip
    assert history["updates"] == [5, 10, 15]
    assert history["lr"] == pytest.approx([1.0, 1 / 6, 1 / 11])  # 5 steps per epoch


def test_evaluation_sets_are_named_and_measured_after_each_epoch():
    X, y, net = make_problem(2)
    history = fit(net, (X, y), batch_size=10, num_epochs=2, lr=0.01, val_data=(X[:20], y[:20]),
                  eval_data={"test": (X[20:], y[20:])}, progress=False)  # fmt: skip
    for key in ("val_loss", "val_accuracy", "test_loss", "test_accuracy"):
        assert len(history[key]) == 2, key
    assert history["test_accuracy"][-1] == evaluate(net, (X[20:], y[20:]))["accuracy"]
    with pytest.raises(ValueError, match="not both"):
        fit(net, (X, y), batch_size=10, num_epochs=1, val_data=(X, y), eval_data={"val": (X, y)})


def test_evaluate_on_tensors_equals_one_full_pass():
    X, y, net = make_problem(3)
    with torch.no_grad():
        logits = net(X)
    scores = evaluate(net, (X, y), batch_size=7)
    assert scores["loss"] == pytest.approx(float(functional.cross_entropy(logits, y)), rel=1e-12)
    assert scores["accuracy"] == correct_predictions(logits, y) / len(y)


def test_correct_predictions_by_hand():
    scores = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0], [1.0, 1.5]])
    assert correct_predictions(scores, torch.tensor([0, 1, 1, 1])) == 3.0
    assert math.isnan(correct_predictions(scores, torch.rand(4, 2)))


def test_tensor_data_is_checked_with_named_arguments():
    X, y, net = make_problem()
    with pytest.raises(ValueError, match="give batch_size too"):
        fit(net, (X, y), num_epochs=1, progress=False)
    with pytest.raises(ValueError, match="batch_size must be at most the number of samples 40"):
        fit(net, (X, y), batch_size=41, num_epochs=1, progress=False)
    with pytest.raises(ValueError, match="X and y must have the same number of rows"):
        fit(net, (X, y[:5]), batch_size=4, num_epochs=1, progress=False)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        minibatch_indices(10, 0)


class _TwoInputs(torch.nn.Module):
    """A model called as model(a, b), the way a seq2seq model takes source and target."""

    def __init__(self):
        super().__init__()
        self.a, self.b = torch.nn.Linear(2, 3), torch.nn.Linear(4, 3)

    def forward(self, a, b):
        return self.a(a) + self.b(b)


def test_a_tuple_of_inputs_is_passed_as_separate_arguments():
    torch.manual_seed(0)
    a, b, y = torch.randn(12, 2), torch.randn(12, 4), torch.randint(0, 3, (12,))
    loader = [((a[:8], b[:8]), y[:8]), ((a[8:], b[8:]), y[8:])]
    net = _TwoInputs()
    with torch.no_grad():
        expected = functional.cross_entropy(net(a, b), y).item()
    assert evaluate(net, loader)["loss"] == pytest.approx(expected, rel=1e-6)
    reference = _TwoInputs()
    reference.load_state_dict(net.state_dict())
    history = fit(net, loader, num_epochs=1, optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
                  progress=False)
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    for (x1, x2), target in loader:  # the same two steps by hand
        optimizer.zero_grad()
        functional.cross_entropy(reference(x1, x2), target).backward()
        optimizer.step()
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    assert history["updates"] == [2]
