"""Tests for course_lib.minibatch: batches, the saved-tensor meter and the training loop.

The loop is checked against hand-written gradient descent (batch size N is one
full-batch step per epoch; batch size b without shuffling is the same sequence of
steps written out by hand), in float64.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from course_lib.minibatch import SavedTensorMeter, accuracy, minibatch_indices, train

pytestmark = pytest.mark.ch04
F64 = torch.float64


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


def test_meter_counts_saved_tensors_once():
    x = torch.ones(300, dtype=F64, requires_grad=True)
    with SavedTensorMeter() as meter:
        y = torch.exp(x)  # saves its result: 300 * 8 bytes
        z = y * y  # saves y (already counted) twice
    assert meter.bytes == 300 * 8
    z.sum().backward()  # the hooks hand the tensors back unchanged
    torch.testing.assert_close(x.grad, 2 * torch.exp(2 * x), rtol=1e-14, atol=0)
    with SavedTensorMeter() as meter:
        torch.exp(torch.ones(10))  # no grad needed: nothing saved
    assert meter.bytes == 0


def test_meter_grows_linearly_with_the_batch():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).double()
    readings = {}
    for b in (8, 16, 32):
        with SavedTensorMeter() as meter:
            net(torch.randn(b, 16, dtype=F64)).sum()
        readings[b] = meter.bytes
    assert readings[32] - readings[16] == 2 * (readings[16] - readings[8]) > 0


def hand_written_gd(model, X, y, lr, batch_size, epochs):
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            loss = nn.functional.cross_entropy(model(X[start:start + batch_size]),
                                               y[start:start + batch_size])
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
def test_train_without_shuffle_equals_hand_written_descent(batch_size, monkeypatch):
    X, y, net = make_problem()
    reference = make_problem()[2]
    reference.load_state_dict(net.state_dict())
    import course_lib.minibatch as mb

    monkeypatch.setattr(mb, "minibatch_indices",
                        lambda n, b, generator=None: minibatch_indices(n, b, shuffle=False))
    history = train(net, X, y, optimizer=torch.optim.SGD(net.parameters(), lr=0.2),
                    batch_size=batch_size, epochs=3, progress=False)
    hand_written_gd(reference, X, y, 0.2, batch_size, 3)
    for p, q in zip(net.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)
    assert history["updates"] == [k * -(-40 // batch_size) for k in (1, 2, 3)]
    with torch.no_grad():
        full = float(nn.functional.cross_entropy(net(X), y))
    assert history["full_loss"][-1] == pytest.approx(full, rel=1e-12)


def test_train_history_and_learning():
    X, y, net = make_problem(1)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    history = train(net, X, y, optimizer=opt, batch_size=8, epochs=4, X_test=X, y_test=y,
                    scheduler=sched, generator=torch.Generator().manual_seed(0), progress=False)
    assert history["epoch"] == [1, 2, 3, 4]
    assert history["lr"] == pytest.approx([0.5, 0.5, 0.05, 0.05])
    assert history["full_loss"][-1] < history["full_loss"][0]
    assert history["test_accuracy"][-1] == accuracy(net, X, y)
    assert all(s >= 0 for s in history["seconds"])
    assert all(b > 0 for b in history["saved_bytes"])
    assert set(history) == {"epoch", "train_loss", "full_loss", "test_accuracy", "seconds",
                            "updates", "lr", "saved_bytes"}


def test_bigger_batches_hold_more_memory_for_backward():
    X, y, net = make_problem(2)
    peaks = {}
    for b in (1, 8, 40):
        peaks[b] = train(net, X, y, optimizer=torch.optim.SGD(net.parameters(), lr=0.0),
                         batch_size=b, epochs=1, progress=False)["saved_bytes"][0]
    assert peaks[1] < peaks[8] < peaks[40]


def test_accuracy_by_hand():
    scores = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0], [1.0, 1.5]])
    assert accuracy(nn.Identity(), scores, torch.tensor([0, 1, 1, 1]), batch_size=3) == 0.75


def test_validation_names_the_argument():
    X, y, net = make_problem()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="batch_size must be at most the number of samples 40"):
        train(net, X, y, optimizer=opt, batch_size=41, epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        train(net, X, y, optimizer=opt, batch_size=4, epochs=0, progress=False)
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim\.Optimizer"):
        train(net, X, y, optimizer="sgd", batch_size=4, epochs=1, progress=False)
    with pytest.raises(ValueError, match="X and y must have the same number of rows"):
        train(net, X, y[:5], optimizer=opt, batch_size=4, epochs=1, progress=False)
    with pytest.raises(ValueError, match="give both X_test and y_test"):
        train(net, X, y, optimizer=opt, batch_size=4, epochs=1, X_test=X, progress=False)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        minibatch_indices(10, 0)
