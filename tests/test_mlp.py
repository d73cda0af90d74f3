"""Tests for course_lib.mlp: the perceptron and the NumPy MLP.

The hand-written backward pass is compared with PyTorch's autograd, with
torch.autograd.gradcheck and with central finite differences, in float64 and
with explicit tolerances; training must learn AND, OR, XOR and two moons.
"""

import copy
from itertools import pairwise

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional

from course_lib.data import make_two_moons, make_xor
from course_lib.mlp import MLP, Perceptron, mlp_parameter_count

pytestmark = pytest.mark.ch01


# --------------------------------------------------------------------------- #
# mlp_parameter_count
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("sizes", "expected"),
    [([2, 1], 3), ([2, 3, 1], 13), ([2, 8, 2], 42), ([784, 128, 10], 785 * 128 + 129 * 10)],
)
def test_mlp_parameter_count_hand_worked(sizes, expected):
    """Is the count sum (n_in + 1) n_out, and the same as PyTorch's nn.Linear stack?"""
    assert mlp_parameter_count(sizes) == expected
    layers = [nn.Linear(a, b) for a, b in pairwise(sizes)]
    assert sum(p.numel() for layer in layers for p in layer.parameters()) == expected
    assert sum(p.size for p in MLP(sizes, output="identity").parameters()) == expected


@pytest.mark.parametrize("sizes", [[3], [], [2, 0, 1], [2, 2.5, 1], [2, True], (-1, 2)])
def test_mlp_parameter_count_rejects_bad_sizes(sizes):
    """Are fewer than two sizes, or a size that is not a positive integer, rejected?"""
    with pytest.raises(ValueError, match="layer_sizes must list at least two positive"):
        mlp_parameter_count(sizes)


# --------------------------------------------------------------------------- #
# Perceptron
# --------------------------------------------------------------------------- #
CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


@pytest.mark.parametrize(("name", "y"), [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])])
def test_perceptron_learns_and_or(name, y):
    """Does the perceptron reach zero mistakes on AND and OR, and then stay there?"""
    net = Perceptron()
    mistakes = net.fit(CORNERS, y, num_epochs=20, lr=1.0)
    assert len(mistakes) == 20 and mistakes[0] > 0 and 0 in mistakes
    first_clean = mistakes.index(0)
    assert all(m == 0 for m in mistakes[first_clean:])
    np.testing.assert_array_equal(net.predict(CORNERS), y)
    assert net.predict(CORNERS).dtype == np.int64


def test_perceptron_never_learns_xor():
    """On XOR, does every epoch make a mistake (no line separates the classes)?"""
    net = Perceptron()
    mistakes = net.fit(CORNERS, [0, 1, 1, 0], num_epochs=200)
    assert len(mistakes) == 200 and min(mistakes) > 0
    assert np.mean(net.predict(CORNERS) == [0, 1, 1, 0]) < 1.0


def test_perceptron_applies_rosenblatts_rule():
    """After one epoch on two samples, are w and b the hand-worked updates?"""
    net = Perceptron()
    # sample 1: w.x + b = 0 >= 0 predicts 1, y = 0: w -= 0.5 * x, b -= 0.5
    # sample 2: w.x + b = -0.5 * 1 - 0.5 = -1 < 0 predicts 0, y = 1: w += 0.5 * x, b += 0.5
    mistakes = net.fit([[1.0, 2.0], [1.0, 0.0]], [0, 1], num_epochs=1, lr=0.5)
    assert mistakes == [2]
    np.testing.assert_array_equal(net.w, [0.0, -1.0])
    assert net.b == 0.0


def test_perceptron_separates_linearly_separable_data():
    """Does it converge on random separable data with a margin, in 2-D and 5-D?"""
    rng = np.random.default_rng(0)
    for n_features in (2, 5):
        w_true = rng.standard_normal(n_features)
        X = rng.uniform(-1, 1, (200, n_features))
        X = X[np.abs(X @ w_true) > 0.1]
        y = (X @ w_true > 0).astype(int)
        net = Perceptron()
        assert net.fit(X, y, num_epochs=200)[-1] == 0
        np.testing.assert_array_equal(net.predict(X), y)


@pytest.mark.parametrize(
    ("X", "y", "pattern"),
    [
        (CORNERS, [-1, 1, 1, 1], r"y must hold labels in \{0, 1\}"),
        (CORNERS, [0, 1, 1], r"y must have shape \(4,\)"),
        ([0, 1, 1, 0], [0, 1, 1, 0], r"X must have shape \(n_samples, n_features\)"),
        ([[0.0, np.nan]], [1], "X must hold finite numbers"),
    ],
)
def test_perceptron_validation(X, y, pattern):
    """Are bad labels, lengths and shapes a ValueError naming the argument?"""
    with pytest.raises(ValueError, match=pattern):
        Perceptron().fit(X, y)


def test_perceptron_predict_checks_the_number_of_features():
    """Is predicting on 3 features after training on 2 a ValueError naming X?"""
    net = Perceptron()
    net.fit(CORNERS, [0, 0, 0, 1])
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        net.predict(np.zeros((2, 3)))


# --------------------------------------------------------------------------- #
# MLP: gradients
# --------------------------------------------------------------------------- #
OUTPUTS = {"softmax": 3, "sigmoid": 1, "identity": 2}  # output -> n_outputs in the tests


CASES = [(out, act) for out in OUTPUTS for act in ("tanh", "sigmoid", "relu")]


CASE_IDS = [f"{out}-{act}" for out, act in CASES]


def make_problem(output, activation, n=7, seed=0):
    """A small [3, 5, 4, k] network and a batch of n samples with matching targets."""
    rng = np.random.default_rng(seed)
    k = OUTPUTS[output]
    net = MLP([3, 5, 4, k], activation=activation, output=output, random_state=seed)
    for b in net.b:  # non-zero biases, so that their gradients are tested too
        b[:] = rng.normal(0, 0.5, b.shape)
    X = rng.normal(0, 1, (n, 3))
    y = {
        "softmax": rng.integers(0, k, n),
        "sigmoid": rng.integers(0, 2, n),
        "identity": rng.normal(0, 1, (n, k)),
    }[output]
    return net, X, y


def numeric_gradients(net, X, y, h=1e-6):
    """Central differences (L(theta + h) - L(theta - h)) / 2h for every parameter entry."""
    grads = []
    for param in net.parameters():
        grad = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + h
            plus = net.loss(X, y)
            param[index] = saved - h
            minus = net.loss(X, y)
            param[index] = saved
            grad[index] = (plus - minus) / (2 * h)
        grads.append(grad)
    return grads


def flat(grads):
    return [g for gW, gb in zip(grads["W"], grads["b"], strict=True) for g in (gW, gb)]


@pytest.mark.parametrize(("output", "activation"), CASES, ids=CASE_IDS)
def test_backward_matches_finite_differences(output, activation):
    """Does every entry of dL/dW and dL/db agree with central finite differences?"""
    net, X, y = make_problem(output, activation)
    loss, grads = net.backward(X, y)
    assert loss == net.loss(X, y)
    for analytic, numeric in zip(flat(grads), numeric_gradients(net, X, y), strict=True):
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def torch_twin(net):
    """The same network in PyTorch: nn.Linear layers holding copies of W and b (float64)."""
    act = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}[net.activation]
    layers = []
    for W, b in zip(net.W, net.b, strict=True):
        linear = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, act()]
    return nn.Sequential(*layers[:-1])  # the output layer has no hidden activation


def torch_loss(output, logits, y):
    if output == "softmax":
        return functional.cross_entropy(logits, torch.from_numpy(y))
    if output == "sigmoid":
        return functional.binary_cross_entropy_with_logits(
            logits[:, 0], torch.from_numpy(y).double()
        )
    return functional.mse_loss(logits, torch.from_numpy(y))


@pytest.mark.parametrize("n", [1, 7], ids=["batch-1", "batch-7"])
@pytest.mark.parametrize(("output", "activation"), CASES, ids=CASE_IDS)
def test_backward_matches_pytorch(output, activation, n):
    """Are the loss, the output and every gradient those of the same network in PyTorch?"""
    net, X, y = make_problem(output, activation, n=n)
    loss, grads = net.backward(X, y)
    twin = torch_twin(net)
    logits = twin(torch.from_numpy(X))
    expected = torch_loss(output, logits, y)
    expected.backward()
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-10, atol=1e-14)
    for mine, param in zip(flat(grads), twin.parameters(), strict=True):
        np.testing.assert_allclose(mine, param.grad.numpy(), rtol=1e-10, atol=1e-14)
    head = {"softmax": lambda a: torch.softmax(a, 1), "sigmoid": torch.sigmoid}
    y_hat = head.get(output, lambda a: a)(logits).detach().numpy()
    np.testing.assert_allclose(net.forward(X), y_hat, rtol=1e-12, atol=1e-15)


class NumpyLoss(torch.autograd.Function):
    """The MLP's loss as a PyTorch function of its parameters, with our hand-written backward."""

    @staticmethod
    def forward(ctx, net, X, y, *params):
        for mine, value in zip(net.parameters(), params, strict=True):
            mine[...] = value.detach().numpy()
        loss, grads = net.backward(X, y)
        ctx.grads = [torch.from_numpy(g.copy()) for g in flat(grads)]
        return torch.tensor(loss, dtype=torch.float64)

    @staticmethod
    def backward(ctx, grad_output):
        return (None, None, None, *(grad_output * g for g in ctx.grads))


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_backward_passes_torch_gradcheck(output):
    """Does torch.autograd.gradcheck accept our backward as the derivative of our loss?"""
    net, X, y = make_problem(output, "tanh", n=4)
    params = [torch.from_numpy(p.copy()).requires_grad_(True) for p in net.parameters()]
    assert torch.autograd.gradcheck(
        lambda *p: NumpyLoss.apply(net, X, y, *p), params, eps=1e-6, atol=1e-8, rtol=1e-6
    )


def test_gradients_are_averages_over_the_batch():
    """Is the gradient of a batch the mean of the per-sample gradients?"""
    net, X, y = make_problem("softmax", "tanh", n=6)
    _, batch = net.backward(X, y)
    singles = [flat(net.backward(X[i : i + 1], y[i : i + 1])[1]) for i in range(6)]
    for k, grad in enumerate(flat(batch)):
        mean = np.mean([s[k] for s in singles], axis=0)
        np.testing.assert_allclose(grad, mean, rtol=1e-12, atol=1e-15)


def test_step_is_gradient_descent():
    """Does step(grads, lr) subtract lr * grad from every parameter, in place?"""
    net, X, y = make_problem("sigmoid", "relu")
    before = [p.copy() for p in net.parameters()]
    loss, grads = net.backward(X, y)
    net.step(grads, lr=0.1)
    for old, new, g in zip(before, net.parameters(), flat(grads), strict=True):
        np.testing.assert_allclose(new, old - 0.1 * g, rtol=1e-15, atol=1e-15)
    assert net.loss(X, y) < loss  # a small step downhill lowers the loss


# --------------------------------------------------------------------------- #
# MLP: construction, prediction and training
# --------------------------------------------------------------------------- #
def test_shapes_follow_the_books_notation():
    """Is W[l] of shape (n_out, n_in) and b[l] of shape (n_out,), in nn.Linear's order?"""
    net = MLP([4, 6, 3])
    assert [W.shape for W in net.W] == [(6, 4), (3, 6)]
    assert [b.shape for b in net.b] == [(6,), (3,)]
    assert [p.shape for p in net.parameters()] == [(6, 4), (6,), (3, 6), (3,)]
    assert net.parameters()[0] is net.W[0]  # the arrays themselves, not copies


@pytest.mark.parametrize(("activation", "variance"), [("relu", 2 / 400), ("tanh", 2 / 800)])
def test_initialisation_scale(activation, variance):
    """Do the weights have He (ReLU) or Glorot (tanh) variance, biases 0, seed-reproducible?"""
    net = MLP([400, 400, 2], activation=activation, random_state=1)
    np.testing.assert_allclose(net.W[0].var(), variance, rtol=0.02)
    assert all((b == 0).all() for b in net.b)
    same = MLP([400, 400, 2], activation=activation, random_state=1)
    other = MLP([400, 400, 2], activation=activation, random_state=2)
    np.testing.assert_array_equal(net.W[0], same.W[0])
    assert not np.array_equal(net.W[0], other.W[0])


def test_predict_proba_and_predict():
    """Do probabilities sum to 1, sigmoid give [1 - p, p], and predict take the argmax?"""
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (10, 2))
    soft = MLP([2, 4, 3], output="softmax")
    P = soft.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(soft.predict(X), P.argmax(axis=1))
    sig = MLP([2, 4, 1], output="sigmoid")
    p = sig.forward(X)[:, 0]
    np.testing.assert_allclose(sig.predict_proba(X), np.c_[1 - p, p], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(sig.predict(X), (p >= 0.5).astype(int))
    reg = MLP([2, 4, 2], output="identity")
    np.testing.assert_array_equal(reg.predict(X), reg.forward(X))
    with pytest.raises(ValueError, match="predict_proba needs output="):
        reg.predict_proba(X)


def test_accepts_tensors_and_lists():
    """Do a torch tensor and a list give the same output as the array?"""
    X = np.random.default_rng(0).normal(0, 1, (5, 2))
    net = MLP([2, 3, 2])
    np.testing.assert_array_equal(net.forward(torch.from_numpy(X)), net.forward(X))
    np.testing.assert_array_equal(net.forward(X.tolist()), net.forward(X))


def test_fit_learns_xor_perfectly():
    """Does a [2, 8, 2] tanh network reach 100 % training accuracy on XOR?"""
    X, y = make_xor(200, random_state=0)
    net = MLP([2, 8, 2], activation="tanh", output="softmax", random_state=0)
    history = net.fit(X, y, num_epochs=200, lr=0.5, progress=False)
    assert history["accuracy"][-1] == 1.0
    assert np.mean(net.predict(X) == y) == 1.0
    assert history["loss"][-1] < 0.1 < history["loss"][0]


def test_fit_two_moons_generalises():
    """Does a [2, 16, 16, 2] network with mini-batches reach >= 95 % test accuracy?"""
    X_train, X_test, y_train, y_test = make_two_moons(1000, random_state=0)
    net = MLP([2, 16, 16, 2], activation="tanh", random_state=0)
    net.fit(X_train, y_train, num_epochs=100, lr=0.1, batch_size=32, progress=False)
    assert np.mean(net.predict(X_test) == y_test) >= 0.95


def test_fit_history_callback_and_reproducibility():
    """One history entry per epoch, a callback per epoch, the same run for the same seed?"""
    X, y = make_xor(100, random_state=1)
    calls = []
    net = MLP([2, 4, 1], activation="relu", output="sigmoid")
    history = net.fit(
        X,
        y,
        num_epochs=30,
        lr=0.3,
        batch_size=16,
        progress=False,
        callback=lambda epoch, model: calls.append((epoch, model is net, model.loss(X, y))),
    )
    assert set(history) == {"loss", "accuracy"}
    assert len(history["loss"]) == len(history["accuracy"]) == 30
    assert [c[0] for c in calls] == list(range(30)) and all(c[1] for c in calls)
    np.testing.assert_allclose([c[2] for c in calls], history["loss"], rtol=1e-12, atol=0)
    again = MLP([2, 4, 1], activation="relu", output="sigmoid")
    assert again.fit(X, y, num_epochs=30, lr=0.3, batch_size=16, progress=False) == history


def test_fit_regression_has_no_accuracy():
    """Does output="identity" fit y = 2x - 1 by MSE, with only a loss history?"""
    X = np.linspace(-1, 1, 50).reshape(-1, 1)
    net = MLP([1, 8, 1], output="identity")
    history = net.fit(X, 2 * X[:, 0] - 1, num_epochs=300, lr=0.1, progress=False)
    assert set(history) == {"loss"}
    assert history["loss"][-1] < 1e-2 < history["loss"][0]


def test_snapshots_by_deepcopy_are_frozen():
    """Does a deep copy taken in the callback keep that epoch's predictions?"""
    X, y = make_xor(40, random_state=0)
    net = MLP([2, 4, 2])
    snapshots = []
    net.fit(
        X,
        y,
        num_epochs=3,
        lr=1.0,
        progress=False,
        callback=lambda epoch, model: snapshots.append(copy.deepcopy(model)),
    )
    assert not np.allclose(snapshots[0].predict_proba(X), net.predict_proba(X))
    np.testing.assert_array_equal(snapshots[-1].predict_proba(X), net.predict_proba(X))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"layer_sizes": [2]}, "layer_sizes must list at least two"),
        ({"layer_sizes": [2, 3, 2], "activation": "softplus"}, "activation must be"),
        ({"layer_sizes": [2, 3, 2], "output": "softmin"}, "output must be one of"),
        ({"layer_sizes": [2, 3, 2], "output": "sigmoid"}, 'output="sigmoid" needs exactly 1'),
        ({"layer_sizes": [2, 3, 1], "output": "softmax"}, 'output="softmax" needs at least 2'),
    ],
)
def test_mlp_rejects_bad_construction(kwargs, pattern):
    """Is an impossible architecture a ValueError naming the argument?"""
    with pytest.raises(ValueError, match=pattern):
        MLP(**kwargs)


@pytest.mark.parametrize(
    ("output", "X", "y", "pattern"),
    [
        ("softmax", np.zeros((3, 3)), [0, 1, 2], r"X must have shape \(n_samples, 2\)"),
        ("softmax", np.zeros(2), [0], r"X must have shape \(n_samples, 2\)"),
        ("softmax", np.zeros((0, 2)), [], "n_samples >= 1"),
        ("softmax", [[0.0, np.inf]], [0], "X must hold finite numbers"),
        ("softmax", np.zeros((3, 2)), [0, 1, 3], r"y must hold 3 integer class labels in 0\.\.2"),
        ("softmax", np.zeros((3, 2)), [0, 1], "y must hold 3 integer class labels"),
        ("softmax", np.zeros((3, 2)), [0.5, 1, 2], "y must hold 3 integer class labels"),
        ("sigmoid", np.zeros((3, 2)), [0, 1, 2], r"y must hold labels in \{0, 1\}"),
        ("identity", np.zeros((3, 2)), np.zeros((3, 2)), r"y must have shape \(3, 1\)"),
    ],
)
def test_mlp_rejects_bad_data(output, X, y, pattern):
    """Are wrong shapes, non-finite inputs and out-of-range labels ValueErrors naming X or y?"""
    net = MLP([2, 4, 3 if output == "softmax" else 1], output=output)
    with pytest.raises(ValueError, match=pattern):
        net.backward(X, y)
    with pytest.raises(ValueError, match=pattern):
        net.fit(X, y, num_epochs=1, lr=0.1, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"batch_size": 2.5}, "batch_size must be an integer >= 1"),
        ({"num_epochs": 0}, "num_epochs must be an integer >= 1"),
        ({"lr": -0.1}, "lr must be a number > 0"),
        ({"lr": np.nan}, "lr must be a number > 0"),
    ],
)
def test_fit_rejects_bad_hyperparameters(kwargs, pattern):
    """Are a batch size, epoch count or learning rate that make no sense rejected by name?"""
    X, y = make_xor(20)
    settings = {"num_epochs": 1, "lr": 0.1, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        MLP([2, 3, 2]).fit(X, y, **settings)
