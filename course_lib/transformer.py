"""Chapter 10 multi-head attention, a Transformer encoder block, and the cost of attention.

Multi-head attention (Vaswani et al. 2017) projects the queries, keys and values h times
with different matrices, attends in each of the h subspaces of size d = D / h, and mixes
the heads' outputs with one more matrix:

    head_j = softmax(Q W_j^Q (K W_j^K)ᵀ / √d) V W_j^V,   MHA(Q, K, V) = [head_1 … head_h] W^O

``MultiHeadAttention`` keeps ``torch.nn.MultiheadAttention``'s parameters (a packed
``in_proj_weight`` (3D, D) that stacks W^Q, W^K, W^V, ``in_proj_bias``, ``out_proj``) and
its mask conventions (True in a boolean mask means *blocked*), so that the same state dict
loads in both. One difference is defined on purpose: a query whose keys are all masked
gets output 0 here (the bias of ``out_proj``, after the projection) where PyTorch's module
returns NaN. ``TransformerEncoderBlock`` has the parameter names of
``torch.nn.TransformerEncoderLayer``.

See the book: 10_attention.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch import Tensor, nn

from course_lib.attention import merge_heads, scaled_dot_product_attention, split_heads
from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    "MultiHeadAttention",
    "TransformerEncoderBlock",
    "measure_cost",
    "positional_encoding",
]


def _allowed(mask: Tensor | None, name: str) -> Tensor | None:
    """nn.MultiheadAttention's convention (bool True: blocked; float: added) → sdpa's."""
    if mask is None:
        return None
    check_tensor(mask, name)
    if mask.dtype == torch.bool:
        return ~mask
    return mask


def _additive(mask: Tensor) -> Tensor:
    """An allowed-mask as 0 / −∞ to add to the scores (a float mask as it is)."""
    if mask.dtype != torch.bool:
        return mask
    return torch.zeros_like(mask, dtype=torch.float64).masked_fill(~mask, -math.inf)


class MultiHeadAttention(nn.Module):
    """Multi-head attention equal to ``torch.nn.MultiheadAttention`` given the same weights.

    Parameters
    ----------
    embed_dim : D, the size of queries, keys and values
    num_heads : h; D must be divisible by h (each head has d = D / h)
    dropout : dropout on the attention weights in training mode (default 0)
    bias : biases in the input and output projections
    batch_first : inputs (B, T, D) instead of (T, B, D)

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``:
    output like query; weights (B, T, S) averaged over the heads, (B, h, T, S) per head,
    or None. ``key_padding_mask`` (B, S) and a boolean ``attn_mask`` (T, S) or (B·h, T, S)
    are True where a key is blocked; a float ``attn_mask`` is added to the scores.
    ``is_causal`` without a mask applies the causal mask.

    >>> _ = torch.manual_seed(0)
    >>> theirs = nn.MultiheadAttention(8, 2, batch_first=True)
    >>> ours = MultiHeadAttention(8, 2, batch_first=True)
    >>> _ = ours.load_state_dict(theirs.state_dict())
    >>> x = torch.randn(3, 5, 8)
    >>> torch.allclose(ours(x, x, x)[0], theirs(x, x, x)[0], atol=1e-6)
    True

    See the book: 10_attention.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False):  # fmt: skip
        super().__init__()
        check_int(embed_dim, "embed_dim", 1)
        check_int(num_heads, "num_heads", 1)
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads, got {embed_dim} and "
                             f"{num_heads}")  # fmt: skip
        self.embed_dim, self.num_heads, self.batch_first = embed_dim, num_heads, batch_first
        self.dropout = check_real(dropout, "dropout", low=0, high=1, high_open=True)
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)  # as nn.MultiheadAttention
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def _mask(self, attn_mask, key_padding_mask, is_causal, B, T, S, device) -> Tensor | None:
        """One mask in sdpa's convention, broadcastable to (B, h, T, S)."""
        if is_causal and attn_mask is None:
            attn_mask = ~torch.ones(T, S, dtype=torch.bool, device=device).tril()
        mask = _allowed(attn_mask, "attn_mask")
        if mask is not None and mask.ndim == 3:  # (B·h, T, S), PyTorch's layout
            mask = mask.reshape(B, self.num_heads, T, S)
        padding = _allowed(key_padding_mask, "key_padding_mask")
        if padding is None:
            return mask
        if padding.shape != (B, S):
            raise ValueError(f"key_padding_mask must be (B, S) = {(B, S)}, got "
                             f"{tuple(padding.shape)}")  # fmt: skip
        padding = padding[:, None, None, :]  # (B, 1, 1, S)
        if mask is None:
            return padding
        if mask.dtype == torch.bool and padding.dtype == torch.bool:
            return mask & padding
        return _additive(mask) + _additive(padding)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:  # fmt: skip
        for name, x in (("query", query), ("key", key), ("value", value)):
            if check_tensor(x, name).ndim != 3 or x.shape[-1] != self.embed_dim:
                raise ValueError(f"{name} must be 3-D with last size embed_dim = "
                                 f"{self.embed_dim}, got shape {tuple(x.shape)}")  # fmt: skip
        if not self.batch_first:  # (T, B, D) → (B, T, D)
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        B, T, _ = query.shape
        S = key.shape[1]
        W_q, W_k, W_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = (self.in_proj_bias.chunk(3) if self.in_proj_bias is not None
                         else (None, None, None))  # fmt: skip
        h = self.num_heads
        Q = split_heads(nn.functional.linear(query, W_q, b_q), h)  # (B, h, T, d)
        K = split_heads(nn.functional.linear(key, W_k, b_k), h)  # (B, h, S, d)
        V = split_heads(nn.functional.linear(value, W_v, b_v), h)  # (B, h, S, d)
        mask = self._mask(attn_mask, key_padding_mask, is_causal, B, T, S, query.device)
        if mask is not None and mask.is_floating_point():
            mask = mask.to(Q.dtype)
        p = self.dropout if self.training else 0.0
        heads, weights = scaled_dot_product_attention(Q, K, V, mask, dropout_p=p,
                                                      need_weights=True)  # fmt: skip
        output = self.out_proj(merge_heads(heads))  # (B, T, D)
        if not self.batch_first:
            output = output.transpose(0, 1)
        if not need_weights:
            return output, None
        return output, weights.mean(dim=1) if average_attn_weights else weights


class TransformerEncoderBlock(nn.Module):
    """Self-attention and a feed-forward network, each with a residual and a LayerNorm.

    Post-norm (the original Transformer): x ← LN(x + MHA(x, x, x)), x ← LN(x + FFN(x)),
    FFN(x) = W_2 ReLU(W_1 x + b_1) + b_2; ``norm_first`` puts each LayerNorm before its
    sub-layer instead. Parameter names and inputs (batch first) as
    ``nn.TransformerEncoderLayer(..., batch_first=True)``; ``src_key_padding_mask`` (B, S)
    is True at padding. See the book: 10_attention.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.0, norm_first: bool = False):  # fmt: skip
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def _attention(self, x: Tensor, mask, padding, is_causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, key_padding_mask=padding, attn_mask=mask,
                                need_weights=False, is_causal=is_causal)  # fmt: skip
        return self.dropout(out)

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.linear2(self.dropout(torch.relu(self.linear1(x)))))

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False
                ) -> Tensor:  # fmt: skip
        x = src  # (B, T, D)
        if self.norm_first:
            x = x + self._attention(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._attention(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward(x))


def positional_encoding(T: int, d_model: int, *, base: float = 10_000.0) -> Tensor:
    """The sinusoidal positions of Vaswani et al.: PE[t, 2i] = sin(t / base^{2i/d}), cos at 2i+1.

    Self-attention is permutation-equivariant: without positions added to its inputs it
    cannot tell "22/11" from "11/22". Shape: (T, d_model), d_model even.

    >>> positional_encoding(2, 4)
    tensor([[0.0000, 1.0000, 0.0000, 1.0000],
            [0.8415, 0.5403, 0.0100, 0.9999]])

    See the book: 10_attention.
    """
    check_int(T, "T", 1)
    check_int(d_model, "d_model", 2)
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}")
    t = torch.arange(T, dtype=torch.float64)[:, None]
    freq = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
    return pe.float()


def measure_cost(fn: Callable[..., Tensor], *inputs: Tensor, repeats: int = 3
                 ) -> tuple[float, int]:  # fmt: skip
    """Seconds of one forward and backward pass of ``fn(*inputs)``, and the bytes it keeps.

    The time is the best of ``repeats`` runs (synchronized on a GPU). The memory is what
    autograd saves for the backward pass (the storage of every tensor the graph keeps,
    counted once however many views of it are saved): for attention it is dominated by
    the (T, S) weights, the activation memory that training has to hold. Inputs that need
    gradients must have ``requires_grad=True``.

    >>> q = torch.randn(1, 64, 8, requires_grad=True)
    >>> seconds, saved = measure_cost(lambda x: torch.softmax(x @ x.transpose(1, 2), -1), q)
    >>> saved >= 64 * 64 * 4   # the 64 × 64 weights, in float32
    True

    See the book: 10_attention.
    """
    check_int(repeats, "repeats", 1)
    seen: dict[int, int] = {}  # storage address -> its size in bytes

    def pack(t: Tensor) -> Tensor:
        storage = t.untyped_storage()  # views of one tensor share it: counted once
        seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(*inputs)
    saved = sum(seen.values())
    out.sum().backward()
    best = math.inf
    for _ in range(repeats):
        _sync(out.device)
        start = time.perf_counter()
        out = fn(*inputs)
        out.sum().backward()
        _sync(out.device)
        best = min(best, time.perf_counter() - start)
    return best, saved


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
