"""Tests for course_lib.attention: scores, masked softmax, scaled dot-product attention, heads.

- Do the dot, bilinear and additive scores equal their formulas written pair by pair
  (e_{t,i} = h_iᵀ W_kᵀ W_q s_t; w_aᵀ tanh([W_k W_q][h_i; s_t]))?
- Does ``scaled_dot_product_attention`` equal ``torch.nn.functional.scaled_dot_product_attention``
  in values and gradients (float64), without a mask, with boolean and additive masks,
  with ``is_causal`` (square and not), with a custom scale?
- Do the weights sum to 1 over the keys and vanish where masked; what happens to a query
  whose keys are all masked (0, as PyTorch's kernel; a hand-written −∞ softmax gives NaN)?
- Are ``split_heads`` and ``merge_heads`` inverse, and the reshape-then-transpose layout?
"""

from __future__ import annotations

import math

import pytest
import torch
from helpers import TOL, randn
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_lib.attention import (
    AdditiveScore,
    BilinearScore,
    DotScore,
    additive_score,
    attend,
    bilinear_score,
    causal_mask,
    dot_score,
    masked_softmax,
    merge_heads,
    padding_mask,
    scaled_dot_product_attention,
    split_heads,
)

pytestmark = pytest.mark.ch10

F64 = torch.float64
sdpa_torch = nn.functional.scaled_dot_product_attention


def test_dot_and_bilinear_scores_equal_the_formula_pair_by_pair():
    s, h = randn(2, 3, 4, seed=1), randn(2, 5, 4, seed=2)  # queries s_t, keys h_i
    W_q, W_k = randn(6, 4, seed=3), randn(6, 4, seed=4)
    dot, bil = dot_score(s, h), bilinear_score(s, h, W_q, W_k)
    assert dot.shape == bil.shape == (2, 3, 5)
    for b in range(2):
        for t in range(3):
            for i in range(5):
                torch.testing.assert_close(dot[b, t, i], h[b, i] @ s[b, t], **TOL)
                torch.testing.assert_close(bil[b, t, i], h[b, i] @ W_k.T @ W_q @ s[b, t], **TOL)


def test_bilinear_score_with_queries_and_keys_of_different_sizes():
    s, h = randn(3, 7, seed=5), randn(4, 2, seed=6)
    W_q, W_k = randn(5, 7, seed=7), randn(5, 2, seed=8)
    torch.testing.assert_close(bilinear_score(s, h, W_q, W_k), (s @ W_q.T) @ (h @ W_k.T).T, **TOL)
    with pytest.raises(ValueError, match="dot scores need"):
        dot_score(s, h)
    with pytest.raises(ValueError, match="d_a"):
        bilinear_score(s, h, W_q, randn(4, 2))


def test_additive_score_is_a_one_layer_network_on_the_concatenated_pair():
    s, h = randn(3, 4, seed=9), randn(5, 6, seed=10)
    W_q, W_k, w_a = randn(8, 4, seed=11), randn(8, 6, seed=12), randn(8, seed=13)
    e = additive_score(s, h, W_q, W_k, w_a)
    W = torch.cat([W_k, W_q], dim=1)  # [W_k W_q]
    for t in range(3):
        for i in range(5):
            expected = w_a @ torch.tanh(W @ torch.cat([h[i], s[t]]))
            torch.testing.assert_close(e[t, i], expected, **TOL)


def test_score_modules_wrap_the_functions():
    torch.manual_seed(0)
    s, h = randn(2, 3, 4, seed=14), randn(2, 6, 4, seed=15)
    bil, add = BilinearScore(4, 4, 5).double(), AdditiveScore(4, 4, 5).double()
    torch.testing.assert_close(DotScore()(s, h), dot_score(s, h), **TOL)
    torch.testing.assert_close(bil(s, h), bilinear_score(s, h, bil.W_q.weight, bil.W_k.weight),
                               **TOL)  # fmt: skip
    expected = additive_score(s, h, add.W_q.weight, add.W_k.weight, add.w_a.weight[0])
    torch.testing.assert_close(add(s, h), expected, **TOL)
    assert sum(p.numel() for p in add.parameters()) == 5 * 4 + 5 * 4 + 5


def test_masked_softmax_sums_to_one_and_is_zero_where_masked():
    scores = randn(4, 3, 6, seed=16, scale=3.0)
    mask = torch.rand(4, 3, 6, generator=torch.Generator().manual_seed(0)) > 0.4
    mask[..., 0] = True  # every row keeps a key
    a = masked_softmax(scores, mask)
    torch.testing.assert_close(a.sum(-1), torch.ones(4, 3, dtype=F64), **TOL)
    assert (a[~mask] == 0).all()
    # the kept keys get softmax over the kept keys only
    row = scores[1, 2][mask[1, 2]]
    torch.testing.assert_close(a[1, 2][mask[1, 2]], torch.softmax(row, 0), **TOL)


def test_a_fully_masked_row_gives_zero_weights_and_finite_gradients():
    scores = randn(2, 4, seed=17, requires_grad=True)
    mask = torch.tensor([[True, False, True, False], [False] * 4])
    a = masked_softmax(scores, mask)
    assert (a[1] == 0).all() and torch.isclose(a[0].sum(), torch.tensor(1.0, dtype=F64))
    (grad,) = torch.autograd.grad((a * randn(2, 4, seed=18)).sum(), scores)
    assert torch.isfinite(grad).all() and (grad[1] == 0).all()
    # the hand-written version, softmax over −∞ everywhere, is NaN: the behaviour we define away
    naive = torch.softmax(scores.detach().masked_fill(~mask, -math.inf), dim=-1)
    assert torch.isnan(naive[1]).all()


@given(shift=st.floats(-50, 50), seed=st.integers(0, 100))
@settings(max_examples=25, deadline=None)
def test_masked_softmax_ignores_a_constant_added_to_a_row(shift, seed):
    scores = randn(3, 5, seed=seed)
    mask = torch.tensor([[True] * 5, [True, False, True, True, False], [False, True] + [False] * 3])
    torch.testing.assert_close(masked_softmax(scores + shift, mask), masked_softmax(scores, mask),
                               rtol=1e-10, atol=1e-12)  # fmt: skip


def test_huge_scores_do_not_overflow():
    scores = torch.tensor([[1000.0, 999.0, -1000.0]], dtype=F64)
    context, a = attend(scores, torch.eye(3, dtype=F64))
    torch.testing.assert_close(a, torch.softmax(scores, -1), **TOL)
    assert torch.isfinite(context).all()


def test_attend_returns_the_weighted_average_of_the_values_and_passes_gradcheck():
    scores, values = randn(2, 3, 4, seed=19, requires_grad=True), randn(2, 4, 5, seed=20,
                                                                          requires_grad=True)
    context, _ = attend(scores, values)
    torch.testing.assert_close(context, torch.softmax(scores, -1) @ values, **TOL)
    torch.autograd.gradcheck(lambda e, v: attend(e, v)[0], (scores, values))
    with pytest.raises(ValueError, match="agree on S"):
        attend(scores, randn(2, 5, 5))


SHAPES = [((2, 3, 5), (2, 7, 5), (2, 7, 4)),  # (B, T, d), (B, S, d), (B, S, d_v)
          ((2, 2, 6, 4), (2, 2, 6, 4), (2, 2, 6, 3)),  # with a head axis, T = S
          ((1, 1, 4), (1, 9, 4), (1, 9, 2))]  # batch of one, one query  # fmt: skip


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("masking", ["none", "bool", "float", "causal", "scale"])
def test_sdpa_equals_torch_values_and_gradients(shapes, masking):
    (qs, ks, vs), T, S = shapes, shapes[0][-2], shapes[1][-2]
    q, k, v = (randn(*s, seed=21 + j, requires_grad=True) for j, s in enumerate((qs, ks, vs)))
    kwargs = {}
    if masking == "bool":
        mask = torch.rand(T, S, generator=torch.Generator().manual_seed(1)) > 0.3
        mask[:, 0] = True
        kwargs["attn_mask"] = mask
    elif masking == "float":
        kwargs["attn_mask"] = randn(T, S, seed=30)
    elif masking == "causal":
        kwargs["is_causal"] = True
    elif masking == "scale":
        kwargs["scale"] = 0.37
    ours, theirs = scaled_dot_product_attention(q, k, v, **kwargs), sdpa_torch(q, k, v, **kwargs)
    torch.testing.assert_close(ours, theirs, **TOL)
    probe = randn(*ours.shape, seed=31)
    g_ours = torch.autograd.grad((ours * probe).sum(), (q, k, v))
    g_theirs = torch.autograd.grad((theirs * probe).sum(), (q, k, v))
    for a, b in zip(g_ours, g_theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_sdpa_causal_mask_is_aligned_top_left_when_t_differs_from_s():
    q, k, v = randn(1, 3, 4, seed=32), randn(1, 5, 4, seed=33), randn(1, 5, 2, seed=34)
    expected = sdpa_torch(q, k, v, is_causal=True)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(3, 5)),
                               expected, **TOL)  # fmt: skip
    torch.testing.assert_close(causal_mask(3, 5), torch.ones(3, 5, dtype=torch.bool).tril())


def test_sdpa_weights_sum_to_one_and_are_zero_where_masked():
    q, k, v = randn(2, 4, 3, seed=35), randn(2, 6, 3, seed=36), randn(2, 6, 3, seed=37)
    mask = padding_mask(torch.tensor([6, 2]))  # (2, 1, 6): the second batch row has 2 keys
    out, a = scaled_dot_product_attention(q, k, v, mask, need_weights=True)
    assert a.shape == (2, 4, 6)
    torch.testing.assert_close(a.sum(-1), torch.ones(2, 4, dtype=F64), **TOL)
    assert (a[1, :, 2:] == 0).all()
    torch.testing.assert_close(out, sdpa_torch(q, k, v, attn_mask=mask), **TOL)
    # without its padded keys, the second row is attention over the first two keys only
    torch.testing.assert_close(out[1], sdpa_torch(q[1], k[1, :2], v[1, :2]), **TOL)


def test_sdpa_fully_masked_query_gives_zero_as_torch():
    q, k, v = randn(1, 3, 4, seed=38), randn(1, 5, 4, seed=39), randn(1, 5, 2, seed=40)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[1] = False
    ours, theirs = scaled_dot_product_attention(q, k, v, mask), sdpa_torch(q, k, v, attn_mask=mask)
    torch.testing.assert_close(ours, theirs, **TOL)
    assert (ours[0, 1] == 0).all()
    additive = torch.zeros(3, 5, dtype=F64).masked_fill(~mask, -math.inf)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, additive), theirs, **TOL)


def test_sdpa_dropout_zeroes_weights_and_rescales_the_rest():
    q, k, v = randn(2, 8, 4, seed=41), randn(2, 8, 4, seed=42), randn(2, 8, 3, seed=43)
    _, a = scaled_dot_product_attention(q, k, v, need_weights=True)
    torch.manual_seed(0)
    out, dropped = scaled_dot_product_attention(q, k, v, dropout_p=0.25, need_weights=True)
    kept = dropped != 0
    assert 0 < kept.float().mean() < 1
    torch.testing.assert_close(dropped[kept], a[kept] / 0.75, **TOL)
    torch.testing.assert_close(out, dropped @ v, **TOL)


def test_sdpa_non_contiguous_inputs():
    q = randn(4, 3, 2, seed=44).transpose(0, 2)  # (2, 3, 4), not contiguous
    k = randn(4, 5, 2, seed=45).transpose(0, 2)
    v = randn(2, 5, 3, seed=46)
    assert not q.is_contiguous()
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v), sdpa_torch(q, k, v), **TOL)


def test_sdpa_errors_name_the_argument():
    q = randn(1, 2, 3)
    with pytest.raises(ValueError, match="not both"):
        scaled_dot_product_attention(q, q, q, attn_mask=causal_mask(2), is_causal=True)
    with pytest.raises(ValueError, match="dropout_p"):
        scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    with pytest.raises(TypeError, match="query"):
        scaled_dot_product_attention([[1.0]], q, q)
    with pytest.raises(ValueError, match="query and key"):
        scaled_dot_product_attention(torch.ones(3), q, q)
    with pytest.raises(TypeError, match="mask must be boolean"):
        masked_softmax(q, torch.ones(1, 2, 3))
    with pytest.raises(ValueError, match="lengths"):
        padding_mask(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="T"):
        causal_mask(0)


def test_split_and_merge_heads_are_inverse_with_the_expected_layout():
    x = randn(2, 5, 12, seed=47)
    heads = split_heads(x, 3)  # (B, h, T, d)
    assert heads.shape == (2, 3, 5, 4)
    torch.testing.assert_close(heads, x.view(2, 5, 3, 4).permute(0, 2, 1, 3), **TOL)
    torch.testing.assert_close(heads[1, 2, 4], x[1, 4, 8:12], **TOL)  # head 2 = features 8..11
    torch.testing.assert_close(merge_heads(heads), x, **TOL)
    # the classic mistake, a reshape without the transpose, mixes positions into heads
    assert not torch.equal(x.reshape(2, 3, 5, 4), heads)


def test_split_heads_errors():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        split_heads(randn(1, 2, 10), 3)
    with pytest.raises(ValueError, match="num_heads"):
        split_heads(randn(1, 2, 10), 0)
    with pytest.raises(ValueError, match=r"\(B, h, T, d\)"):
        merge_heads(randn(2, 3, 4))


def test_padding_mask_broadcasts_over_queries():
    m = padding_mask(torch.tensor([1, 3]), max_len=4)
    assert m.shape == (2, 1, 4)
    assert m[:, 0].tolist() == [[True, False, False, False], [True, True, True, False]]
