"""Tests for course_lib.seq2seq: the encoder–decoder with and without attention.

- Does the packed bidirectional encoder give, for each padded source, the states of a GRU
  run on that source alone, and is its summary [h→ at the last character; h← at the
  first]? Does extra padding change any output of the model?
- Is teacher forcing (all steps at once) the same computation as decoding step by step
  with the true previous characters, and does ``greedy_decode`` feed back the argmax?
- Do the attention weights sum to 1 over the source characters and vanish on padding?
- Do the loss, the exact-match metric, the batch loader and the callback do what they say,
  and does a model with attention learn a small copy task through ``training.fit``?
"""

from __future__ import annotations

import pytest
import torch
from helpers import TOL
from torch import nn

from course_lib.callbacks import GradientNorm
from course_lib.seq2seq import (
    Encoder,
    ExactMatch,
    Seq2Seq,
    Seq2SeqBatches,
    exact_match,
    greedy_decode,
    sequence_cross_entropy,
)
from course_lib.training import fit

pytestmark = pytest.mark.ch10

F64 = torch.float64
V_SRC, V_TGT = 12, 9


def padded_batch():
    """Three sources of lengths 5, 2 and 4 (ids ≥ 4), padded with 0."""
    rows = [[4, 5, 6, 7, 8], [9, 10], [11, 4, 6, 5]]
    src = torch.zeros(3, 5, dtype=torch.int64)
    for i, row in enumerate(rows):
        src[i, : len(row)] = torch.tensor(row)
    return src, rows


def model(attention, seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(V_SRC, V_TGT, embedding_dim=6, num_hiddens=5, attention=attention,
                   attention_size=7).double()  # fmt: skip


def test_encoder_states_equal_a_gru_on_each_unpadded_source():
    torch.manual_seed(0)
    enc = Encoder(V_SRC, 6, 5).double()
    src, rows = padded_batch()
    states, final, mask = enc(src)
    assert states.shape == (3, 5, 10) and final.shape == (3, 10)
    assert mask.tolist() == [[True] * 5, [True, True, False, False, False], [True] * 4 + [False]]
    for i, row in enumerate(rows):
        alone, h_n = enc.rnn(enc.embed(torch.tensor([row])))  # no padding at all
        torch.testing.assert_close(states[i, : len(row)], alone[0], **TOL)
        assert (states[i, len(row):] == 0).all()
        torch.testing.assert_close(final[i], torch.cat([h_n[0, 0], h_n[1, 0]]), **TOL)
        torch.testing.assert_close(final[i, :5], alone[0, -1, :5], **TOL)  # h→ at the end
        torch.testing.assert_close(final[i, 5:], alone[0, 0, 5:], **TOL)  # h← at the start


@pytest.mark.parametrize("attention", [None, "dot", "bilinear", "additive"])
def test_extra_padding_changes_nothing(attention):
    net = model(attention)
    src, _ = padded_batch()
    tgt_in = torch.randint(0, V_TGT, (3, 6), generator=torch.Generator().manual_seed(0))
    wider = torch.cat([src, torch.zeros(3, 4, dtype=torch.int64)], dim=1)
    torch.testing.assert_close(net(wider, tgt_in), net(src, tgt_in), **TOL)


@pytest.mark.parametrize("attention", [None, "dot", "bilinear", "additive"])
def test_teacher_forcing_equals_step_by_step_decoding(attention):
    net = model(attention)
    src, _ = padded_batch()
    tgt_in = torch.randint(0, V_TGT, (3, 6), generator=torch.Generator().manual_seed(1))
    all_at_once = net(src, tgt_in)  # (B, T, V)
    assert all_at_once.shape == (3, 6, V_TGT)
    keys, state, mask = net.encode(src)
    for t in range(6):
        logits, state, weights = net.decode(tgt_in[:, t:t + 1], state, keys, mask)
        torch.testing.assert_close(logits[:, 0], all_at_once[:, t], **TOL)
        if attention is None:
            assert weights is None
        else:  # a distribution over the characters, 0 on padding
            torch.testing.assert_close(weights.sum(-1), torch.ones(3, 1, dtype=F64), **TOL)
            assert (weights[:, 0][~mask] == 0).all()


@pytest.mark.parametrize("attention", [None, "additive"])
def test_greedy_decode_feeds_back_the_argmax(attention):
    net = model(attention)
    src, _ = padded_batch()
    tokens, weights = greedy_decode(net, src, max_len=7, sos_id=1, eos_id=2)
    keys, state, mask = net.encode(src)
    y = torch.ones(3, 1, dtype=torch.int64)
    expected = []
    for _ in range(tokens.shape[1]):
        logits, state, _ = net.decode(y, state, keys, mask)
        y = logits.argmax(-1)
        expected.append(y)
    assert torch.equal(tokens, torch.cat(expected, dim=1))
    assert tokens.shape[1] == 7 or (tokens == 2).any(dim=1).all()  # max_len or every <eos>
    if attention is None:
        assert weights is None
    else:
        assert weights.shape == (3, tokens.shape[1], 5)


def test_greedy_decode_stops_when_every_row_has_ended():
    net = model("dot")
    with torch.no_grad():
        net.out.bias.fill_(0.0)
        net.out.bias[2] = 1e3  # <eos> always wins
    tokens, weights = greedy_decode(net, padded_batch()[0], max_len=9, eos_id=2)
    assert tokens.tolist() == [[2], [2], [2]] and weights.shape == (3, 1, 5)
    assert net.training  # the mode is restored


def test_sequence_cross_entropy_flattens_and_ignores_padding():
    logits = torch.randn(2, 3, 5, dtype=F64)
    target = torch.tensor([[1, 2, 0], [3, 0, 0]])
    expected = nn.functional.cross_entropy(logits.reshape(6, 5), target.reshape(6),
                                           ignore_index=0)  # fmt: skip
    torch.testing.assert_close(sequence_cross_entropy(logits, target), expected, **TOL)
    kept = target != 0
    by_hand = nn.functional.cross_entropy(logits[kept], target[kept])
    torch.testing.assert_close(sequence_cross_entropy(logits, target), by_hand, **TOL)
    with pytest.raises(ValueError, match="logits must be"):
        sequence_cross_entropy(logits[0], target)


def test_exact_match_compares_up_to_eos():
    pred = torch.tensor([[5, 6, 2, 7], [5, 6, 7, 2], [5, 6, 2, 2], [5, 7, 2, 2]])
    target = torch.tensor([[5, 6, 2], [5, 6, 2], [5, 6, 2], [5, 6, 2]])
    assert exact_match(pred, target).tolist() == [True, False, True, False]
    with pytest.raises(ValueError, match="pred and target"):
        exact_match(pred[:2], target)


def test_batches_cover_every_row_once_per_pass_and_trim_padding():
    src = torch.zeros(10, 8, dtype=torch.int64)
    for i in range(10):
        src[i, : i % 4 + 1] = i + 4
    tgt = torch.arange(10)[:, None].repeat(1, 3)
    loader = Seq2SeqBatches(src, tgt, tgt, 4, num_batches=5,
                            generator=torch.Generator().manual_seed(0))  # fmt: skip
    seen = []
    for (s, t_in), t_out in loader:
        assert s.shape[1] == int((s != 0).sum(1).max()) and torch.equal(t_in, t_out)
        seen += t_out[:, 0].tolist()
    assert len(loader) == 5 and sorted(seen[:10]) == list(range(10))  # first pass: each once
    assert len(Seq2SeqBatches(src, tgt, tgt, 4)) == 3
    with pytest.raises(ValueError, match="tgt_in"):
        Seq2SeqBatches(src, tgt[:5], tgt, 4)


def test_model_errors():
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(5, 5, attention="cosine")
    with pytest.raises(ValueError, match="at least one character"):
        model(None)(torch.zeros(2, 3, dtype=torch.int64), torch.ones(2, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="src"):
        model(None)(torch.ones(2, 3), torch.ones(2, 2, dtype=torch.int64))


def copy_task(n, generator):
    """Reverse 3-6 digits: a task that needs the whole source, made of ids 4..13."""
    src = torch.zeros(n, 6, dtype=torch.int64)
    tgt_in = torch.zeros(n, 7, dtype=torch.int64)
    tgt_out = torch.zeros(n, 7, dtype=torch.int64)
    lengths = torch.randint(3, 7, (n,), generator=generator)
    for i, L in enumerate(lengths.tolist()):
        digits = torch.randint(4, 14, (L,), generator=generator)
        src[i, :L] = digits
        tgt_in[i, : L + 1] = torch.cat([torch.tensor([1]), digits.flip(0)])
        tgt_out[i, : L + 1] = torch.cat([digits.flip(0), torch.tensor([2])])
    return src, tgt_in, tgt_out


@pytest.mark.slow
def test_attention_model_learns_to_reverse_digits_through_fit():
    g = torch.Generator().manual_seed(0)
    train, val = copy_task(4000, g), copy_task(300, g)
    torch.manual_seed(0)
    net = Seq2Seq(14, 14, embedding_dim=16, num_hiddens=32, attention="dot")
    loader = Seq2SeqBatches(*train, 64, num_batches=25, generator=g)
    history = fit(net, loader, num_epochs=4, lr=5e-3, loss_fn=sequence_cross_entropy,
                  callbacks=[GradientNorm(max_norm=1.0), ExactMatch(val[0], val[2])],
                  progress=False, seed=0)  # fmt: skip
    assert history["train_loss"][-1] < history["train_loss"][0] / 3
    assert 0 <= history["val_exact_match"][0] <= 1 and history["val_exact_match"][-1] > 0.8
