"""Chapter 08 transfer learning: freezing, layer-wise learning rates, distillation.

- A **domain** D = {X, P(X)} is a feature space and a distribution over it; a **task**
  T = {Y, f(·)} a label space and a predictive function (Pan & Yang 2010).
- **Off-the-shelf** features: keep the pre-trained backbone fixed (:func:`freeze`) and
  train a new head. **Fine-tuning**: train every layer from the pre-trained start, with
  smaller learning rates for the earlier, more generic layers
  (:func:`layerwise_param_groups`).
- **Knowledge distillation** (Hinton et al. 2015): a student matches the teacher's
  softened outputs q_i = exp(z_i/T) / Σ_j exp(z_j/T),
  L = α T² KL(q^teacher_T ‖ q^student_T) + (1 − α) CE(z^student, y).
- :func:`load_pretrained` loads torchvision's ImageNet weights when torchvision and the
  weights are installed; the book pre-trains its own source model offline instead
  (:func:`small_cnn` on MNIST, :func:`digits_to_mnist_frame` for the target task).

Gradient reversal and domain adaptation are in :mod:`course_lib.domain_adaptation`.

See the book: 08_transfer.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional

from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    *("freeze", "unfreeze", "trainable_fraction", "layerwise_param_groups"),
    *("soft_targets", "distillation_loss", "load_pretrained"),
    *("small_cnn", "digits_to_mnist_frame", "labels_per_class"),
]


# --------------------------------------------------------------------------- #
# Freezing and learning-rate groups
# --------------------------------------------------------------------------- #
def freeze(module: nn.Module) -> nn.Module:
    """Stop training ``module``: ``requires_grad = False`` on every parameter; return it.

    A frozen parameter gets no ``.grad`` in ``backward()`` and an optimizer step leaves
    it unchanged (even inside the optimizer: PyTorch skips parameters whose grad is None,
    weight decay included). BatchNorm's running statistics are buffers, not parameters:
    put the module in ``eval()`` mode too if they must stay fixed.

    >>> layer = freeze(nn.Linear(3, 2))
    >>> [p.requires_grad for p in layer.parameters()]
    [False, False]

    See the book: 08_transfer.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def unfreeze(module: nn.Module) -> nn.Module:
    """Train ``module`` again: ``requires_grad = True`` on every parameter; return it.

    >>> [p.requires_grad for p in unfreeze(freeze(nn.Linear(3, 2))).parameters()]
    [True, True]
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    return module


def trainable_fraction(module: nn.Module) -> float:
    """The share of ``module``'s scalar parameters that require a gradient.

    >>> net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))  # 12 and 4 parameters
    >>> trainable_fraction(freeze(net[0]) and net)
    0.25
    """
    total = sum(p.numel() for p in module.parameters())
    if total == 0:
        raise ValueError("module has no parameters")
    return sum(p.numel() for p in module.parameters() if p.requires_grad) / total


def layerwise_param_groups(
    stages: Sequence[nn.Module], lr: float, *, decay: float = 0.1, weight_decay: float = 0.0
) -> list[dict]:
    """Optimizer parameter groups with smaller learning rates for earlier stages.

    Stage s of S (0 = the input side) gets η_s = η · decay^(S − 1 − s): the last stage
    (the new head) trains at ``lr``, each earlier one ``decay`` times slower. Frozen
    parameters are left out. Pass the result to any ``torch.optim`` optimizer.

    >>> net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> groups = layerwise_param_groups([net[0], net[2]], lr=1e-2, decay=0.1)
    >>> [round(g["lr"], 6) for g in groups]
    [0.001, 0.01]
    >>> torch.optim.SGD(groups, lr=1.0).param_groups[0]["lr"]
    0.001

    See the book: 08_transfer.
    """
    lr = check_real(lr, "lr", low=0)
    decay = check_real(decay, "decay", low=0, high=1)
    stages = list(stages)
    if not stages:
        raise ValueError("stages must name at least one module")
    groups = []
    for s, stage in enumerate(stages):
        params = [p for p in stage.parameters() if p.requires_grad]
        if params:
            groups.append({"params": params, "lr": lr * decay ** (len(stages) - 1 - s),
                           "weight_decay": weight_decay})  # fmt: skip
    return groups


# --------------------------------------------------------------------------- #
# Distillation
# --------------------------------------------------------------------------- #
def soft_targets(logits: Tensor, temperature: float = 1.0) -> Tensor:
    """q_i = exp(z_i / T) / Σ_j exp(z_j / T) along the last dimension.

    T = 1 is the softmax; T → ∞ tends to the uniform distribution; T → 0 to one-hot.

    >>> soft_targets(torch.tensor([2.0, 0.0]), 1e9).tolist()
    [0.5, 0.5]
    """
    logits = check_tensor(logits, "logits")
    t = check_real(temperature, "temperature", low=0, low_open=True)
    return torch.softmax(logits / t, dim=-1)


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    targets: Tensor | None,
    T: float = 4.0,  # Hinton et al.'s symbol
    alpha: float = 0.9,
) -> Tensor:
    """Hinton et al.'s loss: α T² KL(q^t_T ‖ q^s_T) + (1 − α) CE(z^s, y), batch mean.

    The soft term is ``F.kl_div(log_softmax(z_s/T), softmax(z_t/T), reduction="batchmean")``
    (``reduction="mean"`` would divide by N·K, not N). Its gradient with respect to
    z^s_i is (α T² / N)(q^s_i − q^t_i)/T = α T (q^s_i − q^t_i)/N; for large T it tends to
    α (z^s_i − z^t_i)/(K N) for zero-mean logits, so the T² factor keeps the soft term's
    gradient the same size whatever T (without it the gradient shrinks as 1/T²).
    KL and cross-entropy differ by the teacher's entropy, which has no gradient.

    Parameters
    ----------
    student_logits, teacher_logits : Tensor (N, K)
        The teacher's logits are detached (no gradient flows to the teacher).
    targets : LongTensor (N,) or None
        Hard labels; None only when ``alpha == 1`` (pure distillation).
    T : float > 0
        The temperature.
    alpha : float in [0, 1]
        The weight of the soft term.

    >>> z = torch.tensor([[2.0, 0.0, -1.0]], dtype=torch.float64)
    >>> abs(distillation_loss(z, z, None, T=3.0, alpha=1.0).item()) < 1e-12
    True

    See the book: 08_transfer.
    """
    s = check_tensor(student_logits, "student_logits")
    t = check_tensor(teacher_logits, "teacher_logits").detach()
    T = check_real(T, "T", low=0, low_open=True)
    alpha = check_real(alpha, "alpha", low=0, high=1)
    if s.ndim != 2 or s.shape != t.shape:
        raise ValueError(
            "student_logits and teacher_logits must both have shape (N, K), got "
            f"{tuple(s.shape)} and {tuple(t.shape)}"
        )
    soft = functional.kl_div(functional.log_softmax(s / T, dim=1),
                             functional.softmax(t / T, dim=1), reduction="batchmean")  # fmt: skip
    loss = alpha * T**2 * soft
    if alpha < 1:
        if targets is None:
            raise ValueError("targets is None: pass the hard labels, or alpha=1")
        loss = loss + (1 - alpha) * functional.cross_entropy(s, targets)
    return loss


# --------------------------------------------------------------------------- #
# Pre-trained models: torchvision's when installed, the book's own offline
# --------------------------------------------------------------------------- #
def load_pretrained(name: str = "resnet18", *, num_classes: int | None = None) -> nn.Module:
    """A torchvision ImageNet model with its pre-trained weights, optionally a new head.

    Needs torchvision and the weights, downloaded once to ``~/.cache/torch`` (or copied
    there for offline use). ``num_classes`` replaces the final ``fc`` (ResNets) or
    ``classifier[-1]`` (VGG, MobileNet, ...) layer with a new, trainable linear layer.
    The course's pages do not need it: they pre-train their own source model offline.

    Raises
    ------
    ImportError
        torchvision is not installed or does not import.
    """
    try:
        models = importlib.import_module("torchvision.models")
    except Exception as error:  # a broken install raises more than ImportError
        raise ImportError(
            "load_pretrained needs torchvision (pip install torchvision) and its weights; "
            f"the course pages pre-train their own model instead ({error})"
        ) from error
    weights = models.get_model_weights(name).DEFAULT
    model = models.get_model(name, weights=weights)
    if num_classes is not None:
        num_classes = check_int(num_classes, "num_classes", 1)
        if hasattr(model, "fc"):
            model.fc = nn.Linear(model.fc.in_features, num_classes)
        else:
            model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, num_classes)
    return model


def small_cnn(num_classes: int = 10, *, width: int = 16) -> nn.Sequential:
    """The book's source model for 1 × 28 × 28 images: ``features`` then ``head``.

    features: [conv 3×3 → ReLU → max-pool 2] × 2 → flatten → linear 64 → ReLU
    (28 → 14 → 7; 2·width·7·7 inputs to the linear layer); head: linear 64 → K.
    Index 0 is the backbone, index 1 the head: ``model[1] = nn.Linear(64, K')`` replaces it.

    >>> model = small_cnn()
    >>> tuple(model(torch.zeros(2, 1, 28, 28)).shape)
    (2, 10)
    """
    num_classes = check_int(num_classes, "num_classes", 1)
    width = check_int(width, "width", 1)
    features = nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * width * 49, 64), nn.ReLU(),
    )  # fmt: skip
    return nn.Sequential(features, nn.Linear(64, num_classes))


def digits_to_mnist_frame(images: Tensor, *, size: int = 20) -> Tensor:
    """8 × 8 digits (n, 1, 8, 8) in [0, 1] → MNIST's frame: upscaled to size × size, padded to 28.

    MNIST digits fill a 20 × 20 box centred in 28 × 28; bilinear upscaling to 20 × 20
    and 4 pixels of zero padding put scikit-learn's digits in the same frame.

    >>> tuple(digits_to_mnist_frame(torch.rand(3, 1, 8, 8)).shape)
    (3, 1, 28, 28)
    """
    x = check_tensor(images, "images")
    size = check_int(size, "size", 1)
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"images must have shape (n, 1, H, W), got {tuple(x.shape)}")
    if size > 28:
        raise ValueError(f"size must be at most 28, got {size}")
    up = functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    pad = 28 - size
    return functional.pad(up, (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2)).clamp(0, 1)


def labels_per_class(y: Tensor, per_class: int, *, seed: int = 0) -> Tensor:
    """Indices of ``per_class`` examples of every class in ``y``, drawn without replacement.

    >>> y = torch.tensor([0, 0, 0, 1, 1, 1])
    >>> idx = labels_per_class(y, 2, seed=0)
    >>> y[idx].bincount().tolist()
    [2, 2]
    """
    y = check_tensor(y, "y")
    per_class = check_int(per_class, "per_class", 1)
    g = torch.Generator().manual_seed(seed)
    chosen = []
    for c in torch.unique(y).tolist():
        where = torch.nonzero(y.cpu() == c).flatten()
        if len(where) < per_class:
            raise ValueError(
                f"class {c} has {len(where)} examples, fewer than per_class={per_class}"
            )
        chosen.append(where[torch.randperm(len(where), generator=g)[:per_class]])
    return torch.cat(chosen)
