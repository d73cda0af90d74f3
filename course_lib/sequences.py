"""Chapter 09 sequence data and models: windows, the adding problem, characters.

- ``sliding_windows``: the (x_{t−k}, ..., x_{t−1}) → x_t pairs of a forecasting task;
- ``adding_problem``: the long-memory task of Hochreiter & Schmidhuber (1997): two
  marked numbers in a sequence of T, the target their sum;
- characters: a vocabulary, a text that ships offline (Python's own documentation,
  ``pydoc_data.topics``), next-character training windows, a small character-level
  language model and sampling with a temperature, p_i ∝ exp(z_i / τ).

See the book: 09_rnn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    "CharModel",
    "CharVocab",
    "adding_problem",
    "char_windows",
    "python_docs_text",
    "sample_text",
    "sliding_windows",
]


def sliding_windows(series: Sequence[float] | np.ndarray | Tensor, window: int):
    """Every window of ``window`` consecutive values and the value that follows it.

    X[j] = (s_j, ..., s_{j+k−1}), y[j] = s_{j+k}, for j = 0, ..., n − k − 1.

    >>> X, y = sliding_windows([1.0, 2.0, 3.0, 4.0], 2)
    >>> X.tolist(), y.tolist()
    ([[1.0, 2.0], [2.0, 3.0]], [3.0, 4.0])

    Shape: series (n,) → X (n − k, k), y (n − k,), float tensors. See the book: 09_rnn.
    """
    s = torch.as_tensor(np.asarray(series, dtype=np.float64))
    if s.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {tuple(s.shape)}")
    check_int(window, "window", 1)
    if window >= len(s):
        raise ValueError(f"window must be shorter than the series ({len(s)}), got {window}")
    X = s.unfold(0, window, 1)[:-1]  # (n − k, k)
    return X.clone(), s[window:].clone()


def adding_problem(n_samples: int, seq_len: int, *, generator: torch.Generator | None = None,
                   dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:  # fmt: skip
    """The adding problem: x_t = (u_t, m_t), u_t ~ U(0, 1), two marks m_t = 1; y = Σ m_t u_t.

    One mark falls in the first half of the sequence, the other in the second, so the
    network must remember a number for about T/2 steps. Predicting the mean, y = 1, gives
    MSE Var(u₁ + u₂) = 1/6 ≈ 0.167, the baseline a model without memory cannot beat.

    Shape: X (N, T, 2), y (N,).

    >>> X, y = adding_problem(4, 10, generator=torch.Generator().manual_seed(0))
    >>> tuple(X.shape), X[..., 1].sum(dim=1).tolist()
    ((4, 10, 2), [2.0, 2.0, 2.0, 2.0])

    See the book: 09_rnn.
    """
    check_int(n_samples, "n_samples", 1)
    check_int(seq_len, "seq_len", 2)
    values = torch.rand(n_samples, seq_len, generator=generator, dtype=torch.float64)
    half = seq_len // 2
    first = torch.randint(0, half, (n_samples,), generator=generator)
    second = torch.randint(half, seq_len, (n_samples,), generator=generator)
    marks = torch.zeros(n_samples, seq_len, dtype=torch.float64)
    rows = torch.arange(n_samples)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    X = torch.stack([values, marks], dim=-1)
    return X.to(dtype), (values * marks).sum(dim=1).to(dtype)


def python_docs_text() -> str:
    """The text of Python's own reference topics (``pydoc_data.topics``), ~465k characters.

    It ships with every CPython, so it works offline; topics are joined in sorted
    order. See the book: 09_rnn.
    """
    from pydoc_data.topics import topics

    return "\n".join(topics[key] for key in sorted(topics))


class CharVocab:
    """The sorted characters of a text, with ``encode`` (str → int64 ids) and ``decode``.

    >>> vocab = CharVocab("hello")
    >>> len(vocab), vocab.encode("hell").tolist(), vocab.decode([3, 0])
    (4, [1, 0, 2, 2], 'oe')

    See the book: 09_rnn.
    """

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string")
        self.chars = sorted(set(text))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> Tensor:
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown[:10]}")
        return torch.tensor([self.index[ch] for ch in text], dtype=torch.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def char_windows(ids: Tensor, seq_len: int, *, stride: int | None = None):
    """Inputs and next-character targets: X[j] = ids[s:s+L], Y[j] = ids[s+1:s+L+1].

    Windows start every ``stride`` characters (default ``seq_len``: no overlap).
    Shape: ids (n,) → X, Y (N, L) int64.

    >>> X, Y = char_windows(torch.arange(7), 3)
    >>> X.tolist(), Y.tolist()
    ([[0, 1, 2], [3, 4, 5]], [[1, 2, 3], [4, 5, 6]])

    See the book: 09_rnn.
    """
    ids = check_tensor(ids, "ids")
    check_int(seq_len, "seq_len", 1)
    stride = check_int(stride if stride is not None else seq_len, "stride", 1)
    if len(ids) < seq_len + 1:
        raise ValueError(f"ids must hold at least seq_len + 1 = {seq_len + 1}, got {len(ids)}")
    windows = ids.unfold(0, seq_len + 1, stride)  # (N, L + 1)
    return windows[:, :-1].clone(), windows[:, 1:].clone()


class CharModel(nn.Module):
    """Embedding → GRU or LSTM → linear: next-character logits at every position.

    ``forward(x, state=None)`` returns ``(logits, state)``; x (B, L) int64,
    logits (B, L, V). See the book: 09_rnn.
    """

    def __init__(self, vocab_size: int, num_hiddens: int = 128, *, embedding_dim: int = 32,
                 mode: str = "gru", num_layers: int = 1):  # fmt: skip
        super().__init__()
        check_int(vocab_size, "vocab_size", 1)
        if mode not in ("gru", "lstm"):
            raise ValueError(f"mode must be 'gru' or 'lstm', got {mode!r}")
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        layer = nn.GRU if mode == "gru" else nn.LSTM
        self.rnn = layer(embedding_dim, num_hiddens, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(num_hiddens, vocab_size)

    def forward(self, x: Tensor, state=None):
        output, state = self.rnn(self.embed(x), state)  # (B, L, H)
        return self.head(output), state


@torch.no_grad()
def sample_text(
    model: CharModel,
    vocab: CharVocab,
    prompt: str,
    length: int,
    *,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> str:
    """``prompt`` continued by ``length`` characters drawn from softmax(z / τ), one at a time.

    τ → 0 approaches greedy decoding (argmax), τ = 1 samples the model's distribution,
    τ > 1 flattens it. The state is carried from step to step, so each new character
    costs one recurrent step. See the book: 09_rnn.
    """
    check_int(length, "length", 0)
    check_real(temperature, "temperature", low=0, low_open=True)
    if not prompt:
        raise ValueError("prompt must hold at least one character")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits, state = model(vocab.encode(prompt).to(device)[None], None)
    out = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1].double().cpu() / temperature, dim=0)
        nxt = int(torch.multinomial(probs, 1, generator=generator))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    model.train(was_training)
    return prompt + vocab.decode(out)
