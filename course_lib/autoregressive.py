"""Chapter 11 autoregressive density models: p(x) = Π_i p(x_i | x_<i), with masks (MADE).

The chain rule writes any distribution over D binary pixels as a product of D
one-dimensional conditionals. A masked autoencoder for distribution estimation (MADE,
Germain et al. 2015) computes all D conditionals in one forward pass of an MLP whose
weights are multiplied by binary masks, so that output i sees only the pixels before i
(in raster order here). Each hidden unit k gets a degree m(k) ∈ {1, …, D − 1}, the number
of the first pixels it may see:

    hidden mask  M[k, j] = 1 if m(k) ≥ j          (pixel j = 1..D, or a previous unit's degree)
    output mask  M[i, k] = 1 if i > m(k)          (output i = 1..D sees only pixels < i)

and a direct masked connection from x_<i to output i adds a logistic autoregression.
The exact log-likelihood is one forward pass; sampling takes D passes, one pixel at a time.
NADE (Larochelle & Murray 2011) and PixelCNN (van den Oord et al. 2016) build the same
factorization with shared weights and masked convolutions.

See the book: 11_generative.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812 - PyTorch's own convention

from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    "MADE",
    "MaskedLinear",
    "autoregressive_masks",
    "binarize",
    "bits_per_dim",
    "sample_autoregressive",
]


def binarize(x: Tensor, threshold: float = 0.5) -> Tensor:
    """Pixels above ``threshold`` become 1.0, the others 0.0 (same shape and dtype).

    >>> binarize(torch.tensor([0.1, 0.5, 0.9]))
    tensor([0., 0., 1.])
    """
    check_tensor(x, "x")
    check_real(threshold, "threshold")
    return (x > threshold).to(x.dtype if x.is_floating_point() else torch.float32)


def bits_per_dim(nats: float | Tensor, num_dims: int) -> float | Tensor:
    """A negative log-likelihood of one image in nats → bits per pixel: nats / (D ln 2).

    >>> bits_per_dim(784 * math.log(2), 784)   # a fair coin per pixel: 1 bit each
    1.0
    """
    check_int(num_dims, "num_dims", 1)
    return nats / (num_dims * math.log(2))


def autoregressive_masks(num_inputs: int, hidden_sizes: Sequence[int], *,
                         generator: torch.Generator | None = None) -> list[Tensor]:  # fmt: skip
    """MADE's masks for raster order: one (out, in) 0/1 matrix per layer, the output last.

    Hidden degrees are drawn uniformly from {min of the previous layer, …, D − 1} with
    ``generator``; the inputs have degrees 1..D. Multiplying the weights by these masks
    makes output i a function of x_1..x_{i−1} only (output 1 of none: a constant).

    >>> [m.shape for m in autoregressive_masks(4, [8])]
    [torch.Size([8, 4]), torch.Size([4, 8])]
    >>> mask_in, mask_out = autoregressive_masks(3, [2], generator=torch.Generator().manual_seed(0))
    >>> (mask_out @ mask_in).tolist()   # paths from pixel j (columns) to output i (rows)
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 1.0, 0.0]]

    See the book: 11_generative.
    """
    check_int(num_inputs, "num_inputs", 2)
    sizes = [check_int(h, "each of hidden_sizes", 1) for h in hidden_sizes]
    degrees = [torch.arange(1, num_inputs + 1)]
    for size in sizes:
        low = int(degrees[-1].min()) if len(degrees) > 1 else 1
        degrees.append(torch.randint(low, num_inputs, (size,), generator=generator))
    masks = [(later[:, None] >= earlier[None, :]).float()
             for earlier, later in itertools.pairwise(degrees)]  # fmt: skip
    masks.append((degrees[0][:, None] > degrees[-1][None, :]).float())
    return masks


class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied by a fixed 0/1 mask: y = x (W ⊙ M)ᵀ + b.

    >>> layer = MaskedLinear(2, 2, torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
    >>> _ = layer.weight.data.fill_(1.0), layer.bias.data.zero_()
    >>> layer(torch.tensor([[3.0, 5.0]])).tolist()   # output 2 sees input 1 only
    [[0.0, 3.0]]
    """

    def __init__(self, in_features: int, out_features: int, mask: Tensor, bias: bool = True):
        super().__init__(in_features, out_features, bias=bias)
        check_tensor(mask, "mask")
        if mask.shape != (out_features, in_features):
            raise ValueError(f"mask must have shape ({out_features}, {in_features}), got "
                             f"{tuple(mask.shape)}")  # fmt: skip
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """A masked MLP that outputs the logits of p(x_i = 1 | x_<i) for every pixel at once.

    ``forward(x)`` (B, D) or (B, 1, H, W) → logits (B, D). With ``direct=True`` a masked
    D × D linear map from the inputs is added to the output (a logistic autoregression on
    which the hidden layers build). :meth:`log_prob` is the exact log-likelihood of binary
    images, :meth:`sample` draws new ones pixel by pixel.

    >>> made = MADE(4, [16], seed=0)
    >>> every_image = torch.cartesian_prod(*[torch.tensor([0.0, 1.0])] * 4)   # all 16 of them
    >>> abs(made.log_prob(every_image).exp().sum().item() - 1) < 1e-6   # Σ_x p(x) = 1
    True

    See the book: 11_generative.
    """

    def __init__(self, num_inputs: int, hidden_sizes: Sequence[int] = (500,), *,
                 direct: bool = True, seed: int = 0):  # fmt: skip
        super().__init__()
        masks = autoregressive_masks(num_inputs, hidden_sizes,
                                     generator=torch.Generator().manual_seed(seed))  # fmt: skip
        sizes = [num_inputs, *hidden_sizes, num_inputs]
        layers: list[nn.Module] = []
        for fan_in, fan_out, mask in zip(sizes[:-1], sizes[1:], masks, strict=True):
            layers += [MaskedLinear(fan_in, fan_out, mask), nn.ReLU()]
        self.num_inputs = num_inputs
        self.net = nn.Sequential(*layers[:-1])
        strictly_lower = torch.ones(num_inputs, num_inputs).tril(diagonal=-1)
        self.direct = MaskedLinear(num_inputs, num_inputs, strictly_lower, bias=False) \
            if direct else None  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)
        if x.shape[1] != self.num_inputs:
            raise ValueError(f"x must have {self.num_inputs} values per image, got {x.shape[1]}")
        logits = self.net(x)
        return logits + self.direct(x) if self.direct is not None else logits

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x) = Σ_i log p(x_i | x_<i) of binary images, (B,), in nats."""
        x = x.flatten(1)
        return -F.binary_cross_entropy_with_logits(self(x), x, reduction="none").sum(dim=1)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """n binary images (n, D), drawn one pixel at a time: see :func:`sample_autoregressive`."""
        return sample_autoregressive(self, n, self.num_inputs, generator=generator)


@torch.no_grad()
def sample_autoregressive(model: nn.Module, n: int, num_inputs: int, *,
                          generator: torch.Generator | None = None) -> Tensor:  # fmt: skip
    """Ancestral sampling: for i = 1..D, x_i ~ Bernoulli(sigmoid(model(x)_i)).

    ``model`` maps (n, D) → (n, D) logits with output i depending on x_<i only; each of
    the D passes fills one pixel, so the later pixels condition on the ones drawn before.
    The uniform numbers come from ``generator`` (on the CPU) and are moved to the model.

    See the book: 11_generative.
    """
    check_int(n, "n", 1)
    check_int(num_inputs, "num_inputs", 1)
    first = next(iter(model.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    x = torch.zeros(n, num_inputs, device=device)
    uniforms = torch.rand(n, num_inputs, generator=generator).to(device)
    for i in range(num_inputs):
        p = torch.sigmoid(model(x)[:, i])
        x[:, i] = (uniforms[:, i] < p).float()
    return x
