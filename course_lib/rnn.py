"""Chapter 09 recurrent cells and sequence runners from their equations.

A recurrent layer reads a sequence x_1, ..., x_T one step at a time and carries a state:

    RNN:   h_t = g(W x_t + U h_{t−1} + b)                          (Elman 1990)
    LSTM:  i, f, o = σ(·), c̃ = tanh(·),  c_t = f ⊙ c_{t−1} + i ⊙ c̃,  h_t = o ⊙ tanh(c_t)
                                                       (Hochreiter & Schmidhuber 1997)
    GRU:   r, z = σ(·),  n = tanh(W_n x_t + b_in + r ⊙ (U_n h_{t−1} + b_hn)),
           h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}                           (Cho et al. 2014)

The weights use PyTorch's layout, so the same tensors run here and in ``torch.nn.RNN``,
``LSTM`` and ``GRU``: ``weight_ih`` (G·H, D) stacks W of every gate, ``weight_hh`` (G·H, H)
stacks U, and the bias is ``bias_ih + bias_hh``. Gate order: LSTM (i, f, g, o), GRU (r, z, n).
The GRU applies its reset gate to U_n h + b_hn, *after* the matrix product, as PyTorch and
cuDNN do; Cho et al. (2014) write n = tanh(W x + U (r ⊙ h)), which differs when b_hn ≠ 0 and
in general. Peepholes (Gers et al. 2002), which ``nn.LSTM`` lacks, add w_ci ⊙ c_{t−1} to the
input and forget gates and w_co ⊙ c_t to the output gate.

See the book: 09_rnn.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from course_lib.validation import check_int, check_tensor

__all__ = [
    "MODES",
    "SequenceRegressor",
    "cell_step",
    "gru_cell",
    "lstm_cell",
    "recurrent",
    "rnn_cell",
    "set_forget_bias_",
    "weights_from_module",
]

# mode -> number of stacked gates G in weight_ih (G·H, D)
MODES = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}

LayerWeights = Sequence[Tensor | None]  # (weight_ih, weight_hh, bias_ih, bias_hh)


def _affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x Wᵀ + b, for x (B, D) and W (G·H, D)."""
    out = x @ weight.T
    return out if bias is None else out + bias


def rnn_cell(
    input: Tensor,  # noqa: A002 - torch.nn.RNNCell's name
    hx: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One step of the plain (Elman) RNN, h_t = g(W x_t + U h_{t−1} + b), as ``nn.RNNCell``.

    Shape: input (B, D), hx (B, H), weight_ih (H, D), weight_hh (H, H), biases (H,) → (B, H).

    >>> x, h = torch.ones(1, 2), torch.zeros(1, 1)
    >>> rnn_cell(x, h, torch.tensor([[0.5, 0.5]]), torch.tensor([[2.0]])).tolist()  # tanh(1)
    [[0.7615941762924194]]

    See the book: 09_rnn.
    """
    check_tensor(input, "input")
    check_tensor(hx, "hx")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    pre = _affine(input, weight_ih, bias_ih) + _affine(hx, weight_hh, bias_hh)
    return torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)


def lstm_cell(
    input: Tensor,  # noqa: A002 - torch.nn.LSTMCell's name
    hx: tuple[Tensor, Tensor],
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    peepholes: tuple[Tensor, Tensor, Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step, as ``nn.LSTMCell``; returns (h_t, c_t).

    With a = W x_t + U h_{t−1} + b split in PyTorch's gate order (i, f, g, o):
    i = σ(a_i), f = σ(a_f), c̃ = tanh(a_g), o = σ(a_o), c_t = f ⊙ c_{t−1} + i ⊙ c̃,
    h_t = o ⊙ tanh(c_t). ``peepholes = (w_ci, w_cf, w_co)``, each (H,), adds w_ci ⊙ c_{t−1}
    to a_i, w_cf ⊙ c_{t−1} to a_f and w_co ⊙ c_t to a_o (Gers et al. 2002).

    Shape: input (B, D), hx = (h, c) each (B, H), weight_ih (4H, D), weight_hh (4H, H).

    >>> H = 1; z = torch.zeros(4 * H, 1)
    >>> h, c = lstm_cell(torch.zeros(1, 1), (torch.zeros(1, 1), torch.ones(1, 1)), z, z)
    >>> round(c.item(), 4), round(h.item(), 4)   # f = σ(0) = 0.5 keeps half of c
    (0.5, 0.2311)

    See the book: 09_rnn.
    """
    h, c = hx
    check_tensor(input, "input")
    a = _affine(input, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)  # (B, 4H)
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)
    if peepholes is not None:
        w_ci, w_cf, w_co = peepholes
        a_i, a_f = a_i + w_ci * c, a_f + w_cf * c
    i, f, g = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g)
    c_next = f * c + i * g  # the cell state: an additive path through time
    if peepholes is not None:
        a_o = a_o + w_co * c_next
    h_next = torch.sigmoid(a_o) * torch.tanh(c_next)
    return h_next, c_next


def gru_cell(
    input: Tensor,  # noqa: A002 - torch.nn.GRUCell's name
    hx: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
) -> Tensor:
    """One GRU step, as ``nn.GRUCell`` (gate order r, z, n).

    r = σ(W_r x + b_ir + U_r h + b_hr), z = σ(W_z x + b_iz + U_z h + b_hz),
    n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)), h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.
    The reset gate multiplies U_n h + b_hn, as PyTorch does (not U_n (r ⊙ h) of Cho et al.).

    Shape: input (B, D), hx (B, H), weight_ih (3H, D), weight_hh (3H, H) → (B, H).

    >>> z = torch.zeros(3, 1)
    >>> gru_cell(torch.zeros(1, 1), torch.ones(1, 1), z, z).tolist()  # z = 0.5: half of h
    [[0.5]]

    See the book: 09_rnn.
    """
    check_tensor(input, "input")
    gi = _affine(input, weight_ih, bias_ih)  # (B, 3H)
    gh = _affine(hx, weight_hh, bias_hh)
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * hx


def cell_step(mode: str, x: Tensor, state, weights: LayerWeights, peepholes=None):
    """One time step of the cell named by ``mode`` ("tanh", "relu", "lstm" or "gru").

    ``state`` is h, or (h, c) for the LSTM; ``weights`` one layer's (W, U, b_W, b_U).
    """
    if mode == "lstm":
        return lstm_cell(x, state, *weights, peepholes=peepholes)
    if mode == "gru":
        return gru_cell(x, state, *weights)
    return rnn_cell(x, state, *weights, nonlinearity=mode)


def recurrent(
    input: Tensor,  # noqa: A002 - torch.nn.RNN's name
    hx: Tensor | tuple[Tensor, Tensor] | None,
    weights: Sequence[LayerWeights],
    *,
    mode: str = "tanh",
    batch_first: bool = False,
    peepholes: Sequence[tuple[Tensor, Tensor, Tensor]] | None = None,
) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
    """Run a stacked recurrent layer over a sequence, as ``nn.RNN``/``nn.LSTM``/``nn.GRU``.

    Layer ℓ reads the hidden states of layer ℓ − 1 (layer 1 reads x). Returns
    ``(output, h_n)``, for an LSTM ``(output, (h_n, c_n))``: every hidden state of the last
    layer, and the last state of every layer.

    Parameters
    ----------
    input : (T, B, D), or (B, T, D) with ``batch_first``
    hx : (L, B, H) initial hidden state, (h_0, c_0) for an LSTM, or None for zeros
    weights : one (weight_ih, weight_hh, bias_ih, bias_hh) per layer, PyTorch's layout
    mode : "tanh", "relu", "lstm" or "gru"
    peepholes : one (w_ci, w_cf, w_co) per layer (LSTM only)

    Shape: output (T, B, H) or (B, T, H); h_n (L, B, H).

    >>> net = nn.RNN(2, 3, num_layers=2)
    >>> x = torch.randn(5, 4, 2)
    >>> out, h_n = recurrent(x, None, weights_from_module(net))
    >>> torch.allclose(out, net(x)[0], atol=1e-6), tuple(h_n.shape)
    (True, (2, 4, 3))

    See the book: 09_rnn.
    """
    x = check_tensor(input, "input")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
    if x.ndim != 3:
        raise ValueError(f"input must be (T, B, D) or (B, T, D), got shape {tuple(x.shape)}")
    if peepholes is not None and mode != "lstm":
        raise ValueError(f"peepholes exist only for mode='lstm', got mode={mode!r}")
    check_int(len(weights), "len(weights)", 1)
    if batch_first:
        x = x.transpose(0, 1)  # (T, B, D)
    hidden = weights[0][1].shape[1]
    num_layers, batch = len(weights), x.shape[1]
    if hx is None:
        zeros = x.new_zeros(num_layers, batch, hidden)
        hx = (zeros, zeros) if mode == "lstm" else zeros
    finals_h, finals_c = [], []
    for layer, layer_weights in enumerate(weights):
        state = (hx[0][layer], hx[1][layer]) if mode == "lstm" else hx[layer]
        peep = peepholes[layer] if peepholes is not None else None
        outputs = []
        for t in range(x.shape[0]):  # unroll through time
            state = cell_step(mode, x[t], state, layer_weights, peep)
            outputs.append(state[0] if mode == "lstm" else state)
        x = torch.stack(outputs)  # (T, B, H): the input of the next layer
        finals_h.append(state[0] if mode == "lstm" else state)
        if mode == "lstm":
            finals_c.append(state[1])
    output = x.transpose(0, 1) if batch_first else x
    h_n = torch.stack(finals_h)
    return (output, (h_n, torch.stack(finals_c))) if mode == "lstm" else (output, h_n)


def weights_from_module(module: nn.RNNBase) -> list[tuple[Tensor, ...]]:
    """[(weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0), ...] of an nn.RNN/LSTM/GRU.

    The tensors are the module's parameters themselves (gradients flow into them).
    Biases are None when the module has ``bias=False``. See the book: 09_rnn.
    """
    if not isinstance(module, nn.RNNBase):
        raise TypeError(f"module must be nn.RNN, nn.LSTM or nn.GRU, got {type(module).__name__}")
    if module.bidirectional or getattr(module, "proj_size", 0):
        raise ValueError("bidirectional and projected (proj_size > 0) layers are not covered")
    return [
        tuple(getattr(module, f"{name}_l{layer}", None)
              for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        for layer in range(module.num_layers)
    ]  # fmt: skip


class SequenceRegressor(nn.Module):
    """A recurrent layer (``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``) and a linear head on h_T.

    Many-to-one: (B, T, D) → (B, out_features), or (B,) when ``out_features == 1``.
    ``forget_bias`` sets the LSTM's forget-gate bias (b_if + b_hf) to that value.
    See the book: 09_rnn.
    """

    def __init__(self, in_features: int, num_hiddens: int, *, mode: str = "lstm",
                 out_features: int = 1, num_layers: int = 1,
                 forget_bias: float | None = None):  # fmt: skip
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
        kwargs = {"num_layers": num_layers, "batch_first": True}
        if mode == "lstm":
            self.rnn = nn.LSTM(in_features, num_hiddens, **kwargs)
        elif mode == "gru":
            self.rnn = nn.GRU(in_features, num_hiddens, **kwargs)
        else:
            self.rnn = nn.RNN(in_features, num_hiddens, nonlinearity=mode, **kwargs)
        if forget_bias is not None:
            if mode != "lstm":
                raise ValueError("forget_bias applies to mode='lstm' only")
            set_forget_bias_(self.rnn, forget_bias)
        self.head = nn.Linear(num_hiddens, out_features)
        self.out_features = out_features

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        y = self.head(output[:, -1])  # the last hidden state
        return y.squeeze(-1) if self.out_features == 1 else y


def set_forget_bias_(lstm: nn.LSTM, value: float) -> nn.LSTM:
    """Set b_if + b_hf = ``value`` in every layer of ``lstm`` (b_hf = 0), in place.

    PyTorch initializes both uniformly in ±1/√H, so the forget gate starts near σ(0) = 0.5;
    a bias of 1 or more keeps the cell state early in training (Gers et al. 2000;
    Jozefowicz et al. 2015). See the book: 09_rnn.
    """
    hidden = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{layer}")[hidden:2 * hidden] = value
            getattr(lstm, f"bias_hh_l{layer}")[hidden:2 * hidden] = 0.0
    return lstm
