"""Chapter 11 autoencoders and the variational autoencoder (VAE) from their equations.

An autoencoder compresses x to a code z = f(x) and decodes it back, x̂ = g(z), trained to
reproduce its input. The VAE (Kingma & Welling 2014; Rezende et al. 2014) makes the code a
random variable: a prior p(z) = N(0, I), an encoder q(z|x) = N(μ(x), diag σ²(x)) and a
decoder p(x|z), here Bernoulli with means sigmoid(logits(z)). It maximizes the evidence
lower bound of every image,

    log p(x) ≥ ELBO(x) = E_{q(z|x)}[log p(x|z)] − KL(q(z|x) ‖ p(z)),

whose KL term has the closed form ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1), and whose expectation
is estimated with z = μ + σ ⊙ ε, ε ~ N(0, I) (the reparameterization trick), so that the
gradient reaches μ and log σ².

``VAE.forward`` returns each image's two terms, so that :func:`course_lib.training.fit`
trains it with ``loss_fn=negative_elbo`` and logs them with :class:`ELBOTerms`.

See the book: 11_generative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812 - PyTorch's own convention

from course_lib.callbacks import Callback, TrainingState
from course_lib.models import make_mlp
from course_lib.validation import check_int, check_same_shape, check_tensor

__all__ = [
    "VAE",
    "Autoencoder",
    "ELBOTerms",
    "bernoulli_log_likelihood",
    "elbo",
    "gaussian_kl",
    "importance_log_likelihood",
    "negative_elbo",
    "reparameterize",
]


def reparameterize(mu: Tensor, logvar: Tensor, *, eps: Tensor | None = None,
                   generator: torch.Generator | None = None) -> Tensor:  # fmt: skip
    """A sample z = μ + σ ⊙ ε of N(μ, diag σ²), with σ = exp(½ log σ²) and ε ~ N(0, I).

    The randomness is in ε alone, so z is a differentiable function of μ and log σ²: the
    gradient of a loss on z reaches the encoder. ``eps`` gives the noise (deterministic
    tests); otherwise it is drawn from ``generator`` (on μ's device).

    Shape: mu, logvar and eps (B, d) or any common shape → z of the same shape.

    >>> reparameterize(torch.tensor([1.0]), torch.tensor([math.log(4.0)]), eps=torch.tensor([0.5]))
    tensor([2.])

    See the book: 11_generative.
    """
    check_same_shape(mu, logvar, "mu", "logvar")
    if eps is None:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    else:
        check_same_shape(mu, eps, "mu", "eps")
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1), summed over the last dim.

    Shape: mu and logvar (..., d) → (...,): one KL per row (per image).

    >>> gaussian_kl(torch.zeros(1, 3), torch.zeros(1, 3))   # q equals the prior
    tensor([0.])
    >>> gaussian_kl(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2))   # ½ μ²
    tensor([0.5000])

    See the book: 11_generative.
    """
    check_same_shape(mu, logvar, "mu", "logvar")
    if mu.ndim == 0:
        raise ValueError("mu must have at least one dimension (the latent one), got a scalar")
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(dim=-1)


def bernoulli_log_likelihood(logits: Tensor, x: Tensor) -> Tensor:
    """log p(x|z) = Σ_i [x_i log p_i + (1 − x_i) log(1 − p_i)], p_i = sigmoid(logits_i).

    Summed over every dimension but the first (one number per image), computed from the
    logits without forming p (stable for large |logits|). For grey levels x_i ∈ (0, 1) it is
    the (negative) binary cross-entropy, not the log of a normalized density over [0, 1].

    Shape: logits and x (B, ...) with the same number of elements per row → (B,).

    >>> bernoulli_log_likelihood(torch.zeros(1, 4), torch.ones(1, 4))   # 4 log ½
    tensor([-2.7726])

    See the book: 11_generative.
    """
    check_tensor(logits, "logits"), check_tensor(x, "x")
    if logits.ndim == 0 or logits.shape[0] != x.shape[0] or logits.numel() != x.numel():
        raise ValueError(f"logits and x must hold the same (B, ...) values, got shapes "
                         f"{tuple(logits.shape)} and {tuple(x.shape)}")  # fmt: skip
    per_pixel = F.binary_cross_entropy_with_logits(logits.flatten(1), x.flatten(1).to(logits),
                                                   reduction="none")  # fmt: skip
    return -per_pixel.sum(dim=1)


def elbo(x: Tensor, logits: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """The evidence lower bound of each image, log p(x|z) − KL(q(z|x) ‖ N(0, I)).

    ``logits`` decode one sample z ~ q(z|x) (a one-sample estimate of the expectation);
    ``mu`` and ``logvar`` are the encoder's outputs for x.

    Shape: x (B, ...), logits (B, D), mu and logvar (B, d) → (B,), in nats.

    >>> x, logits = torch.ones(1, 2), torch.zeros(1, 2)
    >>> elbo(x, logits, torch.tensor([[1.0]]), torch.zeros(1, 1))   # 2 log ½ − ½
    tensor([-1.8863])

    See the book: 11_generative.
    """
    return bernoulli_log_likelihood(logits, x) - gaussian_kl(mu, logvar)


def negative_elbo(terms: Tensor, target: Tensor | None = None) -> Tensor:
    """The VAE's loss for :func:`course_lib.training.fit`: −ELBO averaged over the batch.

    ``terms`` is what :meth:`VAE.forward` returns, (B, 2): the reconstruction term
    −log p(x|z) and the KL of each image; their sum is −ELBO. ``target`` (the images)
    is accepted and ignored, so that the signature is ``loss_fn(output, y)``.

    >>> negative_elbo(torch.tensor([[100.0, 20.0], [90.0, 30.0]]))
    tensor(120.)
    """
    check_tensor(terms, "terms")
    if terms.ndim != 2 or terms.shape[1] != 2:
        raise ValueError(f"terms must have shape (B, 2) (reconstruction, KL), got "
                         f"{tuple(terms.shape)}")  # fmt: skip
    return terms.sum(dim=1).mean()


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    """sizes[0] → sizes[1] … → sizes[-1] with ReLU between, no activation at the end."""
    return make_mlp(sizes[0], sizes[1:-1], sizes[-1])


class Autoencoder(nn.Module):
    """x → z = f(x) → logits of x̂ = g(z): an MLP encoder and decoder, D → H → d → H → D.

    ``forward`` returns the decoder's logits with the input's shape, so that
    ``fit(ae, (X, X), loss_fn=F.binary_cross_entropy_with_logits)`` trains it to reproduce X.

    >>> ae = Autoencoder(784, 400, 2)
    >>> ae.encode(torch.zeros(5, 1, 28, 28)).shape, ae(torch.zeros(5, 1, 28, 28)).shape
    (torch.Size([5, 2]), torch.Size([5, 1, 28, 28]))

    See the book: 11_generative.
    """

    def __init__(self, num_inputs: int = 784, num_hiddens: int = 400, latent_dim: int = 2):
        super().__init__()
        sizes = [check_int(v, name, 1) for v, name in ((num_inputs, "num_inputs"),
                 (num_hiddens, "num_hiddens"), (latent_dim, "latent_dim"))]  # fmt: skip
        self.num_inputs, self.latent_dim = num_inputs, latent_dim
        self.encoder = _mlp(sizes)
        self.decoder = _mlp(sizes[::-1])

    def encode(self, x: Tensor) -> Tensor:
        """The code z = f(x), (B, d), of images (B, ...) with D values each."""
        return self.encoder(x.flatten(1))

    def decode(self, z: Tensor) -> Tensor:
        """The logits of x̂ = g(z), (B, D); sigmoid gives the pixel values."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x)).reshape(x.shape)


class VAE(nn.Module):
    """The variational autoencoder: encoder q(z|x) = N(μ, diag σ²), Bernoulli decoder p(x|z).

    The encoder's last layer outputs μ and log σ² (2d numbers); ``forward(x)`` draws one
    z = μ + σ ⊙ ε per image and returns the two terms of −ELBO, (B, 2):
    ``[−log p(x|z), KL(q(z|x) ‖ N(0, I))]``, in nats. Their sum is the loss
    (:func:`negative_elbo`); :meth:`encode`, :meth:`decode` and :meth:`sample` are the parts.

    >>> vae = VAE(784, 400, 20)
    >>> vae(torch.rand(5, 1, 28, 28)).shape, vae.sample(3).shape
    (torch.Size([5, 2]), torch.Size([3, 784]))

    See the book: 11_generative.
    """

    def __init__(self, num_inputs: int = 784, num_hiddens: int = 400, latent_dim: int = 20):
        super().__init__()
        sizes = [check_int(v, name, 1) for v, name in ((num_inputs, "num_inputs"),
                 (num_hiddens, "num_hiddens"), (latent_dim, "latent_dim"))]  # fmt: skip
        self.num_inputs, self.latent_dim = num_inputs, latent_dim
        self.encoder = _mlp([num_inputs, num_hiddens, 2 * latent_dim])
        self.decoder = _mlp(sizes[::-1])

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(μ, log σ²) of q(z|x), each (B, d), for images (B, ...) with D values each."""
        mu, logvar = self.encoder(x.flatten(1)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: Tensor) -> Tensor:
        """The logits of p(x|z), (B, D): pixel i is 1 with probability sigmoid(logits_i)."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        reconstruction = -bernoulli_log_likelihood(self.decode(z), x)
        return torch.stack([reconstruction, gaussian_kl(mu, logvar)], dim=1)  # (B, 2)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """n images from the model: z ~ N(0, I), then the decoder's means sigmoid(logits).

        z is drawn on the CPU from ``generator`` and moved to the model's device, so that a
        seed gives the same samples on every device.
        """
        check_int(n, "n", 1)
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator).to(device)
        return torch.sigmoid(self.decode(z))


class ELBOTerms(Callback):
    """Log the two terms of −ELBO every epoch while :func:`fit` trains a :class:`VAE`.

    History keys: ``train_reconstruction`` and ``train_kl`` (means over the epoch's batches,
    read from the model's outputs), and ``<name>_reconstruction``, ``<name>_kl`` for each
    set of images in ``eval_data`` (one pass without gradients after the epoch).
    """

    def __init__(self, eval_data: Mapping[str, Tensor] | None = None, *, batch_size: int = 1000):
        self.eval_data = dict(eval_data or {})
        self.batch_size = check_int(batch_size, "batch_size", 1)
        self._sums = torch.zeros(2)
        self._count = 0

    def on_epoch_begin(self, state: TrainingState) -> None:
        self._sums, self._count = torch.zeros(2, dtype=torch.float64), 0

    def on_batch_end(self, state: TrainingState) -> None:
        self._sums += state.output.sum(dim=0).double().cpu()
        self._count += len(state.output)

    def on_epoch_end(self, state: TrainingState) -> None:
        for key, value in zip(("reconstruction", "kl"), self._sums / self._count, strict=True):
            state.log(f"train_{key}", float(value))
        state.model.eval()
        with torch.no_grad():
            for name, X in self.eval_data.items():
                terms = torch.cat([state.model(batch.to(state.device))
                                   for batch in X.split(self.batch_size)])  # fmt: skip
                state.log(f"{name}_reconstruction", float(terms[:, 0].mean()))
                state.log(f"{name}_kl", float(terms[:, 1].mean()))
        state.model.train()


@torch.no_grad()
def importance_log_likelihood(vae: VAE, x: Tensor, *, num_samples: int = 100,
                              generator: torch.Generator | None = None) -> Tensor:  # fmt: skip
    """An estimate of log p(x) by importance sampling with q(z|x) as the proposal.

    log p(x) ≈ log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x) (Burda et al. 2016).
    Its expectation is a lower bound of log p(x) that rises with K towards it; K = 1 is
    the ELBO. Returns (B,) in nats.

    See the book: 11_generative.
    """
    check_int(num_samples, "num_samples", 1)
    mu, logvar = vae.encode(x)
    std = torch.exp(0.5 * logvar)
    log_weights = []
    for _ in range(num_samples):
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + std * eps
        log_prior = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(dim=1)
        log_q = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(dim=1)
        log_weights.append(bernoulli_log_likelihood(vae.decode(z), x) + log_prior - log_q)
    return torch.logsumexp(torch.stack(log_weights), dim=0) - math.log(num_samples)
