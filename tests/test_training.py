"""Tests for course_lib.training: the loop trains, the history is right, runs are repeatable.

Questions answered here:
- Does ``fit`` lower the loss and record one entry per epoch, with the right numbers?
- Does ``evaluate`` weight each batch by its size and leave the model's mode alone?
- Does the same seed give the same history, and the given optimizer get used?
- Is the progress bar shown (and hidden on request)? Are bad arguments refused?
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional

from course_lib.data import make_loaders
from course_lib.training import evaluate, fit, model_device

pytestmark = pytest.mark.ch05


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
    history = fit(small_net(), train, epochs=6, lr=0.05, val_loader=test, progress=False)
    assert history["epoch"] == [1, 2, 3, 4, 5, 6]
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(history[key]) == 6, key
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] >= 0.95
    assert all(s > 0 for s in history["seconds"])


def test_fit_history_without_validation_has_no_val_keys():
    train, _ = blobs()
    history = fit(small_net(), train, epochs=1, progress=False)
    assert "val_loss" not in history and "val_accuracy" not in history


def test_train_loss_is_the_size_weighted_mean_of_the_batch_losses():
    """With lr = 0 nothing changes, so the epoch's loss is evaluate's loss on the same data."""
    train, _ = blobs()
    net = small_net()
    before = [p.detach().clone() for p in net.parameters()]
    history = fit(net, train, epochs=2, optimizer=torch.optim.SGD(net.parameters(), lr=0.0),
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
        history = fit(net, train, epochs=3, val_loader=test, seed=5, progress=False)
        return {k: v for k, v in history.items() if k != "seconds"}

    assert run() == run()


def test_fit_shows_a_progress_bar_unless_told_not_to(capsys):
    train, _ = blobs()
    fit(small_net(), train, epochs=2, progress=True, description="blobs")
    err = capsys.readouterr().err
    assert "blobs" in err and "10/10" in err  # 5 batches x 2 epochs
    fit(small_net(), train, epochs=1, progress=False)
    assert capsys.readouterr().err == ""


def test_fit_moves_the_model_to_the_requested_device():
    train, _ = blobs()
    net = small_net()
    fit(net, train, epochs=1, device="cpu", progress=False)
    assert model_device(net).type == "cpu"
    assert model_device(nn.ReLU()).type == "cpu"  # no parameters


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (dict(epochs=0), ValueError, "epochs must be an int >= 1"),
        (dict(epochs=1.5), ValueError, "epochs must be an int >= 1"),
        (dict(epochs=1, model="net"), TypeError, "model must be a torch.nn.Module"),
        (dict(epochs=1, train_loader=3), TypeError, "train_loader must be an iterable"),
        (dict(epochs=1, train_loader=[]), ValueError, "train_loader yielded no samples"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, error, pattern):
    train, _ = blobs()
    args = dict(model=small_net(), train_loader=train, progress=False) | kwargs
    with pytest.raises(error, match=pattern):
        fit(args.pop("model"), args.pop("train_loader"), **args)


def test_evaluate_rejects_an_empty_loader():
    with pytest.raises(ValueError, match="loader yielded no samples"):
        evaluate(small_net(), [])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fit_on_cuda_with_cpu_batches():
    """Batches that live on the CPU are moved to the model's GPU, batch by batch."""
    train, test = blobs()
    net = small_net().to("cuda")
    history = fit(net, train, epochs=6, lr=0.05, val_loader=test, progress=False)
    assert model_device(net).type == "cuda"
    assert history["val_accuracy"][-1] >= 0.95
