"""Chapter 11 generative adversarial networks: losses, one training step, mode coverage.

A generator G maps noise z ~ p(z) to samples; a discriminator D outputs the logit of the
probability that its input is real. They play the minimax game of Goodfellow et al. (2014),

    min_G max_D  E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 − D(G(z)))],

D by minimizing the binary cross-entropy of "real = 1, fake = 0". G minimizes
log(1 − D(G(z))) in the game (the *saturating* loss, whose gradient vanishes when D
rejects the fakes), or, in practice, −log D(G(z)) (the *non-saturating* loss, same fixed
point, strong gradients when D wins). Everything is computed from logits with
``binary_cross_entropy_with_logits``, stable for any |logit|.

``gan_step`` is one round of the game, D then G, with two optimizers: the one loop of the
course that :func:`course_lib.training.fit` does not run. ``ring_of_gaussians`` and
``modes_covered`` are the 2-D test bed of mode collapse (Metz et al. 2017).

See the book: 11_generative.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812 - PyTorch's own convention

from course_lib.validation import check_int, check_real, check_tensor

__all__ = [
    "classes_covered",
    "discriminator_loss",
    "gan_step",
    "generator_loss",
    "modes_covered",
    "ring_centres",
    "ring_of_gaussians",
]


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """−(1/m) Σ log D(x_i) − (1/n) Σ log(1 − D(G(z_j))): real labelled 1, fake labelled 0.

    D = sigmoid(logit). Minimizing it maximizes the discriminator's side of the game.

    Shape: real_logits (m, ...) and fake_logits (n, ...) → a scalar.

    >>> round(discriminator_loss(torch.zeros(4, 1), torch.zeros(4, 1)).item(), 4)   # 2 ln 2
    1.3863

    See the book: 11_generative.
    """
    check_tensor(real_logits, "real_logits"), check_tensor(fake_logits, "fake_logits")
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: Tensor, *, saturating: bool = False) -> Tensor:
    """The generator's loss on D's logits for its samples.

    Non-saturating (default): −(1/n) Σ log D(G(z_j)), the cross-entropy with label 1.
    Saturating (the minimax game itself): (1/n) Σ log(1 − D(G(z_j))); its gradient with
    respect to a logit is −D(G(z)), which vanishes when D confidently rejects the fakes.

    >>> fake = torch.full((3, 1), -5.0)   # D(G(z)) = sigmoid(−5) ≈ 0.0067: D wins
    >>> round(generator_loss(fake).item(), 3)   # non-saturating: −log D(G(z))
    5.007
    >>> round(generator_loss(fake, saturating=True).item(), 4)   # log(1 − D(G(z)))
    -0.0067

    See the book: 11_generative.
    """
    check_tensor(fake_logits, "fake_logits")
    if saturating:
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def gan_step(generator: nn.Module, discriminator: nn.Module, real: Tensor, z: Tensor,
             g_optimizer: torch.optim.Optimizer, d_optimizer: torch.optim.Optimizer, *,
             saturating: bool = False) -> dict[str, float]:  # fmt: skip
    """One round of the game: a discriminator step on ``real`` and G(z), then a generator step.

    D's step uses the fakes G(z) *detached* (no gradient into G); G's step passes the same
    fakes through the updated D. Returns the two losses and D's mean
    probabilities on the real and the fake batch (before D's step).

    >>> G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    >>> opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    >>> sorted(gan_step(G, D, torch.randn(8, 2), torch.randn(8, 2), opt_g, opt_d))
    ['d_fake', 'd_loss', 'd_real', 'g_loss']

    See the book: 11_generative.
    """
    check_tensor(real, "real"), check_tensor(z, "z")
    fake = generator(z)
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
    d_loss = discriminator_loss(real_logits, fake_logits)
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    g_loss = generator_loss(discriminator(fake), saturating=saturating)
    g_optimizer.zero_grad()
    g_loss.backward()  # also fills D's .grad, which D's next zero_grad clears
    g_optimizer.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}  # fmt: skip


def ring_centres(num_modes: int = 8, radius: float = 2.0) -> Tensor:
    """The centres (radius cos 2πk/K, radius sin 2πk/K), k = 0..K−1, as a (K, 2) tensor."""
    check_int(num_modes, "num_modes", 1)
    check_real(radius, "radius", low=0, low_open=True)
    angles = 2 * math.pi * torch.arange(num_modes) / num_modes
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


def ring_of_gaussians(n: int, *, num_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      generator: torch.Generator | None = None) -> Tensor:  # fmt: skip
    """n points of an equal mixture of K Gaussians N(c_k, std² I) on a circle, (n, 2).

    >>> ring_of_gaussians(5, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([5, 2])

    See the book: 11_generative.
    """
    check_int(n, "n", 1)
    check_real(std, "std", low=0)
    centres = ring_centres(num_modes, radius)
    which = torch.randint(0, num_modes, (n,), generator=generator)
    return centres[which] + std * torch.randn(n, 2, generator=generator)


def modes_covered(samples: Tensor, centres: Tensor, *, std: float, num_std: float = 3.0,
                  min_share: float = 0.01) -> tuple[int, float]:  # fmt: skip
    """How many modes the samples cover, and the share of samples that lie on some mode.

    A sample lies on mode k when it is within ``num_std`` · std of centre k; a mode is
    covered when at least ``min_share`` of all samples lie on it. Returns
    ``(modes covered, share of samples on a mode)``; the second is the samples' quality.

    >>> centres = torch.tensor([[0.0, 0.0], [5.0, 0.0]])
    >>> modes_covered(torch.tensor([[0.0, 0.01], [0.02, 0.0], [2.5, 0.0]]), centres, std=0.05)
    (1, 0.6666666666666666)

    See the book: 11_generative.
    """
    check_tensor(samples, "samples"), check_tensor(centres, "centres")
    if samples.ndim != 2 or centres.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples (n, p) and centres (K, p) must be points of the same space, "
                         f"got {tuple(samples.shape)} and {tuple(centres.shape)}")  # fmt: skip
    check_real(std, "std", low=0, low_open=True)
    check_real(min_share, "min_share", low=0, high=1)
    distances = torch.cdist(samples.double(), centres.double().to(samples.device))  # (n, K)
    nearest, which = distances.min(dim=1)
    on_mode = nearest < num_std * std
    counts = torch.bincount(which[on_mode], minlength=len(centres))
    return int((counts >= min_share * len(samples)).sum()), float(on_mode.double().mean())


def classes_covered(labels: Tensor, num_classes: int, *, min_share: float = 0.02) -> int:
    """How many classes receive at least ``min_share`` of the predicted labels.

    The coverage measure of a generator of images: a classifier labels its samples.

    >>> classes_covered(torch.tensor([1, 1, 1, 7]), 10, min_share=0.25)
    2
    """
    check_tensor(labels, "labels")
    check_int(num_classes, "num_classes", 1)
    check_real(min_share, "min_share", low=0, high=1)
    counts = torch.bincount(labels.flatten().long().cpu(), minlength=num_classes)
    return int((counts >= min_share * labels.numel()).sum())
