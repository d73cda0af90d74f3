"""Tests for course_lib.sequences: windows, the adding problem, characters and sampling.

Are the windows the right consecutive values, does the adding problem put one mark in
each half and sum the marked values (baseline MSE 1/6), does the vocabulary round-trip,
do the character windows shift by one, and does sampling honour its temperature?
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.sequences import (
    CharModel,
    CharVocab,
    adding_problem,
    char_windows,
    python_docs_text,
    sample_text,
    sliding_windows,
)

pytestmark = pytest.mark.ch09


def test_sliding_windows_match_a_loop():
    s = np.arange(10.0) ** 2
    X, y = sliding_windows(s, 3)
    assert X.shape == (7, 3)
    for j in range(7):
        np.testing.assert_array_equal(X[j].numpy(), s[j:j + 3])
        assert y[j].item() == s[j + 3]
    with pytest.raises(ValueError, match="window"):
        sliding_windows(s, 10)
    with pytest.raises(ValueError, match="series"):
        sliding_windows(np.ones((2, 2)), 1)


def test_adding_problem_marks_targets_and_baseline():
    X, y = adding_problem(20_000, 30, generator=torch.Generator().manual_seed(0))
    marks = X[..., 1]
    assert torch.all(marks.sum(dim=1) == 2)
    assert torch.all(marks[:, :15].sum(dim=1) == 1)  # one in each half
    torch.testing.assert_close(y, (X[..., 0] * marks).sum(dim=1))
    assert abs(((y - 1) ** 2).mean().item() - 1 / 6) < 0.01
    X2, _ = adding_problem(20_000, 30, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(X, X2)  # same seed, same data
    with pytest.raises(ValueError, match="seq_len"):
        adding_problem(3, 1)


def test_vocab_round_trip_and_unknown_characters():
    text = python_docs_text()
    assert len(text) > 400_000
    vocab = CharVocab(text[:5000])
    piece = text[:300]
    assert vocab.decode(vocab.encode(piece)) == piece
    with pytest.raises(ValueError, match="vocabulary"):
        CharVocab("abc").encode("abd")


def test_char_windows_shift_by_one_with_stride():
    X, Y = char_windows(torch.arange(10), 4, stride=2)
    assert X.shape == (3, 4)
    torch.testing.assert_close(Y, X + 1)
    assert X[:, 0].tolist() == [0, 2, 4]
    with pytest.raises(ValueError, match="ids"):
        char_windows(torch.arange(3), 4)


def test_sampling_temperature_near_zero_is_greedy():
    torch.manual_seed(0)
    vocab = CharVocab("abcd")
    model = CharModel(len(vocab), 8, embedding_dim=4)
    greedy = []
    logits, state = model(vocab.encode("a")[None])
    for _ in range(6):
        nxt = int(logits[0, -1].argmax())
        greedy.append(nxt)
        logits, state = model(torch.tensor([[nxt]]), state)
    cold = sample_text(model, vocab, "a", 6, temperature=1e-4,
                       generator=torch.Generator().manual_seed(1))  # fmt: skip
    assert cold == "a" + vocab.decode(greedy)
    hot = sample_text(model, vocab, "ab", 50, temperature=5.0,
                      generator=torch.Generator().manual_seed(2))  # fmt: skip
    assert hot.startswith("ab") and len(hot) == 52 and len(set(hot)) == 4
    with pytest.raises(ValueError, match="temperature"):
        sample_text(model, vocab, "a", 3, temperature=0.0)
