"""Tests for course_lib.transformer: multi-head attention and an encoder block equal PyTorch's.

- Given the same state dict (the packed ``in_proj_weight`` (3D, D) stacking W^Q, W^K, W^V,
  ``in_proj_bias``, ``out_proj``), does ``MultiHeadAttention`` equal
  ``torch.nn.MultiheadAttention`` in outputs, attention weights (averaged and per head) and
  gradients, in float64: self- and cross-attention, ``batch_first`` or not, a key padding
  mask, boolean and float attention masks (True means *blocked* there), ``is_causal``,
  no biases?
- What does a query whose keys are all masked give (0 here, NaN in PyTorch's module)?
- Does ``TransformerEncoderBlock`` equal ``nn.TransformerEncoderLayer``, post- and pre-norm?
- Is self-attention permutation-equivariant, and do sinusoidal positions break that?
- Does the memory that attention keeps for the backward pass grow as T²?
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from helpers import TOL, randn
from torch import nn

from course_lib.attention import scaled_dot_product_attention
from course_lib.transformer import (
    MultiHeadAttention,
    TransformerEncoderBlock,
    measure_cost,
    positional_encoding,
)

pytestmark = pytest.mark.ch10

F64 = torch.float64
GRAD_TOL = {"rtol": 1e-10, "atol": 1e-10}


def pair(embed_dim=8, num_heads=2, batch_first=True, bias=True, seed=0):
    """An nn.MultiheadAttention and ours with the same weights, in float64."""
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(embed_dim, num_heads, bias=bias,
                                   batch_first=batch_first).double()  # fmt: skip
    if bias:  # PyTorch starts the biases at 0: make them matter
        with torch.no_grad():
            theirs.in_proj_bias.normal_()
            theirs.out_proj.bias.normal_()
    ours = MultiHeadAttention(embed_dim, num_heads, bias=bias, batch_first=batch_first).double()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def inputs(batch_first, B=3, T=4, S=6, D=8, seed=1):
    shape_q, shape_k = ((B, T, D), (B, S, D)) if batch_first else ((T, B, D), (S, B, D))
    q = randn(*shape_q, seed=seed, requires_grad=True)
    k = randn(*shape_k, seed=seed + 1, requires_grad=True)
    v = randn(*shape_k, seed=seed + 2, requires_grad=True)
    return q, k, v


def assert_same(ours, theirs, args, kwargs):
    out_a, w_a = ours(*args, **kwargs)
    out_b, w_b = theirs(*args, **kwargs)
    torch.testing.assert_close(out_a, out_b, **TOL)
    if w_b is None:
        assert w_a is None
    else:
        torch.testing.assert_close(w_a, w_b, **TOL)
    probe = randn(*out_b.shape, seed=50)
    leaves = [*args, *ours.parameters()]
    theirs_leaves = [*args, *theirs.parameters()]
    g_a = torch.autograd.grad((out_a * probe).sum(), leaves)
    g_b = torch.autograd.grad((out_b * probe).sum(), theirs_leaves)
    for a, b in zip(g_a, g_b, strict=True):
        torch.testing.assert_close(a, b, **GRAD_TOL)


def test_parameters_have_pytorch_names_and_shapes():
    ours, theirs = pair(12, 3)
    assert {n: tuple(p.shape) for n, p in ours.named_parameters()} == {
        n: tuple(p.shape) for n, p in theirs.named_parameters()
    }
    assert ours.in_proj_weight.shape == (36, 12)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("attention", ["self", "cross"])
@pytest.mark.parametrize("average", [True, False])
def test_mha_equals_torch(batch_first, attention, average):
    ours, theirs = pair(batch_first=batch_first)
    q, k, v = inputs(batch_first)
    args = (q, q, q) if attention == "self" else (q, k, v)
    assert_same(ours, theirs, args, {"average_attn_weights": average})


@pytest.mark.parametrize("batch_first", [True, False])
def test_mha_key_padding_mask_true_means_blocked(batch_first):
    ours, theirs = pair(batch_first=batch_first)
    q, k, v = inputs(batch_first)
    padding = torch.zeros(3, 6, dtype=torch.bool)
    padding[1, 4:] = True  # the second sequence has 4 keys
    padding[2, 1:] = True  # the third has 1
    assert_same(ours, theirs, (q, k, v), {"key_padding_mask": padding})
    _, w = ours(q, k, v, key_padding_mask=padding)
    assert (w[1, :, 4:] == 0).all() and (w[2, :, 1:] == 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 4, dtype=F64), **TOL)


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("kind", ["bool", "float", "per_head", "causal", "float_and_padding"])
def test_mha_attention_masks(kind):
    ours, theirs = pair(num_heads=2)
    q, _, _ = inputs(True, T=5)
    kwargs = {"average_attn_weights": False}
    causal = ~torch.ones(5, 5, dtype=torch.bool).tril()  # True above the diagonal: blocked
    if kind == "bool":
        kwargs["attn_mask"] = causal
    elif kind == "float":
        kwargs["attn_mask"] = randn(5, 5, seed=3)
    elif kind == "per_head":  # (B·h, T, S)
        mask = torch.rand(6, 5, 5, generator=torch.Generator().manual_seed(2)) > 0.6
        mask[..., 0] = False
        kwargs["attn_mask"] = mask
    elif kind == "causal":
        kwargs.update(attn_mask=causal, is_causal=True)
    else:
        padding = torch.zeros(3, 5, dtype=torch.bool)
        padding[0, 3:] = True
        kwargs.update(attn_mask=randn(5, 5, seed=4), key_padding_mask=padding)
    assert_same(ours, theirs, (q, q, q), kwargs)


def test_mha_is_causal_without_a_mask_applies_the_causal_mask():
    ours, theirs = pair()
    x, _, _ = inputs(True, T=5)
    causal = ~torch.ones(5, 5, dtype=torch.bool).tril()
    out, w = ours(x, x, x, is_causal=True)
    out_ref, _ = theirs(x, x, x, attn_mask=causal, is_causal=True)
    torch.testing.assert_close(out, out_ref, **TOL)
    assert (w.triu(1) == 0).all()


def test_mha_without_biases_and_need_weights_false():
    ours, theirs = pair(bias=False)
    q, k, v = inputs(True)
    assert ours.in_proj_bias is None and ours.out_proj.bias is None
    assert_same(ours, theirs, (q, k, v), {"need_weights": False})


def test_mha_fully_masked_query_gives_the_output_bias_where_torch_gives_nan():
    ours, theirs = pair()
    q, k, v = inputs(True, B=1, T=2, S=3)
    padding = torch.ones(1, 3, dtype=torch.bool)  # every key blocked
    out, w = ours(q, k, v, key_padding_mask=padding)
    torch.testing.assert_close(out, ours.out_proj.bias.expand_as(out), **TOL)
    assert (w == 0).all()
    assert torch.isnan(theirs(q, k, v, key_padding_mask=padding)[0]).all()


def test_mha_is_heads_of_scaled_dot_product_attention_mixed_by_out_proj():
    """The formula of the module docstring, head by head, with PyTorch's layout."""
    ours, _ = pair(embed_dim=6, num_heads=3)
    x = randn(2, 4, 6, seed=5)
    W_q, W_k, W_v = ours.in_proj_weight.chunk(3)
    b_q, b_k, b_v = ours.in_proj_bias.chunk(3)
    heads = []
    for j in range(3):
        cols = slice(2 * j, 2 * j + 2)
        Q, K, V = ((x @ W.T + b)[..., cols] for W, b in ((W_q, b_q), (W_k, b_k), (W_v, b_v)))
        heads.append(scaled_dot_product_attention(Q, K, V))
    expected = ours.out_proj(torch.cat(heads, dim=-1))
    torch.testing.assert_close(ours(x, x, x)[0], expected, **TOL)


def test_mha_dropout_only_in_training_mode():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2, dropout=0.5, batch_first=True).double()
    x = randn(2, 5, 8, seed=6)
    mha.eval()
    first, second = mha(x, x, x)[0], mha(x, x, x)[0]
    torch.testing.assert_close(first, second, **TOL)
    mha.train()
    assert not torch.allclose(mha(x, x, x)[0], first)


def test_mha_errors_name_the_argument():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
    mha = MultiHeadAttention(8, 2, batch_first=True)
    with pytest.raises(ValueError, match="query must be 3-D"):
        mha(torch.ones(4, 8), torch.ones(4, 8), torch.ones(4, 8))
    with pytest.raises(ValueError, match="key_padding_mask"):
        x = torch.ones(2, 3, 8)
        mha(x, x, x, key_padding_mask=torch.zeros(3, 2, dtype=torch.bool))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_equals_torch_encoder_layer(norm_first):
    torch.manual_seed(0)
    theirs = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True,
                                        norm_first=norm_first).double()  # fmt: skip
    ours = TransformerEncoderBlock(8, 2, dim_feedforward=16, norm_first=norm_first).double()
    ours.load_state_dict(theirs.state_dict())
    x = randn(3, 5, 8, seed=7, requires_grad=True)
    padding = torch.zeros(3, 5, dtype=torch.bool)
    padding[1, 3:] = True
    causal = ~torch.ones(5, 5, dtype=torch.bool).tril()
    for kwargs in ({}, {"src_key_padding_mask": padding}, {"src_mask": causal}):
        out, ref = ours(x, **kwargs), theirs(x, **kwargs)  # training mode: no fused fast path
        torch.testing.assert_close(out, ref, **TOL)
        (g,), (g_ref,) = (torch.autograd.grad(o.sum(), x) for o in (out, ref))
        torch.testing.assert_close(g, g_ref, **GRAD_TOL)


def test_self_attention_is_permutation_equivariant_until_positions_are_added():
    torch.manual_seed(0)
    block = TransformerEncoderBlock(8, 2, dim_feedforward=16).double()
    x = randn(1, 6, 8, seed=8)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    torch.testing.assert_close(block(x[:, perm]), block(x)[:, perm], **TOL)
    pe = positional_encoding(6, 8).double()
    assert not torch.allclose(block(x[:, perm] + pe), block(x + pe)[:, perm], atol=1e-3)


def test_positional_encoding_formula():
    pe = positional_encoding(50, 6)
    t, i = 37, 2
    torch.testing.assert_close(pe[t, 2 * i], torch.tensor(math.sin(t / 10_000 ** (2 * i / 6))))
    torch.testing.assert_close(pe[t, 2 * i + 1], torch.tensor(math.cos(t / 10_000 ** (2 * i / 6))))
    with pytest.raises(ValueError, match="even"):
        positional_encoding(3, 5)


def test_measure_cost_sees_the_quadratic_memory_of_attention():
    def attention(x):
        return scaled_dot_product_attention(x, x, x)

    saved = []
    for T in (128, 256, 512):
        x = torch.randn(1, T, 16, requires_grad=True)
        seconds, bytes_ = measure_cost(attention, x, repeats=1)
        assert seconds > 0
        saved.append(bytes_)
    ratios = [b / a for a, b in itertools.pairwise(saved)]
    assert all(3.5 < r < 4.1 for r in ratios), ratios  # T² weights dominate: ×4 per doubling
    assert saved[-1] >= 512 * 512 * 4  # at least the (T, T) weights, float32
