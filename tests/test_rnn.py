"""Tests for course_lib.rnn: cells and runners equal torch.nn.RNN, LSTM and GRU, in float64.

Given the same weights (taken from the module: PyTorch's gate order i, f, g, o for the LSTM
and r, z, n for the GRU, whose reset gate multiplies U_n h + b_hn), do the from-scratch
runners give the same outputs, final states and gradients, for several layers, with
``batch_first``, with and without an initial state and biases? Do zero peepholes reduce the
peephole LSTM to nn.LSTM, and do non-zero ones change it as the equations say?
"""

from __future__ import annotations

import pytest
import torch
from helpers import TOL, randn
from torch import nn

from course_lib.rnn import (
    SequenceRegressor,
    gru_cell,
    lstm_cell,
    recurrent,
    rnn_cell,
    set_forget_bias_,
    weights_from_module,
)

pytestmark = pytest.mark.ch09

F64 = torch.float64


def make_module(mode: str, num_layers: int, batch_first: bool, bias: bool = True):
    torch.manual_seed(len(mode) + 10 * num_layers)
    kwargs = {"num_layers": num_layers, "batch_first": batch_first, "bias": bias}
    if mode == "lstm":
        return nn.LSTM(3, 5, **kwargs).to(F64)
    if mode == "gru":
        return nn.GRU(3, 5, **kwargs).to(F64)
    return nn.RNN(3, 5, nonlinearity=mode, **kwargs).to(F64)


def initial_state(mode: str, num_layers: int, batch: int):
    h0 = randn(num_layers, batch, 5, seed=7)
    return (h0, randn(num_layers, batch, 5, seed=8)) if mode == "lstm" else h0


@pytest.mark.parametrize("mode", ["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_runner_equals_torch_outputs_states_and_gradients(mode, num_layers, batch_first,
                                                          with_state):  # fmt: skip
    net = make_module(mode, num_layers, batch_first)
    x = randn(*((4, 6, 3) if batch_first else (6, 4, 3)), seed=1, requires_grad=True)
    hx = initial_state(mode, num_layers, 4) if with_state else None
    ours, ours_state = recurrent(x, hx, weights_from_module(net), mode=mode,
                                 batch_first=batch_first)  # fmt: skip
    theirs, their_state = net(x, hx)
    torch.testing.assert_close(ours, theirs, **TOL)
    ours_last = ours_state if mode == "lstm" else (ours_state,)
    their_last = their_state if mode == "lstm" else (their_state,)
    for a, b in zip(ours_last, their_last, strict=True):  # h_n (and c_n)
        torch.testing.assert_close(a, b, **TOL)
    probe = randn(*theirs.shape, seed=2)
    probe_last = randn(*their_last[-1].shape, seed=3)
    params = [x, *net.parameters()]
    ours_grads = torch.autograd.grad((ours * probe).sum() + (ours_last[-1] * probe_last).sum(),
                                     params)  # fmt: skip
    theirs_grads = torch.autograd.grad(
        (theirs * probe).sum() + (their_last[-1] * probe_last).sum(), params
    )
    for a, b in zip(ours_grads, theirs_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["tanh", "lstm", "gru"])
def test_runner_without_biases(mode):
    net = make_module(mode, 2, False, bias=False)
    x = randn(5, 2, 3, seed=3)
    ours, _ = recurrent(x, None, weights_from_module(net), mode=mode)
    torch.testing.assert_close(ours, net(x)[0], **TOL)


def test_cells_equal_torch_cells():
    x, h, c = randn(4, 3, seed=1), randn(4, 5, seed=2), randn(4, 5, seed=3)
    for cell_module, ours in [(nn.RNNCell, rnn_cell), (nn.LSTMCell, lstm_cell),
                              (nn.GRUCell, gru_cell)]:  # fmt: skip
        torch.manual_seed(0)
        cell = cell_module(3, 5).to(F64)
        w = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        if ours is lstm_cell:
            for a, b in zip(ours(x, (h, c), *w), cell(x, (h, c)), strict=True):
                torch.testing.assert_close(a, b, **TOL)
        else:
            torch.testing.assert_close(ours(x, h, *w), cell(x, h), **TOL)


def test_gru_reset_gate_multiplies_after_the_product():
    """PyTorch's n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)) differs from Cho's U_n (r ⊙ h)."""
    torch.manual_seed(1)
    cell = nn.GRUCell(3, 5).to(F64)
    x, h = randn(2, 3, seed=4), randn(2, 5, seed=5)
    w = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    gi, gh = x @ cell.weight_ih.T + cell.bias_ih, h @ cell.weight_hh.T + cell.bias_hh
    r, z = torch.sigmoid(gi[:, :5] + gh[:, :5]), torch.sigmoid(gi[:, 5:10] + gh[:, 5:10])
    u_n, b_hn = cell.weight_hh[10:], cell.bias_hh[10:]
    n_cho = torch.tanh(gi[:, 10:] + (r * h) @ u_n.T + b_hn)
    cho = (1 - z) * n_cho + z * h
    ours = gru_cell(x, h, *w)
    torch.testing.assert_close(ours, cell(x, h), **TOL)
    assert (ours - cho).abs().max() > 1e-3


def test_zero_peepholes_reduce_to_nn_lstm_and_nonzero_ones_follow_the_equations():
    net = make_module("lstm", 2, True)
    x = randn(3, 7, 3, seed=6)
    zeros = [tuple(torch.zeros(5, dtype=F64) for _ in range(3))] * 2
    ours, (h_n, c_n) = recurrent(x, None, weights_from_module(net), mode="lstm",
                                 batch_first=True, peepholes=zeros)  # fmt: skip
    theirs, (h_ref, c_ref) = net(x)
    torch.testing.assert_close(ours, theirs, **TOL)
    torch.testing.assert_close(c_n, c_ref, **TOL)
    torch.testing.assert_close(h_n, h_ref, **TOL)
    # one step by hand with peepholes
    w = weights_from_module(net)[0]
    w_ci, w_cf, w_co = randn(5, seed=9), randn(5, seed=10), randn(5, seed=11)
    xt, h, c = randn(2, 3, seed=12), randn(2, 5, seed=13), randn(2, 5, seed=14)
    a = xt @ w[0].T + w[2] + h @ w[1].T + w[3]
    i = torch.sigmoid(a[:, :5] + w_ci * c)
    f = torch.sigmoid(a[:, 5:10] + w_cf * c)
    c_new = f * c + i * torch.tanh(a[:, 10:15])
    h_new = torch.sigmoid(a[:, 15:] + w_co * c_new) * torch.tanh(c_new)
    got_h, got_c = lstm_cell(xt, (h, c), *w, peepholes=(w_ci, w_cf, w_co))
    torch.testing.assert_close(got_c, c_new, **TOL)
    torch.testing.assert_close(got_h, h_new, **TOL)


def test_batch_of_one_and_non_contiguous_input():
    net = make_module("gru", 1, False)
    x = randn(3, 1, 8, seed=15).permute(2, 1, 0)  # (8, 1, 3), not contiguous
    assert not x.is_contiguous()
    torch.testing.assert_close(recurrent(x, None, weights_from_module(net), mode="gru")[0],
                               net(x)[0], **TOL)  # fmt: skip


def test_validation_errors_name_the_argument():
    net = make_module("tanh", 1, False)
    w = weights_from_module(net)
    with pytest.raises(ValueError, match="mode"):
        recurrent(randn(2, 1, 3), None, w, mode="elman")
    with pytest.raises(ValueError, match="input"):
        recurrent(randn(2, 3), None, w)
    with pytest.raises(TypeError, match="input"):
        recurrent([[1.0]], None, w)
    with pytest.raises(ValueError, match="peepholes"):
        recurrent(randn(2, 1, 3), None, w, peepholes=[None])
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn_cell(randn(1, 3), randn(1, 5), *w[0], nonlinearity="sigmoid")
    with pytest.raises(TypeError, match="module"):
        weights_from_module(nn.Linear(2, 2))


def test_sequence_regressor_and_forget_bias():
    model = SequenceRegressor(2, 8, mode="lstm", forget_bias=3.0)
    b = model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0
    torch.testing.assert_close(b[8:16], torch.full((8,), 3.0))
    assert model(torch.zeros(4, 5, 2)).shape == (4,)
    assert SequenceRegressor(2, 8, mode="gru", out_features=3)(torch.zeros(4, 5, 2)).shape == (4, 3)
    lstm = set_forget_bias_(nn.LSTM(2, 4, num_layers=2), 1.0)
    torch.testing.assert_close(lstm.bias_ih_l1[4:8], torch.ones(4))
    with pytest.raises(ValueError, match="forget_bias"):
        SequenceRegressor(2, 8, mode="gru", forget_bias=1.0)
