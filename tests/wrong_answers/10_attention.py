"""Wrong-but-plausible answers for 10_attention: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_attend_one:unstable_softmax": {
        "cell": "q1_attend_one",
        "tests": "q1_tests",
        "why": "exp(e) / sum(exp(e)) without subtracting the largest score: overflows to inf / inf = NaN for scores of several hundred",
        "source": '''def attend_one(q, K, V):
    """Dot-product attention of one query q (d,) over keys K (n, d) and values V (n, d_v)."""
    e = K @ q
    a = torch.exp(e) / torch.exp(e).sum()
    return a, a @ V
''',
    },
    "q1_attend_one:context_from_the_keys": {
        "cell": "q1_attend_one",
        "tests": "q1_tests",
        "why": "averages the keys instead of the values (the seq2seq of the chapter uses the same states for both, which hides the difference)",
        "source": '''def attend_one(q, K, V):
    """Dot-product attention of one query q (d,) over keys K (n, d) and values V (n, d_v)."""
    a = torch.softmax(K @ q, dim=0)
    return a, a @ K
''',
    },
    "q1_attend_one:scores_normalised_without_exp": {
        "cell": "q1_attend_one",
        "tests": "q1_tests",
        "why": "divides the scores by their sum instead of taking a softmax (negative or undefined weights)",
        "source": '''def attend_one(q, K, V):
    """Dot-product attention of one query q (d,) over keys K (n, d) and values V (n, d_v)."""
    e = K @ q
    a = e / e.sum()
    return a, a @ V
''',
    },
    "q2_masked_attention:no_sqrt_d_scaling": {
        "cell": "q2_masked_attention",
        "tests": "q2_tests",
        "why": "forgets to divide the scores by sqrt(d): the softmax is too sharp",
        "source": '''def masked_attention(Q, K, V, mask=None):
    """softmax(Q K^T / sqrt(d), masked) V; returns (output (..., T, d_v), weights (..., T, S))."""
    E = Q @ K.transpose(-2, -1)
    if mask is not None:
        E = E.masked_fill(~mask, float("-inf"))
    A = torch.softmax(E, dim=-1)
    return A @ V, A
''',
    },
    "q2_masked_attention:softmax_over_the_queries": {
        "cell": "q2_masked_attention",
        "tests": "q2_tests",
        "why": "takes the softmax over the wrong axis (dim=-2, the queries): columns sum to 1 instead of rows",
        "source": '''def masked_attention(Q, K, V, mask=None):
    """softmax(Q K^T / sqrt(d), masked) V; returns (output (..., T, d_v), weights (..., T, S))."""
    E = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])
    if mask is not None:
        E = E.masked_fill(~mask, float("-inf"))
    A = torch.softmax(E, dim=-2)
    return A @ V, A
''',
    },
    "q2_masked_attention:mask_after_the_softmax": {
        "cell": "q2_masked_attention",
        "tests": "q2_tests",
        "why": "zeroes the masked weights after the softmax: the rows no longer sum to 1 and the allowed keys keep the wrong shares",
        "source": '''def masked_attention(Q, K, V, mask=None):
    """softmax(Q K^T / sqrt(d), masked) V; returns (output (..., T, d_v), weights (..., T, S))."""
    E = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])
    A = torch.softmax(E, dim=-1)
    if mask is not None:
        A = A * mask
    return A @ V, A
''',
    },
    "q2_masked_attention:mask_convention_of_multihead_attention": {
        "cell": "q2_masked_attention",
        "tests": "q2_tests",
        "why": "reads True as blocked, the convention of torch.nn.MultiheadAttention, not of the function asked for",
        "source": '''def masked_attention(Q, K, V, mask=None):
    """softmax(Q K^T / sqrt(d), masked) V; returns (output (..., T, d_v), weights (..., T, S))."""
    E = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])
    if mask is not None:
        E = E.masked_fill(mask, float("-inf"))
    A = torch.softmax(E, dim=-1)
    return A @ V, A
''',
    },
    "q3_heads:reshape_without_transpose": {
        "cell": "q3_heads",
        "tests": "q3_tests",
        "why": "reshapes (B, T, D) straight into (B, h, T, d) and back: the right shapes, but positions are mixed into heads",
        "source": '''def split_heads(X, num_heads):
    """(B, T, D) -> (B, h, T, D // h): head j takes features j*d ... (j+1)*d - 1."""
    B, T, D = X.shape
    return X.reshape(B, num_heads, T, D // num_heads)


def merge_heads(X):
    """(B, h, T, d) -> (B, T, h * d), the inverse of split_heads."""
    B, h, T, d = X.shape
    return X.reshape(B, T, h * d)
''',
    },
    "q3_heads:merge_without_transpose": {
        "cell": "q3_heads",
        "tests": "q3_tests",
        "why": "splits correctly but merges with a bare reshape, which puts head blocks in the place of positions",
        "source": '''def split_heads(X, num_heads):
    """(B, T, D) -> (B, h, T, D // h): head j takes features j*d ... (j+1)*d - 1."""
    B, T, D = X.shape
    return X.reshape(B, T, num_heads, D // num_heads).transpose(1, 2)


def merge_heads(X):
    """(B, h, T, d) -> (B, T, h * d), the inverse of split_heads."""
    B, h, T, d = X.shape
    return X.reshape(B, T, h * d)
''',
    },
    "q3_heads:interleaved_features": {
        "cell": "q3_heads",
        "tests": "q3_tests",
        "why": "gives head j the features j, j + h, j + 2h, ... (a reshape to (B, T, d, h)): self-consistent, but not PyTorch's layout of contiguous blocks",
        "source": '''def split_heads(X, num_heads):
    """(B, T, D) -> (B, h, T, D // h): head j takes features j*d ... (j+1)*d - 1."""
    B, T, D = X.shape
    return X.reshape(B, T, D // num_heads, num_heads).permute(0, 3, 1, 2)


def merge_heads(X):
    """(B, h, T, d) -> (B, T, h * d), the inverse of split_heads."""
    B, h, T, d = X.shape
    return X.permute(0, 2, 3, 1).reshape(B, T, d * h)
''',
    },
}
