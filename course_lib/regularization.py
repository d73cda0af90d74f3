"""Chapter 06 regularizers that act on activations, targets and weights' averages.

- Dropout (Srivastava et al. 2014): each unit is kept with probability 1 − p,
  r_j ~ Bernoulli(1 − p), ỹ = r ⊙ y / (1 − p) in training ("inverted" scaling),
  ỹ = y at evaluation time.
- Label smoothing (Szegedy et al. 2016): the seeds' targets p_y = 1 − ε,
  p_i = ε/(K − 1) for i ≠ y; PyTorch's are (1 − ε)·onehot + ε/K. They are the same
  distribution with ε′ = εK/(K − 1).
- Exponential moving average of the weights: θ^EMA_t = α θ^EMA_{t−1} + (1 − α) θ_t,
  the first update copies θ (as ``torch.optim.swa_utils.AveragedModel``).
- Stochastic depth (Huang et al. 2016): residual block ℓ of L survives with
  p_ℓ = 1 − ℓ/L (1 − p_L).

Weight penalties and decoupled weight decay are in :mod:`course_lib.weight_decay`,
early stopping in :mod:`course_lib.early_stopping`, normalization layers in
:mod:`course_lib.normalization`, augmentations in :mod:`course_lib.augment`.

See the book: 06_regularization.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn
from torch.nn import functional

from course_lib.callbacks import Callback, TrainingState
from course_lib.training import evaluate
from course_lib.validation import apply_reduction, check_int, check_real, check_tensor

__all__ = [
    *("dropout", "dropout_mask", "Dropout"),
    *("label_smoothing_targets", "seeds_to_pytorch_epsilon", "smoothed_cross_entropy"),
    *("WeightEMA", "survival_probabilities", "StochasticDepthResidual"),
]


# --------------------------------------------------------------------------- #
# Dropout
# --------------------------------------------------------------------------- #
def dropout_mask(
    shape: tuple[int, ...] | torch.Size, p: float, *, generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32, device: torch.device | str | None = None,
) -> Tensor:  # fmt: skip
    """A mask r of 0s and 1s, each 1 with probability 1 − p (kept), independently.

    >>> dropout_mask((2, 3), 0.0).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    p = check_real(p, "p", low=0, high=1)
    u = torch.rand(tuple(shape), generator=generator, dtype=dtype)
    return (u >= p).to(dtype).to(device if device is not None else "cpu")


def dropout(
    input: Tensor,  # noqa: A002 - torch.nn.functional.dropout's name
    p: float = 0.5,
    training: bool = True,
    *,
    mask: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Inverted dropout: r ⊙ x / (1 − p) in training, x itself in evaluation.

    p is the probability of *dropping* a unit (as in PyTorch; Srivastava et al.
    write p for the probability of keeping it). Dividing by 1 − p keeps the
    expectation: E[r x / (1 − p)] = x, so nothing changes at test time.

    Parameters
    ----------
    input : Tensor of any shape
    p : float in [0, 1]
    training : bool
        False: return ``input`` unchanged.
    mask : Tensor, optional
        The 0/1 mask r to use (same shape as input); drawn with ``generator`` if None.

    >>> x = torch.ones(1, 4)
    >>> dropout(x, 0.5, mask=torch.tensor([[1.0, 0.0, 1.0, 0.0]])).tolist()
    [[2.0, 0.0, 2.0, 0.0]]
    >>> torch.equal(dropout(x, 0.5, training=False), x)
    True

    See the book: 06_regularization.
    """
    x = check_tensor(input, "input")
    p = check_real(p, "p", low=0, high=1)
    if not training or p == 0:
        return x
    if p == 1:  # every unit dropped: the output is zero (torch does the same)
        return x * 0
    if mask is None:
        mask = dropout_mask(x.shape, p, generator=generator, dtype=x.dtype, device=x.device)
    elif mask.shape != x.shape:
        raise ValueError(
            f"mask must have the input's shape {tuple(x.shape)}, got {tuple(mask.shape)}"
        )
    return x * mask / (1 - p)


class Dropout(nn.Module):
    """:func:`dropout` as a layer: active in ``train()`` mode, the identity in ``eval()``.

    >>> layer = Dropout(0.5).eval()
    >>> torch.equal(layer(torch.ones(3)), torch.ones(3))
    True
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = check_real(p, "p", low=0, high=1)

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# --------------------------------------------------------------------------- #
# Label smoothing
# --------------------------------------------------------------------------- #
def label_smoothing_targets(
    target: Tensor, num_classes: int, epsilon: float, *, convention: str = "seeds",
    dtype: torch.dtype | None = None,
) -> Tensor:  # fmt: skip
    """Smoothed target distributions, one row per label.

    ``convention="seeds"``: p_y = 1 − ε, p_i = ε/(K − 1) for i ≠ y (the true class
    gets exactly 1 − ε). ``convention="pytorch"``: p = (1 − ε)·onehot + ε/K (the true
    class gets 1 − ε + ε/K), the targets of ``F.cross_entropy(label_smoothing=ε)``.

    Shape: target (N,) int64 → (N, K).

    >>> label_smoothing_targets(torch.tensor([0]), 3, 0.3).round(decimals=4)
    tensor([[0.7000, 0.1500, 0.1500]])
    >>> label_smoothing_targets(torch.tensor([0]), 3, 0.3, convention="pytorch").round(decimals=4)
    tensor([[0.8000, 0.1000, 0.1000]])

    See the book: 06_regularization.
    """
    check_tensor(target, "target")
    if target.ndim != 1 or target.is_floating_point():
        raise ValueError(
            f"target must be 1-D integer labels, got {tuple(target.shape)} {target.dtype}"
        )
    k = check_int(num_classes, "num_classes", 2)
    epsilon = check_real(epsilon, "epsilon", low=0, high=1)
    onehot = functional.one_hot(target, k).to(dtype or torch.get_default_dtype())
    if convention == "seeds":
        return onehot * (1 - epsilon) + (1 - onehot) * epsilon / (k - 1)
    if convention == "pytorch":
        return onehot * (1 - epsilon) + epsilon / k
    raise ValueError(f"convention must be 'seeds' or 'pytorch', got {convention!r}")


def seeds_to_pytorch_epsilon(epsilon: float, num_classes: int) -> float:
    """The ε′ = εK/(K − 1) for which PyTorch's targets equal the seeds' targets with ε.

    >>> seeds_to_pytorch_epsilon(0.1, 10)
    0.1111111111111111
    """
    k = check_int(num_classes, "num_classes", 2)
    return check_real(epsilon, "epsilon", low=0, high=(k - 1) / k) * k / (k - 1)


def smoothed_cross_entropy(
    logits: Tensor, target: Tensor, *, epsilon: float = 0.1, convention: str = "pytorch",
    reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """Cross-entropy against smoothed targets: −Σ_i p_i log softmax(z)_i.

    With ``convention="pytorch"`` it equals ``F.cross_entropy(logits, target,
    label_smoothing=epsilon)``; with ``"seeds"`` it uses the seeds' targets.

    Shape: logits (N, K), target (N,) → scalar, or (N,) with ``reduction="none"``.

    >>> z, y = torch.tensor([[2.0, 0.0, 0.0]]), torch.tensor([0])
    >>> round(float(smoothed_cross_entropy(z, y, epsilon=0.0)), 4)
    0.2395

    See the book: 06_regularization.
    """
    check_tensor(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, K), got shape {tuple(logits.shape)}")
    p = label_smoothing_targets(target, logits.shape[1], epsilon, convention=convention,
                                dtype=logits.dtype)  # fmt: skip
    loss = -(p * functional.log_softmax(logits, dim=1)).sum(dim=1)
    return apply_reduction(loss, reduction)


# --------------------------------------------------------------------------- #
# Exponential moving average of the weights
# --------------------------------------------------------------------------- #
class WeightEMA(Callback):
    """θ^EMA ← α θ^EMA + (1 − α) θ after every optimizer step (a callback for ``fit``).

    ``self.module`` is a copy of the model holding the average, parameters and
    buffers (BatchNorm's running statistics) alike; the first update copies θ.
    Step by step it equals ``AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(α),
    use_buffers=True)``. With ``eval_data={"val": ...}`` it logs ``ema_val_loss`` and
    ``ema_val_accuracy`` of the averaged model after every epoch.

    >>> net = nn.Linear(2, 1)
    >>> ema = WeightEMA(net, decay=0.9)
    >>> ema.update(net); _ = net.weight.data.add_(1.0); ema.update(net)
    >>> torch.allclose(ema.module.weight, net.weight - 0.9)
    True

    See the book: 06_regularization.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, *, eval_data: dict | None = None):
        self.decay = check_real(decay, "decay", low=0, high=1)
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.num_updates = 0
        self.eval_data = dict(eval_data or {})

    def _tensors(self, model: nn.Module) -> list[Tensor]:
        return [*model.parameters(), *model.buffers()]

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """One step of the average with the model's current parameters and buffers."""
        for averaged, current in zip(self._tensors(self.module), self._tensors(model), strict=True):
            current = current.detach().to(averaged.device)
            if self.num_updates == 0:
                averaged.copy_(current)
            elif averaged.is_floating_point():
                averaged.lerp_(current, 1 - self.decay)  # α θ^EMA + (1 − α) θ
            else:  # integer buffers (batches seen): the same formula, truncated, as torch
                averaged.copy_(averaged * self.decay + current * (1 - self.decay))
        self.num_updates += 1

    def on_fit_begin(self, state: TrainingState) -> None:
        self.module.to(state.device)

    def on_batch_end(self, state: TrainingState) -> None:
        self.update(state.model)

    def on_epoch_end(self, state: TrainingState) -> None:
        for name, data in self.eval_data.items():
            scores = evaluate(self.module, data, device=state.device)
            state.log(f"ema_{name}_loss", scores["loss"])
            state.log(f"ema_{name}_accuracy", scores["accuracy"])


# --------------------------------------------------------------------------- #
# Stochastic depth
# --------------------------------------------------------------------------- #
def survival_probabilities(num_blocks: int, p_last: float = 0.5) -> list[float]:
    """p_ℓ = 1 − ℓ/L (1 − p_L) for ℓ = 1 … L: the deeper the block, the likelier it drops.

    >>> survival_probabilities(4, 0.5)
    [0.875, 0.75, 0.625, 0.5]
    """
    L = check_int(num_blocks, "num_blocks", 1)
    p_last = check_real(p_last, "p_last", low=0, high=1, low_open=True)
    return [1 - ell / L * (1 - p_last) for ell in range(1, L + 1)]


class StochasticDepthResidual(nn.Module):
    """h' = h + b · F(h) / p in training, h' = h + F(h) at evaluation; b ~ Bernoulli(p).

    The *inverted* form (as torchvision's ``StochasticDepth``): a surviving branch
    is divided by its survival probability p in training, so evaluation uses
    the branch as it is. Huang et al. (2016) instead keep F(h) unscaled in
    training and multiply it by p at test time; both have the same expectation.
    ``mode="row"`` draws b for each sample, ``"batch"`` one b for the whole
    batch (Huang et al.'s form).

    >>> block = StochasticDepthResidual(nn.Linear(3, 3), survival=0.8)
    >>> block.eval()(torch.ones(2, 3)).shape
    torch.Size([2, 3])

    See the book: 06_regularization.
    """

    def __init__(
        self, branch: nn.Module, survival: float, *, mode: str = "row",
        generator: torch.Generator | None = None,
    ):  # fmt: skip
        super().__init__()
        self.branch = branch
        self.survival = check_real(survival, "survival", low=0, high=1, low_open=True)
        if mode not in ("row", "batch"):
            raise ValueError(f"mode must be 'row' or 'batch', got {mode!r}")
        self.mode, self.generator = mode, generator

    def forward(self, h: Tensor) -> Tensor:
        if not self.training or self.survival == 1.0:
            return h + self.branch(h)
        n = h.shape[0] if self.mode == "row" else 1
        keep = (torch.rand(n, generator=self.generator) < self.survival).to(h.dtype)
        keep = keep.to(h.device).view(n, *([1] * (h.ndim - 1)))
        if self.mode == "batch" and not bool(keep):
            return h  # the branch is not even computed: the time Huang et al. save
        return h + keep * self.branch(h) / self.survival
