"""Chapter 10 attention: scores, the attention distribution and the context vector.

A query y (the decoder's state s_t) is compared with every key x_i (the encoder's states
h_i); the scores become a distribution by a softmax, and the context is the average of the
values weighted by it (Bahdanau et al. 2015; Luong et al. 2015; Vaswani et al. 2017):

    e_i = α(x_i, y),   a = softmax(e),   c = Σ_i a_i v_i

    dot         α(x, y) = xᵀ y
    bilinear    α(x, y) = (W_k x)ᵀ (W_q y) = xᵀ W_kᵀ W_q y        W_k (d_a, d_x), W_q (d_a, d_y)
    additive    α(x, y) = w_aᵀ tanh(W_k x + W_q y)                 w_a (d_a,)
    scaled dot  softmax(Q Kᵀ / √d) V, with a mask, in matrix form

Masks follow ``torch.nn.functional.scaled_dot_product_attention``: a boolean mask is True
where a query may attend to a key; a float mask is added to the scores. A row whose keys
are all masked gets weights 0 and context 0, as PyTorch's fused kernel gives (a hand-written
softmax over −∞ would give NaN). Multi-head attention lives in ``course_lib.transformer``.

See the book: 10_attention.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    "AdditiveScore",
    "BilinearScore",
    "DotScore",
    "additive_score",
    "attend",
    "bilinear_score",
    "causal_mask",
    "dot_score",
    "masked_softmax",
    "merge_heads",
    "padding_mask",
    "scaled_dot_product_attention",
    "split_heads",
]


def _check_pair(query: Tensor, key: Tensor) -> None:
    check_tensor(query, "query"), check_tensor(key, "key")
    if query.ndim < 2 or key.ndim < 2:
        raise ValueError(f"query and key must be (..., T, d) and (..., S, d), got shapes "
                         f"{tuple(query.shape)} and {tuple(key.shape)}")  # fmt: skip


def dot_score(query: Tensor, key: Tensor) -> Tensor:
    """Dot-product scores e_{t,i} = s_tᵀ h_i of every query with every key.

    Shape: query (..., T, d), key (..., S, d) → (..., T, S).

    >>> dot_score(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    tensor([[1., 2.]])

    See the book: 10_attention.
    """
    _check_pair(query, key)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"dot scores need queries and keys of one size d, got query "
                         f"{tuple(query.shape)} and key {tuple(key.shape)}; use bilinear_score")
    return query @ key.transpose(-2, -1)


def bilinear_score(query: Tensor, key: Tensor, W_q: Tensor, W_k: Tensor) -> Tensor:
    """Bilinear scores e_{t,i} = (W_k h_i)ᵀ (W_q s_t) = h_iᵀ W_kᵀ W_q s_t.

    The projections map queries of size d_y and keys of size d_x to a common size d_a.

    Shape: query (..., T, d_y), key (..., S, d_x), W_q (d_a, d_y), W_k (d_a, d_x) → (..., T, S).

    >>> bilinear_score(torch.ones(1, 3), torch.ones(2, 2), torch.ones(1, 3), torch.ones(1, 2))
    tensor([[6., 6.]])

    See the book: 10_attention.
    """
    _check_pair(query, key)
    if W_q.shape[0] != W_k.shape[0]:
        raise ValueError(f"W_q and W_k must map to one size d_a, got {tuple(W_q.shape)} and "
                         f"{tuple(W_k.shape)}")  # fmt: skip
    return (query @ W_q.T) @ (key @ W_k.T).transpose(-2, -1)


def additive_score(query: Tensor, key: Tensor, W_q: Tensor, W_k: Tensor, w_a: Tensor) -> Tensor:
    """Additive (Bahdanau, "concat") scores e_{t,i} = w_aᵀ tanh(W_k h_i + W_q s_t).

    A one-layer network without bias on the pair (h_i, s_t), equal to
    w_aᵀ tanh([W_k W_q] [h_i; s_t]).

    Shape: query (..., T, d_y), key (..., S, d_x), W_q (d_a, d_y), W_k (d_a, d_x), w_a (d_a,)
    → (..., T, S).

    >>> additive_score(torch.zeros(1, 2), torch.zeros(3, 2), torch.eye(2), torch.eye(2),
    ...                torch.ones(2))
    tensor([[0., 0., 0.]])

    See the book: 10_attention.
    """
    _check_pair(query, key)
    q = (query @ W_q.T).unsqueeze(-2)  # (..., T, 1, d_a)
    k = (key @ W_k.T).unsqueeze(-3)  # (..., 1, S, d_a)
    return torch.tanh(q + k) @ w_a  # (..., T, S)


def masked_softmax(scores: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax over the last axis (the keys), with masked keys at weight 0.

    ``mask`` is boolean, True where a key takes part, broadcastable to ``scores``. A row
    with no key left gets all-zero weights (not NaN), as in
    ``F.scaled_dot_product_attention``; its gradient is zero too.

    >>> masked_softmax(torch.zeros(2, 3), torch.tensor([[True, True, False], [False] * 3]))
    tensor([[0.5000, 0.5000, 0.0000],
            [0.0000, 0.0000, 0.0000]])

    See the book: 10_attention.
    """
    check_tensor(scores, "scores")
    if mask is None:
        return torch.softmax(scores, dim=-1)
    if check_tensor(mask, "mask").dtype != torch.bool:
        raise TypeError(f"mask must be boolean (True: the key takes part), got {mask.dtype}")
    mask = mask.expand_as(scores)
    alive = mask.any(dim=-1, keepdim=True)
    # a row without any key: softmax over zeros (no NaN anywhere), then weight 0
    scores = scores.masked_fill(~mask, -math.inf).masked_fill(~alive, 0.0)
    return torch.where(alive, torch.softmax(scores, dim=-1), 0.0)


def attend(scores: Tensor, value: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """The attention distribution a = softmax(e) and the context c = Σ_i a_i v_i.

    Shape: scores (..., T, S), value (..., S, d_v), mask broadcastable to scores →
    (context (..., T, d_v), weights (..., T, S)).

    >>> c, a = attend(torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 3.0]]))
    >>> a.tolist(), c.tolist()
    ([[0.5, 0.5]], [[0.5, 1.5]])

    See the book: 10_attention.
    """
    check_tensor(value, "value")
    if scores.shape[-1] != value.shape[-2]:
        raise ValueError(f"scores (..., T, S) and value (..., S, d_v) must agree on S, got "
                         f"{tuple(scores.shape)} and {tuple(value.shape)}")  # fmt: skip
    weights = masked_softmax(scores, mask)
    return weights @ value, weights


def causal_mask(T: int, S: int | None = None, *, device: torch.device | str | None = None
                ) -> Tensor:  # fmt: skip
    """The boolean mask of a causal (autoregressive) model: query t sees keys 0..t.

    Shape: (T, S), S = T by default; True on and below the diagonal, aligned to the top left
    as ``F.scaled_dot_product_attention(is_causal=True)``.

    >>> causal_mask(3).int()
    tensor([[1, 0, 0],
            [1, 1, 0],
            [1, 1, 1]], dtype=torch.int32)

    See the book: 10_attention.
    """
    check_int(T, "T", 1)
    S = check_int(S if S is not None else T, "S", 1)
    return torch.ones(T, S, dtype=torch.bool, device=device).tril()


def padding_mask(lengths: Tensor, max_len: int | None = None) -> Tensor:
    """The boolean key mask of a padded batch: True at the first ``lengths[b]`` positions.

    Shape: lengths (B,) → (B, 1, S): one row broadcast over every query.

    >>> padding_mask(torch.tensor([2, 3]))[:, 0].int()
    tensor([[1, 1, 0],
            [1, 1, 1]], dtype=torch.int32)

    See the book: 10_attention.
    """
    check_tensor(lengths, "lengths")
    if lengths.ndim != 1 or lengths.dtype.is_floating_point:
        raise ValueError(f"lengths must be a 1-D integer tensor, got {lengths.dtype} of shape "
                         f"{tuple(lengths.shape)}")  # fmt: skip
    S = check_int(max_len if max_len is not None else int(lengths.max()), "max_len", 1)
    return (torch.arange(S, device=lengths.device) < lengths[:, None])[:, None, :]


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    need_weights: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """softmax(Q Kᵀ / √d + M) V, as ``torch.nn.functional.scaled_dot_product_attention``.

    With d the size of the queries and keys, the scores q·k have variance d when their
    components are independent with variance 1; dividing by √d keeps it at 1, so that the
    softmax does not saturate as d grows (Vaswani et al. 2017).

    Parameters
    ----------
    query, key, value : (..., T, d), (..., S, d), (..., S, d_v)
    attn_mask : boolean (True: may attend) or float (added to the scores), broadcastable
        to (..., T, S). A query with no key allowed gets weights 0 and output 0.
    dropout_p : dropout on the weights (0 by default, as evaluation needs)
    is_causal : query t attends to keys 0..t only (no attn_mask then)
    scale : the factor of the scores, default 1/√d
    need_weights : also return the weights (..., T, S)

    >>> q = k = torch.eye(2)[None]
    >>> v = torch.tensor([[[1.0], [-1.0]]])
    >>> out = scaled_dot_product_attention(q, k, v)
    >>> torch.allclose(out, nn.functional.scaled_dot_product_attention(q, k, v))
    True

    See the book: 10_attention.
    """
    _check_pair(query, key)
    check_tensor(value, "value")
    check_real(dropout_p, "dropout_p", low=0, high=1, high_open=True)
    if is_causal and attn_mask is not None:
        raise ValueError("give attn_mask or is_causal=True, not both")
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else check_real(scale, "scale")
    scores = dot_score(query, key) * scale  # (..., T, S)
    mask = None
    if is_causal:
        mask = causal_mask(query.shape[-2], key.shape[-2], device=query.device)
    elif attn_mask is not None:
        if check_tensor(attn_mask, "attn_mask").dtype == torch.bool:
            mask = attn_mask
        else:  # added to the scores; a key at −∞ is masked (a row of −∞ gives 0, not NaN)
            scores = scores + attn_mask
            mask = ~torch.isneginf(scores)
    context, weights = attend(scores, value, mask)
    if dropout_p > 0:
        weights = nn.functional.dropout(weights, dropout_p)
        context = weights @ value
    return (context, weights) if need_weights else context


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, h·d) → (B, h, T, d): head j takes features j·d … (j + 1)·d − 1 of every position.

    >>> split_heads(torch.arange(8.0).reshape(1, 2, 4), 2)[0]
    tensor([[[0., 1.],
             [4., 5.]],
    <BLANKLINE>
            [[2., 3.],
             [6., 7.]]])

    See the book: 10_attention.
    """
    check_tensor(x, "x")
    check_int(num_heads, "num_heads", 1)
    if x.ndim != 3 or x.shape[-1] % num_heads:
        raise ValueError(f"x must be (B, T, h·d) with h·d divisible by num_heads = {num_heads}, "
                         f"got shape {tuple(x.shape)}")  # fmt: skip
    B, T, D = x.shape
    return x.reshape(B, T, num_heads, D // num_heads).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """(B, h, T, d) → (B, T, h·d), the inverse of :func:`split_heads`.

    >>> x = torch.randn(2, 3, 4)
    >>> torch.equal(merge_heads(split_heads(x, 2)), x)
    True

    See the book: 10_attention.
    """
    check_tensor(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must be (B, h, T, d), got shape {tuple(x.shape)}")
    B, h, T, d = x.shape
    return x.transpose(1, 2).reshape(B, T, h * d)


class DotScore(nn.Module):
    """e = s_tᵀ h_i as a module (no parameters). See the book: 10_attention."""

    def forward(self, query: Tensor, key: Tensor) -> Tensor:
        return dot_score(query, key)


class BilinearScore(nn.Module):
    """e = (W_k h_i)ᵀ (W_q s_t), with learned W_q (d_a, d_y), W_k (d_a, d_x). See 10_attention."""

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        self.W_q = nn.Linear(query_size, attention_size, bias=False)
        self.W_k = nn.Linear(key_size, attention_size, bias=False)

    def forward(self, query: Tensor, key: Tensor) -> Tensor:
        return bilinear_score(query, key, self.W_q.weight, self.W_k.weight)


class AdditiveScore(nn.Module):
    """e = w_aᵀ tanh(W_k h_i + W_q s_t), with learned W_q, W_k and w_a. See 10_attention."""

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        self.W_q = nn.Linear(query_size, attention_size, bias=False)
        self.W_k = nn.Linear(key_size, attention_size, bias=False)
        self.w_a = nn.Linear(attention_size, 1, bias=False)

    def forward(self, query: Tensor, key: Tensor) -> Tensor:
        return additive_score(query, key, self.W_q.weight, self.W_k.weight, self.w_a.weight[0])
