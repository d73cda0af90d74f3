"""Tests for course_lib.minibatch: the saved-tensor meter and the backward-memory callback.

The loop itself (batch, mini-batch and stochastic descent against hand-written gradient
descent) is tested in tests/test_training.py.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.minibatch import BackwardMemory, SavedTensorMeter
from course_lib.training import fit

pytestmark = pytest.mark.ch04
F64 = torch.float64


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


def make_problem(seed=0):
    torch.manual_seed(seed)
    X = torch.randn(40, 5, dtype=F64)
    y = (X[:, 0] + X[:, 1] > 0).long()
    return X, y, nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 2)).double()


def test_backward_memory_records_the_largest_batch_of_each_epoch():
    X, y, net = make_problem(2)
    history = fit(net, (X, y), optimizer=torch.optim.SGD(net.parameters(), lr=0.0),
                  batch_size=16, num_epochs=2, callbacks=[BackwardMemory()],
                  progress=False)  # fmt: skip
    with SavedTensorMeter() as meter:
        nn.functional.cross_entropy(net(X[:16].clone()), y[:16].clone())  # not views of X, y
    assert history["saved_bytes"] == [meter.bytes, meter.bytes]  # 16 > the last batch of 8


def test_bigger_batches_hold_more_memory_for_backward():
    X, y, net = make_problem(2)
    peaks = {}
    for b in (1, 8, 40):
        history = fit(net, (X, y), optimizer=torch.optim.SGD(net.parameters(), lr=0.0),
                      batch_size=b, num_epochs=1, callbacks=[BackwardMemory()],
                      progress=False)  # fmt: skip
        peaks[b] = history["saved_bytes"][0]
    assert peaks[1] < peaks[8] < peaks[40]
