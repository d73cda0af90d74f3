"""Wrong-but-plausible answers for 09_rnn: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_rnn_forward:state_never_carried": {
        "cell": "q1_rnn_forward",
        "tests": "q1_tests",
        "why": "uses h0 at every step instead of the previous state (no recurrence)",
        "source": '''def rnn_forward(x, h0, W, U, b):
    """h_t = tanh(W x_t + U h_{t-1} + b) for t = 1..T; returns (outputs (T, B, H), h_T (B, H))."""
    outputs = [torch.tanh(x[t] @ W.T + h0 @ U.T + b) for t in range(x.shape[0])]
    return torch.stack(outputs), outputs[-1]
''',
    },
    "q1_rnn_forward:outputs_include_h0": {
        "cell": "q1_rnn_forward",
        "tests": "q1_tests",
        "why": "returns h_0, ..., h_{T-1} as the outputs (off by one in time)",
        "source": '''def rnn_forward(x, h0, W, U, b):
    """h_t = tanh(W x_t + U h_{t-1} + b) for t = 1..T; returns (outputs (T, B, H), h_T (B, H))."""
    h = h0
    outputs = []
    for t in range(x.shape[0]):
        outputs.append(h)
        h = torch.tanh(x[t] @ W.T + h @ U.T + b)
    return torch.stack(outputs), h
''',
    },
    "q2_lstm_cell:gates_in_the_wrong_order": {
        "cell": "q2_lstm_cell",
        "tests": "q2_tests",
        "why": "splits the pre-activations as (i, f, o, g), the order of many papers, not PyTorch's (i, f, g, o)",
        "source": '''def lstm_cell(x, h, c, W, U, b):
    """One LSTM step with the gates in PyTorch's order (i, f, g, o); returns (h_next, c_next)."""
    a = x @ W.T + h @ U.T + b
    a_i, a_f, a_o, a_g = a.chunk(4, dim=1)
    i, f, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o)
    c_next = f * c + i * torch.tanh(a_g)
    return o * torch.tanh(c_next), c_next
''',
    },
    "q2_lstm_cell:output_without_tanh": {
        "cell": "q2_lstm_cell",
        "tests": "q2_tests",
        "why": "h_t = o * c_t, forgetting the tanh on the cell state",
        "source": '''def lstm_cell(x, h, c, W, U, b):
    """One LSTM step with the gates in PyTorch's order (i, f, g, o); returns (h_next, c_next)."""
    a = x @ W.T + h @ U.T + b
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)
    i, f, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o)
    c_next = f * c + i * torch.tanh(a_g)
    return o * c_next, c_next
''',
    },
    "q3_clip:each_parameter_separately": {
        "cell": "q3_clip",
        "tests": "q3_tests",
        "why": "clips each tensor by its own norm, which changes the direction of the update",
        "source": '''def clip_grad_norm(grads, max_norm):
    """Scale every tensor in grads by min(1, max_norm / (||g|| + 1e-6)); return (clipped, ||g||)."""
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    clipped = [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in grads]
    return clipped, norm
''',
    },
    "q3_clip:norm_after_clipping": {
        "cell": "q3_clip",
        "tests": "q3_tests",
        "why": "returns the norm after clipping instead of before",
        "source": '''def clip_grad_norm(grads, max_norm):
    """Scale every tensor in grads by min(1, max_norm / (||g|| + 1e-6)); return (clipped, ||g||)."""
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    clipped = [g * min(1.0, max_norm / (float(norm) + 1e-6)) for g in grads]
    return clipped, torch.sqrt(sum((g ** 2).sum() for g in clipped))
''',
    },
}
