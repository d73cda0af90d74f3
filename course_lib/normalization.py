"""Chapter 06 normalization layers from scratch: BatchNorm and LayerNorm, train and eval.

BatchNorm (Ioffe & Szegedy 2015) normalizes each channel c over the batch and the
spatial positions,

    μ_B = mean(x),  σ²_B = mean((x − μ_B)²),  x̂ = (x − μ_B) / √(σ²_B + ε),  y = γ x̂ + β,

and in training also keeps running statistics for evaluation, with PyTorch's
convention (the momentum m is the weight of the *new* batch; CS231n's notes write
the opposite):

    running_mean ← (1 − m) running_mean + m μ_B
    running_var  ← (1 − m) running_var  + m σ²_B · n / (n − 1)     (unbiased)

where n is the number of values per channel. At evaluation time the running
statistics replace the batch's. LayerNorm (Ba et al. 2016) normalizes each
sample over its last dimensions and is the same in training and evaluation.

See the book: 06_regularization.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from course_lib.validation import check_int, check_real, check_tensor

__all__ = ["BatchNorm", "LayerNorm", "batch_norm", "layer_norm", "zero_init_last_norm_"]


def _stat_dims(x: Tensor) -> tuple[int, ...]:
    """Every axis but the channel axis 1: (0,) for (N, C), (0, 2, 3) for (N, C, H, W)."""
    return (0, *range(2, x.ndim))


def _per_channel(v: Tensor, x: Tensor) -> Tensor:
    """A (C,) vector shaped to broadcast against x (N, C, ...)."""
    return v.view(1, -1, *([1] * (x.ndim - 2)))


def batch_norm(
    input: Tensor,  # noqa: A002 - torch.nn.functional.batch_norm's name
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """BatchNorm of ``input`` (N, C, ...), as ``torch.nn.functional.batch_norm``.

    In training: normalize with the batch's mean and *biased* variance and update
    the running buffers in place (momentum m weighs the new batch; the running
    variance takes the *unbiased* batch variance). In evaluation: normalize with
    ``running_mean`` and ``running_var``.

    Shape: input (N, C) or (N, C, *); running statistics, weight (γ), bias (β): (C,).

    >>> x = torch.tensor([[1.0], [3.0]])
    >>> mean, var = torch.zeros(1), torch.ones(1)
    >>> batch_norm(x, mean, var, training=True, eps=0.0).flatten().tolist()
    [-1.0, 1.0]
    >>> mean.tolist(), var.tolist()   # 0.9·0 + 0.1·2 and 0.9·1 + 0.1·2 (unbiased variance 2)
    ([0.20000000298023224], [1.100000023841858])

    See the book: 06_regularization.
    """
    x = check_tensor(input, "input")
    if x.ndim < 2:
        raise ValueError(f"input must be (N, C) or (N, C, *), got shape {tuple(x.shape)}")
    check_real(momentum, "momentum", low=0, high=1)
    check_real(eps, "eps", low=0)
    dims = _stat_dims(x)
    if training:
        n = x.numel() // x.shape[1]  # values per channel
        if n < 2:
            raise ValueError(
                f"BatchNorm in training needs more than 1 value per channel, got input shape "
                f"{tuple(x.shape)}"
            )
        mean = x.mean(dim=dims)  # μ_B, (C,)
        var = ((x - _per_channel(mean, x)) ** 2).mean(dim=dims)  # σ²_B, biased, (C,)
        if running_mean is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
        if running_var is not None:
            with torch.no_grad():
                running_var.mul_(1 - momentum).add_(momentum * var.detach() * n / (n - 1))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("evaluation mode needs running_mean and running_var")
        mean, var = running_mean, running_var
    x_hat = (x - _per_channel(mean, x)) / torch.sqrt(_per_channel(var, x) + eps)
    if weight is not None:
        x_hat = x_hat * _per_channel(weight, x)  # γ x̂
    if bias is not None:
        x_hat = x_hat + _per_channel(bias, x)  # + β
    return x_hat


def layer_norm(
    input: Tensor,  # noqa: A002 - torch.nn.functional.layer_norm's name
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """LayerNorm over the last ``len(normalized_shape)`` axes, as ``F.layer_norm``.

    Each sample is normalized with its own mean and biased variance over those
    axes, then scaled by γ (``weight``) and shifted by β (``bias``), both of shape
    ``normalized_shape``. No running statistics: training and evaluation agree.

    >>> layer_norm(torch.tensor([[1.0, 3.0]]), (2,), eps=0.0).tolist()
    [[-1.0, 1.0]]

    See the book: 06_regularization.
    """
    x = check_tensor(input, "input")
    shape = tuple(int(s) for s in normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape or not shape:
        raise ValueError(
            f"normalized_shape {shape} must equal the last axes of input {tuple(x.shape)}"
        )
    check_real(eps, "eps", low=0)
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)  # biased
    x_hat = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        x_hat = x_hat * weight
    if bias is not None:
        x_hat = x_hat + bias
    return x_hat


class BatchNorm(nn.Module):
    """BatchNorm with learnable γ, β and running buffers, as ``nn.BatchNorm1d/2d``.

    The state dict has the same keys as torch's (``weight``, ``bias``,
    ``running_mean``, ``running_var``, ``num_batches_tracked``), so weights load
    either way; ``model.train()`` / ``model.eval()`` choose the statistics.

    >>> bn = BatchNorm(3)
    >>> bn(torch.randn(8, 3, 4, 4)).shape, int(bn.num_batches_tracked)
    (torch.Size([8, 3, 4, 4]), 1)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        check_int(num_features, "num_features", 1)
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))  # γ
        self.bias = nn.Parameter(torch.zeros(num_features))  # β
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            self.num_batches_tracked += 1
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training, self.momentum, self.eps)  # fmt: skip


class LayerNorm(nn.Module):
    """LayerNorm with learnable γ, β over ``normalized_shape``, as ``nn.LayerNorm``.

    >>> LayerNorm(4)(torch.randn(2, 4)).shape
    torch.Size([2, 4])
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(check_int(s, "normalized_shape", 1) for s in shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape))

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, BatchNorm)


def zero_init_last_norm_(model: nn.Module, block_type: type[nn.Module]) -> int:
    """Set γ = 0 in the last BatchNorm of every ``block_type`` in ``model``; return how many.

    A residual block h + F(h) whose last BatchNorm has γ = 0 starts as the identity
    (F(h) = β = 0): the deep network starts as a shallow one (Goyal et al. 2017;
    He et al. 2019's "zero γ").

    >>> from course_lib.blocks import ResidualBlock
    >>> net = nn.Sequential(ResidualBlock(4, 4), ResidualBlock(4, 4))
    >>> zero_init_last_norm_(net, ResidualBlock), float(net[0].bn2.weight.detach().abs().sum())
    (2, 0.0)
    """
    count = 0
    for module in model.modules():
        if isinstance(module, block_type):
            norms = [m for m in module.modules() if isinstance(m, NORMS)]
            # the shortcut's projection BatchNorm is registered last: skip it
            shortcut = getattr(module, "shortcut", None)
            skip = set(map(id, shortcut.modules())) if isinstance(shortcut, nn.Module) else set()
            norms = [m for m in norms if id(m) not in skip]
            if norms:
                nn.init.zeros_(norms[-1].weight)
                count += 1
    return count
