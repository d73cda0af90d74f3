"""Chapter 09 backpropagation through time: gradient norms over time and clipping by norm.

Through the recurrence h_t = g(W x_t + U h_{t−1} + b) the gradient of a loss at step T
with respect to an earlier state is a product of Jacobians,

    ∂L/∂h_t = ∂L/∂h_T · Π_{k=t+1}^{T} diag(g'(a_k)) U,

which shrinks or grows geometrically with T − t (Bengio et al. 1994; Pascanu et al.
2013). ``state_gradient_norms`` measures ‖∂L/∂h_t‖ for every t; ``clip_grad_norm``
rescales the gradients when their global norm exceeds a threshold (Pascanu et al. 2013),
as ``torch.nn.utils.clip_grad_norm_``.

See the book: 09_rnn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from course_lib.validation import check_real, check_tensor

__all__ = [
    "clip_grad_norm",
    "global_norm",
    "gradient_norms_through_time",
    "state_gradient_norms",
]


def global_norm(grads: Sequence[Tensor], norm_type: float = 2.0) -> Tensor:
    """‖g‖ of all the gradients together: (Σ_i ‖g_i‖_p^p)^{1/p}, or max_i |g_i| for p = ∞.

    >>> global_norm([torch.tensor([3.0]), torch.tensor([4.0])]).item()
    5.0

    See the book: 09_rnn.
    """
    grads = [check_tensor(g, "grads[i]") for g in grads]
    if not grads:
        return torch.zeros(())
    if norm_type == math.inf:
        return torch.stack([g.detach().abs().max() for g in grads]).max()
    check_real(norm_type, "norm_type", low=0, low_open=True)
    norms = torch.stack([torch.linalg.vector_norm(g.detach(), norm_type) for g in grads])
    return torch.linalg.vector_norm(norms, norm_type)


def clip_grad_norm(grads: Sequence[Tensor], max_norm: float, norm_type: float = 2.0
                   ) -> tuple[list[Tensor], Tensor]:  # fmt: skip
    """Scale all gradients by one factor so that their global norm is at most ``max_norm``.

    With ‖g‖ the norm of all of them together (not of each one):
    g ← g · min(1, max_norm / (‖g‖ + 1e-6)), the rule of ``torch.nn.utils.clip_grad_norm_``.
    The tensors are scaled in place and also returned, with ‖g‖ *before* clipping.

    >>> g = [torch.tensor([3.0]), torch.tensor([4.0])]
    >>> clipped, norm = clip_grad_norm(g, 1.0)
    >>> norm.item(), [round(t.item(), 4) for t in clipped]
    (5.0, [0.6, 0.8])

    See the book: 09_rnn.
    """
    check_real(max_norm, "max_norm", low=0)
    grads = list(grads)
    norm = global_norm(grads, norm_type)
    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)  # one factor for every tensor
    for g in grads:
        g.mul_(scale.to(g.dtype))
    return grads, norm


def state_gradient_norms(states: Sequence[Tensor], loss: Tensor) -> Tensor:
    """‖∂L/∂h_t‖₂ for every state h_1, ..., h_T that ``loss`` depends on.

    ``states`` are the intermediate tensors of one unrolled forward pass (each must be
    part of the graph of ``loss``). Returns a (T,) tensor; a state the loss does not reach
    gets 0. See the book: 09_rnn.
    """
    grads = torch.autograd.grad(loss, list(states), allow_unused=True, retain_graph=True)
    return torch.stack([
        torch.zeros(()) if g is None else torch.linalg.vector_norm(g.detach().double().cpu())
        for g in grads
    ])  # fmt: skip


def gradient_norms_through_time(module: nn.RNNBase, x: Tensor, *, which: str = "h",
                                probe: Tensor | None = None) -> Tensor:  # fmt: skip
    """‖∂L/∂h_t‖ (or ‖∂L/∂c_t‖ with ``which="c"``, LSTM) for t = 1..T, L = ⟨probe, h_T⟩.

    The one-layer ``module`` (nn.RNN, nn.LSTM or nn.GRU) is unrolled step by step with the
    course's cells on its own weights, so every state is a node of the graph. ``probe``
    (B, H) defaults to ones / √(B·H). Shape: x (T, B, D) → (T,) float64 norms.

    >>> net = nn.RNN(1, 4)
    >>> norms = gradient_norms_through_time(net, torch.randn(6, 2, 1))
    >>> norms.shape, bool(norms[-1] > 0)
    (torch.Size([6]), True)

    See the book: 09_rnn.
    """
    from course_lib.rnn import cell_step, weights_from_module

    if module.num_layers != 1:
        raise ValueError(f"module must have one layer, got num_layers={module.num_layers}")
    if which not in ("h", "c") or (which == "c" and not isinstance(module, nn.LSTM)):
        raise ValueError(f"which must be 'h', or 'c' for an nn.LSTM, got {which!r}")
    mode = {nn.LSTM: "lstm", nn.GRU: "gru"}.get(type(module), getattr(module, "nonlinearity", ""))
    weights = weights_from_module(module)[0]
    batch, hidden = x.shape[1], module.hidden_size
    h = x.new_zeros(batch, hidden)
    state = (h, h) if mode == "lstm" else h
    tracked = []
    for t in range(x.shape[0]):
        state = cell_step(mode, x[t], state, weights)
        tracked.append(state if mode != "lstm" else state[0 if which == "h" else 1])
    h_last = state[0] if mode == "lstm" else state
    probe = probe if probe is not None else torch.ones_like(h_last) / (batch * hidden) ** 0.5
    return state_gradient_norms(tracked, (h_last * probe).sum())
