"""Chapter 10 encoder–decoder (seq2seq) with and without attention, characters to characters.

The encoder, an embedding and a bidirectional GRU, reads the source x_1 … x_n and returns
one state h_i per character (forward and backward halves concatenated). The decoder, a GRU,
starts from s_0 = tanh(W_b [h→_n; h←_1]) and writes the target one character at a time:

    without attention   s_t = GRU(y_{t−1}, s_{t−1}),   z_t = tanh(W_c s_t)
    with attention      e_{t,i} = α(h_i, s_t),  a_t = softmax(e_t),  c_t = Σ_i a_{t,i} h_i,
                        z_t = tanh(W_c [s_t; c_t])
                        p(y_t | y_<t, x) = softmax(W_o z_t)

the global attention of Luong et al. (2015) with Bahdanau et al.'s (2015) bidirectional
encoder; the keys and the values are the encoder states. Training uses teacher forcing
(the decoder reads the true y_{t−1}, all steps at once); translation decodes greedily from
<sos> until <eos>. Without attention the whole source reaches the decoder through s_0
only: the fixed-length bottleneck (Sutskever et al. 2014; Cho et al. 2014).

See the book: 10_attention.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor, nn

from course_lib.attention import AdditiveScore, BilinearScore, DotScore, attend
from course_lib.callbacks import Callback, TrainingState
from course_lib.validation import check_int, check_tensor

__all__ = [
    "ATTENTION_SCORES",
    "Encoder",
    "ExactMatch",
    "Seq2Seq",
    "Seq2SeqBatches",
    "accuracy_by_length",
    "exact_match",
    "greedy_decode",
    "position_accuracy",
    "sequence_cross_entropy",
]

ATTENTION_SCORES = (None, "dot", "bilinear", "additive")


class Encoder(nn.Module):
    """Embedding → bidirectional GRU over the packed (unpadded) source.

    ``forward(src)`` returns ``(states, final, mask)``: states (B, S, 2H), 0 at padding;
    final (B, 2H) = [h→ at the last character; h← at the first]; mask (B, S), True at
    characters. See the book: 10_attention.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 32, num_hiddens: int = 64,
                 pad_id: int = 0):  # fmt: skip
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.rnn = nn.GRU(embedding_dim, num_hiddens, batch_first=True, bidirectional=True)
        self.pad_id = pad_id

    def forward(self, src: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if check_tensor(src, "src").ndim != 2 or src.dtype.is_floating_point:
            raise ValueError(f"src must be (B, S) integer ids, got {src.dtype} {tuple(src.shape)}")
        mask = src != self.pad_id  # (B, S)
        lengths = mask.sum(dim=1)
        if (lengths == 0).any():
            raise ValueError("every source must hold at least one character")
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(src), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        states, h_n = self.rnn(packed)  # h_n (2, B, H): forward's last, backward's first
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True,
                                                     total_length=src.shape[1])  # fmt: skip
        return states, torch.cat([h_n[0], h_n[1]], dim=-1), mask


class Seq2Seq(nn.Module):
    """A character encoder–decoder; ``attention`` is None, "dot", "bilinear" or "additive".

    ``forward(src, tgt_in)`` (teacher forcing) returns the logits (B, T, V) of every target
    step; ``encode`` and ``decode`` are the two halves, used step by step by
    :func:`greedy_decode`. The decoder's state has size D = 2 · ``num_hiddens``, the size of
    the encoder states, so that the dot score applies; bilinear and additive scores project
    both to ``attention_size``.

    >>> model = Seq2Seq(20, 13, attention="dot")
    >>> model(torch.randint(4, 20, (2, 7)), torch.randint(0, 13, (2, 5))).shape
    torch.Size([2, 5, 13])

    See the book: 10_attention.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, *, embedding_dim: int = 32,
                 num_hiddens: int = 64, attention: str | None = None, attention_size: int = 64,
                 pad_id: int = 0):  # fmt: skip
        super().__init__()
        check_int(src_vocab_size, "src_vocab_size", 1)
        check_int(tgt_vocab_size, "tgt_vocab_size", 1)
        if attention not in ATTENTION_SCORES:
            raise ValueError(f"attention must be one of {ATTENTION_SCORES}, got {attention!r}")
        D = 2 * check_int(num_hiddens, "num_hiddens", 1)
        self.attention = attention
        self.encoder = Encoder(src_vocab_size, embedding_dim, num_hiddens, pad_id)
        self.bridge = nn.Linear(D, D)  # s_0 = tanh(W_b [h→_n; h←_1])
        self.embed = nn.Embedding(tgt_vocab_size, embedding_dim)
        self.rnn = nn.GRU(embedding_dim, D, batch_first=True)
        scores = {"dot": DotScore, "bilinear": BilinearScore, "additive": AdditiveScore}
        self.score = None
        if attention == "dot":
            self.score = DotScore()
        elif attention is not None:
            self.score = scores[attention](D, D, check_int(attention_size, "attention_size", 1))
        self.combine = nn.Linear(2 * D if attention else D, D)  # W_c
        self.out = nn.Linear(D, tgt_vocab_size)  # W_o

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(keys h_i (B, S, D), initial decoder state s_0 (1, B, D), source mask (B, S))."""
        keys, final, mask = self.encoder(src)
        return keys, torch.tanh(self.bridge(final))[None], mask

    def decode(self, tgt_in: Tensor, state: Tensor, keys: Tensor, mask: Tensor
               ) -> tuple[Tensor, Tensor, Tensor | None]:  # fmt: skip
        """Logits (B, T, V), the last state (1, B, D), and the attention weights (B, T, S)."""
        s, state = self.rnn(self.embed(tgt_in), state)  # s_1 … s_T: (B, T, D)
        if self.score is None:
            return self.out(torch.tanh(self.combine(s))), state, None
        context, weights = attend(self.score(s, keys), keys, mask[:, None, :])  # (B, T, D)
        z = torch.tanh(self.combine(torch.cat([s, context], dim=-1)))
        return self.out(z), state, weights

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        keys, state, mask = self.encode(src)
        return self.decode(tgt_in, state, keys, mask)[0]


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: Tensor, *, max_len: int, sos_id: int = 1,
                  eos_id: int = 2) -> tuple[Tensor, Tensor | None]:  # fmt: skip
    """Translate by feeding back the most likely character, from <sos> until every row has <eos>.

    y_t = argmax p(y | y_<t, x), y_0 = <sos>; at most ``max_len`` steps. The model is put
    in eval mode and restored.

    Returns
    -------
    tokens : (B, T) int64, T ≤ max_len (the characters after a row's <eos> mean nothing)
    weights : (B, T, S) attention weights of every step, or None without attention

    See the book: 10_attention.
    """
    check_int(max_len, "max_len", 1)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    src = check_tensor(src, "src").to(device)
    keys, state, mask = model.encode(src)
    y = torch.full((src.shape[0], 1), sos_id, dtype=torch.int64, device=device)
    tokens, weights = [], []
    for _ in range(max_len):
        logits, state, w = model.decode(y, state, keys, mask)
        y = logits.argmax(dim=-1)  # (B, 1)
        tokens.append(y)
        weights.append(w)
        if (torch.cat(tokens, dim=1) == eos_id).any(dim=1).all():
            break
    model.train(was_training)
    tokens = torch.cat(tokens, dim=1)
    return tokens, (torch.cat(weights, dim=1) if weights[0] is not None else None)


def sequence_cross_entropy(logits: Tensor, target: Tensor, *, ignore_index: int = 0) -> Tensor:
    """Mean cross-entropy over every target step: logits (B, T, V) and target (B, T) flattened.

    Steps whose target is ``ignore_index`` (padding) do not count. See the book: 10_attention.
    """
    check_tensor(logits, "logits"), check_tensor(target, "target")
    if logits.ndim != 3 or target.shape != logits.shape[:2]:
        raise ValueError(f"logits must be (B, T, V) and target (B, T), got "
                         f"{tuple(logits.shape)} and {tuple(target.shape)}")  # fmt: skip
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                       ignore_index=ignore_index)  # fmt: skip


def _until_eos(row: Sequence[int], eos_id: int) -> list[int]:
    row = [int(i) for i in row]
    return row[: row.index(eos_id) + 1] if eos_id in row else row


def exact_match(pred: Tensor, target: Tensor, *, eos_id: int = 2) -> Tensor:
    """True for each row whose prediction equals the target up to and including <eos>.

    Shape: pred (B, T1), target (B, T2) → (B,) bool.

    >>> pred = torch.tensor([[5, 6, 2, 9], [5, 5, 2, 2]])   # what follows <eos> (2) is ignored
    >>> exact_match(pred, torch.tensor([[5, 6, 2], [5, 6, 2]]))
    tensor([ True, False])

    See the book: 10_attention.
    """
    check_tensor(pred, "pred"), check_tensor(target, "target")
    if pred.ndim != 2 or target.ndim != 2 or len(pred) != len(target):
        raise ValueError(f"pred and target must be (B, T) with one B, got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")  # fmt: skip
    return torch.tensor([_until_eos(p, eos_id) == _until_eos(t, eos_id)
                         for p, t in zip(pred.tolist(), target.tolist(), strict=True)])  # fmt: skip


def accuracy_by_length(hits: Tensor, lengths: Tensor, edges: Sequence[int]
                       ) -> list[tuple[str, int, float]]:  # fmt: skip
    """The share of hits in buckets of source length [e_0, e_1), [e_1, e_2), ...

    Returns one ``(label, count, accuracy)`` per bucket, the label "a–b" with both ends
    included; an empty bucket has accuracy NaN.

    >>> hits, lengths = torch.tensor([True, False, True]), torch.tensor([5, 6, 12])
    >>> accuracy_by_length(hits, lengths, [5, 10, 20])
    [('5–9', 2, 0.5), ('10–19', 1, 1.0)]

    See the book: 10_attention.
    """
    check_tensor(hits, "hits"), check_tensor(lengths, "lengths")
    if hits.shape != lengths.shape or hits.ndim != 1:
        raise ValueError(f"hits and lengths must be 1-D of one length, got {tuple(hits.shape)} "
                         f"and {tuple(lengths.shape)}")  # fmt: skip
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = (lengths >= low) & (lengths < high)
        count = int(inside.sum())
        accuracy = hits[inside].float().mean().item() if count else math.nan
        rows.append((f"{low}–{high - 1}", count, accuracy))
    return rows


def position_accuracy(tokens: Tensor, target: Tensor) -> Tensor:
    """The accuracy of each output position t: the share of rows where tokens and target agree.

    A prediction shorter than the target counts as wrong at the missing positions.
    Shape: tokens (B, T1), target (B, T) → (T,). See the book: 10_attention.
    """
    check_tensor(tokens, "tokens"), check_tensor(target, "target")
    T = target.shape[1]
    if tokens.shape[1] < T:
        tokens = torch.cat([tokens, tokens.new_full((len(tokens), T - tokens.shape[1]), -1)], 1)
    return (tokens[:, :T] == target).float().mean(dim=0)


class ExactMatch(Callback):
    """Logs ``<name>_exact_match``, the share of greedy translations equal to the target.

    Measured after every epoch of :func:`course_lib.training.fit` on ``src`` (N, S) and
    ``tgt_out`` (N, T) (the targets ending in <eos>). See the book: 10_attention.
    """

    def __init__(self, src: Tensor, tgt_out: Tensor, *, name: str = "val", eos_id: int = 2,
                 sos_id: int = 1):  # fmt: skip
        self.src, self.tgt_out, self.name = src, tgt_out, name
        self.eos_id, self.sos_id = eos_id, sos_id

    def on_epoch_end(self, state: TrainingState) -> None:
        tokens, _ = greedy_decode(state.model, self.src, max_len=self.tgt_out.shape[1],
                                  sos_id=self.sos_id, eos_id=self.eos_id)  # fmt: skip
        hits = exact_match(tokens.cpu(), self.tgt_out, eos_id=self.eos_id)
        state.log(f"{self.name}_exact_match", hits.float().mean().item())


class Seq2SeqBatches:
    """A loader of ``((src, tgt_in), tgt_out)`` batches for :func:`course_lib.training.fit`.

    Each epoch is ``num_batches`` batches of ``batch_size`` rows drawn without replacement
    (a new permutation whenever one is used up); each source batch is cut to its longest
    row, so that the encoder does not run over columns of padding only.

    >>> src, tgt = torch.tensor([[5, 6, 0], [7, 0, 0]]), torch.tensor([[1, 3], [1, 4]])
    >>> batches = Seq2SeqBatches(src, tgt, tgt, 2, num_batches=3)
    >>> len(batches), [tuple(s.shape) for (s, _), _ in batches]
    (3, [(2, 2), (2, 2), (2, 2)])

    See the book: 10_attention.
    """

    def __init__(self, src: Tensor, tgt_in: Tensor, tgt_out: Tensor, batch_size: int, *,
                 num_batches: int | None = None, generator: torch.Generator | None = None,
                 pad_id: int = 0):  # fmt: skip
        for name, x in (("src", src), ("tgt_in", tgt_in), ("tgt_out", tgt_out)):
            if check_tensor(x, name).ndim != 2 or len(x) != len(src):
                raise ValueError(f"{name} must be (N, ·) with N = {len(src)} rows, got "
                                 f"{tuple(x.shape)}")  # fmt: skip
        self.src, self.tgt_in, self.tgt_out = src, tgt_in, tgt_out
        self.batch_size = check_int(batch_size, "batch_size", 1)
        n = math.ceil(len(src) / batch_size)
        self.num_batches = check_int(num_batches if num_batches is not None else n,
                                     "num_batches", 1)  # fmt: skip
        self.generator, self.pad_id = generator, pad_id
        self._order = torch.empty(0, dtype=torch.int64)

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[tuple[tuple[Tensor, Tensor], Tensor]]:
        for _ in range(self.num_batches):
            if len(self._order) == 0:
                self._order = torch.randperm(len(self.src), generator=self.generator)
            rows, self._order = self._order[: self.batch_size], self._order[self.batch_size:]
            src = self.src[rows]
            width = int((src != self.pad_id).sum(dim=1).max())
            yield (src[:, :width], self.tgt_in[rows]), self.tgt_out[rows]
