"""Tests for course_lib.autoencoders: the VAE's pieces against PyTorch, Monte Carlo and quadrature.

- Does gaussian_kl equal torch.distributions.kl_divergence(Normal(μ, σ), Normal(0, 1)) summed
  over the latent dimensions, and a Monte-Carlo estimate, also for extreme log-variances?
- Does reparameterize give μ + σ ε, with the right mean and variance over many draws, and pass
  gradients to μ and log σ² (gradcheck)?
- Is bernoulli_log_likelihood torch's Bernoulli log-probability, finite for huge logits?
- Does the ELBO equal its parts, and is it a lower bound of the exact log-likelihood of a tiny
  model, computed by quadrature over a 1-D latent and normalized over all binary images? Does
  the importance-sampled estimate climb towards the exact value?
- Do the Autoencoder, the VAE, negative_elbo and the ELBOTerms callback fit together in
  course_lib.training.fit, and refuse bad input with a clear message?
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from helpers import TOL, gen, randn
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.distributions import Bernoulli, Normal, kl_divergence

from course_lib.autoencoders import (
    VAE,
    Autoencoder,
    ELBOTerms,
    bernoulli_log_likelihood,
    elbo,
    gaussian_kl,
    importance_log_likelihood,
    negative_elbo,
    reparameterize,
)
from course_lib.training import fit

pytestmark = pytest.mark.ch11

F64 = torch.float64


# --------------------------------------------------------------------------- #
# gaussian_kl
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("shape", [(5, 3), (1, 20), (2, 4, 6), (7,)])
def test_gaussian_kl_equals_torch_distributions(shape):
    mu, logvar = randn(*shape, seed=1, scale=2.0), randn(*shape, seed=2, scale=3.0)
    q = Normal(mu, torch.exp(0.5 * logvar))
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = kl_divergence(q, prior).sum(dim=-1)
    ours = gaussian_kl(mu, logvar)
    assert ours.shape == shape[:-1]
    torch.testing.assert_close(ours, expected, **TOL)


def test_gaussian_kl_equals_a_monte_carlo_estimate():
    mu = torch.tensor([[0.5, -1.0, 2.0]], dtype=F64)
    logvar = torch.tensor([[0.0, -1.0, 1.0]], dtype=F64)
    q = Normal(mu, torch.exp(0.5 * logvar))
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    torch.manual_seed(0)
    z = q.sample((400_000,))
    estimate = (q.log_prob(z) - prior.log_prob(z)).sum(dim=-1).mean(dim=0)
    torch.testing.assert_close(estimate, gaussian_kl(mu, logvar), rtol=0.01, atol=0.0)


def test_gaussian_kl_hand_cases_and_extremes():
    zero = torch.zeros(1, 4, dtype=F64)
    torch.testing.assert_close(gaussian_kl(zero, zero), torch.zeros(1, dtype=F64))
    # μ = 3 in one dimension: ½ μ²; σ² = e² : ½ (e² − 2 − 1)
    torch.testing.assert_close(
        gaussian_kl(torch.tensor([[3.0]], dtype=F64), torch.zeros(1, 1, dtype=F64)),
        torch.tensor([4.5], dtype=F64),
    )
    torch.testing.assert_close(
        gaussian_kl(torch.zeros(1, 1, dtype=F64), torch.full((1, 1), 2.0, dtype=F64)),
        torch.tensor([0.5 * (math.exp(2) - 3)], dtype=F64),
    )
    extreme = gaussian_kl(torch.zeros(1, 2, dtype=F64), torch.tensor([[-60.0, 30.0]], dtype=F64))
    assert torch.isfinite(extreme).all() and extreme.item() > 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=2, max_size=2),
    st.lists(st.floats(-5, 5), min_size=2, max_size=2),
)
def test_gaussian_kl_is_never_negative(mu, logvar):
    value = gaussian_kl(torch.tensor([mu], dtype=F64), torch.tensor([logvar], dtype=F64))
    assert value.item() >= -1e-12


def test_gaussian_kl_refuses_bad_input():
    with pytest.raises(ValueError, match="mu and logvar must have the same shape"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="at least one dimension"):
        gaussian_kl(torch.tensor(0.0), torch.tensor(0.0))
    with pytest.raises(TypeError, match=r"mu must be a torch\.Tensor"):
        gaussian_kl([0.0], torch.zeros(1))


# --------------------------------------------------------------------------- #
# reparameterize
# --------------------------------------------------------------------------- #
def test_reparameterize_with_given_noise_is_mu_plus_sigma_eps():
    mu, logvar, eps = randn(4, 3, seed=1), randn(4, 3, seed=2), randn(4, 3, seed=3)
    torch.testing.assert_close(
        reparameterize(mu, logvar, eps=eps), mu + torch.exp(0.5 * logvar) * eps, **TOL
    )
    # log σ² = log 4 → σ = 2
    z = reparameterize(
        torch.tensor([1.0], dtype=F64),
        torch.tensor([math.log(4.0)], dtype=F64),
        eps=torch.tensor([-0.5], dtype=F64),
    )
    torch.testing.assert_close(z, torch.tensor([0.0], dtype=F64))


def test_reparameterize_has_the_mean_and_variance_of_the_gaussian():
    mu = torch.tensor([2.0, -1.0, 0.0], dtype=F64).expand(200_000, 3)
    logvar = torch.tensor([0.0, math.log(0.25), math.log(9.0)], dtype=F64).expand(200_000, 3)
    z = reparameterize(mu, logvar, generator=gen(0))
    torch.testing.assert_close(z.mean(0), mu[0], rtol=0, atol=0.02)
    torch.testing.assert_close(z.var(0), logvar[0].exp(), rtol=0.02, atol=0)


def test_reparameterize_draws_reproducibly_from_a_generator():
    mu, logvar = torch.zeros(5, 2), torch.zeros(5, 2)
    a = reparameterize(mu, logvar, generator=gen(3))
    b = reparameterize(mu, logvar, generator=gen(3))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, reparameterize(mu, logvar, generator=gen(4)))


def test_reparameterize_passes_gradients_to_mu_and_logvar():
    mu = randn(3, 2, seed=1, requires_grad=True)
    logvar = randn(3, 2, seed=2, requires_grad=True)
    eps = randn(3, 2, seed=3)
    assert torch.autograd.gradcheck(lambda m, lv: reparameterize(m, lv, eps=eps), (mu, logvar))
    z = reparameterize(mu, logvar, eps=eps)
    g_mu, g_logvar = torch.autograd.grad(z.sum(), (mu, logvar))
    torch.testing.assert_close(g_mu, torch.ones_like(mu))
    torch.testing.assert_close(g_logvar, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


def test_reparameterize_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="mu and logvar"):
        reparameterize(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="mu and eps"):
        reparameterize(torch.zeros(2, 3), torch.zeros(2, 3), eps=torch.zeros(2))


# --------------------------------------------------------------------------- #
# bernoulli_log_likelihood, elbo, negative_elbo
# --------------------------------------------------------------------------- #
def test_bernoulli_log_likelihood_equals_torch_for_binary_and_grey_pixels():
    logits = randn(4, 1, 3, 3, seed=1, scale=3.0)
    x = (randn(4, 1, 3, 3, seed=2) > 0).to(F64)
    expected = Bernoulli(logits=logits.flatten(1)).log_prob(x.flatten(1)).sum(1)
    torch.testing.assert_close(bernoulli_log_likelihood(logits, x), expected, **TOL)
    grey = torch.rand(4, 9, generator=gen(3), dtype=F64)
    p = torch.sigmoid(logits.flatten(1))
    cross_entropy = grey * p.log() + (1 - grey) * (1 - p).log()
    torch.testing.assert_close(
        bernoulli_log_likelihood(logits.flatten(1), grey),
        cross_entropy.sum(1),
        rtol=1e-10,
        atol=1e-10,
    )


def test_bernoulli_log_likelihood_is_finite_for_huge_logits():
    logits = torch.tensor([[300.0, -300.0]], dtype=F64)
    value = bernoulli_log_likelihood(logits, torch.tensor([[0.0, 1.0]], dtype=F64))
    torch.testing.assert_close(value, torch.tensor([-600.0], dtype=F64))


def test_bernoulli_log_likelihood_refuses_mismatched_images():
    with pytest.raises(ValueError, match="logits and x"):
        bernoulli_log_likelihood(torch.zeros(2, 4), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="logits and x"):
        bernoulli_log_likelihood(torch.zeros(2, 4), torch.zeros(4, 2))  # same size, other batch


def test_elbo_equals_its_parts():
    x = (randn(5, 6, seed=1) > 0).to(F64)
    logits, mu, logvar = randn(5, 6, seed=2), randn(5, 2, seed=3), randn(5, 2, seed=4)
    expected = -nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(
        1
    ) - kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(elbo(x, logits, mu, logvar), expected, **TOL)


def test_negative_elbo_is_the_batch_mean_of_the_two_terms():
    terms = torch.tensor([[100.0, 20.0], [80.0, 30.0], [90.0, 10.0]], dtype=F64)
    torch.testing.assert_close(
        negative_elbo(terms, torch.zeros(3, 4)), torch.tensor(110.0, dtype=F64)
    )
    with pytest.raises(ValueError, match=r"shape \(B, 2\)"):
        negative_elbo(torch.zeros(3, 3))


class TinyModel:
    """p(z) = N(0, 1) in 1-D, p(x | z) = Π Bernoulli(σ(w_i z + b_i)) over 3 binary pixels."""

    def __init__(self, w, b):
        self.w, self.b = torch.tensor(w, dtype=F64), torch.tensor(b, dtype=F64)
        self.z = torch.linspace(-12, 12, 24_001, dtype=F64)  # quadrature grid
        self.log_prior = Normal(0.0, 1.0).log_prob(self.z)

    def log_px_given_z(self, x):  # (G,) for one image x (3,)
        logits = self.z[:, None] * self.w + self.b  # (G, 3)
        return bernoulli_log_likelihood(logits, x.expand(len(self.z), 3))

    def log_px(self, x):
        joint = self.log_prior + self.log_px_given_z(x)
        return torch.logsumexp(joint, 0) + torch.log(self.z[1] - self.z[0])

    def expected_elbo(self, x, mu, logvar):
        """E_q[log p(x | z)] by quadrature, q = N(mu, exp(logvar)), minus the closed-form KL."""
        q = Normal(mu, math.exp(0.5 * logvar)).log_prob(self.z).exp()
        reconstruction = torch.trapezoid(q * self.log_px_given_z(x), self.z)
        kl = gaussian_kl(torch.tensor([mu], dtype=F64), torch.tensor([logvar], dtype=F64))  # 0-d
        return reconstruction - kl


IMAGES = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)), dtype=F64)


def test_the_tiny_model_is_normalized():
    model = TinyModel([2.0, -1.5, 0.5], [0.3, -0.2, 1.0])
    total = sum(model.log_px(x).exp() for x in IMAGES)
    torch.testing.assert_close(total, torch.tensor(1.0, dtype=F64), rtol=0, atol=1e-9)


@pytest.mark.parametrize("mu, logvar", [(0.0, 0.0), (1.0, -1.0), (-0.5, 0.5), (2.0, -3.0)])
def test_the_elbo_is_a_lower_bound_of_the_exact_log_likelihood(mu, logvar):
    model = TinyModel([2.0, -1.5, 0.5], [0.3, -0.2, 1.0])
    for x in IMAGES:
        assert model.expected_elbo(x, mu, logvar) <= model.log_px(x) + 1e-9


def test_the_elbo_is_tight_when_q_is_the_posterior():
    # a decoder that ignores z: the posterior is the prior, and q = N(0, 1) makes the bound exact
    model = TinyModel([0.0, 0.0, 0.0], [0.3, -0.2, 1.0])
    for x in IMAGES:
        torch.testing.assert_close(
            model.expected_elbo(x, 0.0, 0.0), model.log_px(x), rtol=0, atol=1e-8
        )


def test_the_one_sample_elbo_averages_to_the_expected_elbo():
    model = TinyModel([2.0, -1.5, 0.5], [0.3, -0.2, 1.0])
    x, mu, logvar = IMAGES[5], 0.7, -0.8
    n = 200_000
    eps = torch.randn(n, 1, generator=gen(0), dtype=F64)
    z = reparameterize(
        torch.full((n, 1), mu, dtype=F64), torch.full((n, 1), logvar, dtype=F64), eps=eps
    )
    logits = z * model.w + model.b
    samples = elbo(
        x.expand(n, 3),
        logits,
        torch.full((n, 1), mu, dtype=F64),
        torch.full((n, 1), logvar, dtype=F64),
    )
    torch.testing.assert_close(
        samples.mean(), model.expected_elbo(x, mu, logvar), rtol=0, atol=0.01
    )


def tiny_vae(seed=0):
    torch.manual_seed(seed)
    return VAE(3, 8, 1).double()


def exact_vae_log_px(vae, x):
    """log p(x) of a VAE with a 1-D latent, by quadrature, for a batch of images (B, 3)."""
    z = torch.linspace(-12, 12, 12_001, dtype=F64)[:, None]
    with torch.no_grad():
        logits = vae.decode(z)  # (G, 3)
    values = []
    for image in x:
        joint = Normal(0.0, 1.0).log_prob(z[:, 0]) + bernoulli_log_likelihood(
            logits, image.expand(len(z), 3)
        )
        values.append(torch.logsumexp(joint, 0) + math.log(24 / 12_000))
    return torch.stack(values)


def test_importance_sampling_climbs_towards_the_exact_log_likelihood():
    vae = tiny_vae()
    with torch.no_grad():  # a decoder that depends strongly on z: a wide gap for the ELBO
        for parameter in vae.decoder.parameters():
            parameter.mul_(4)
    exact = exact_vae_log_px(vae, IMAGES)
    torch.testing.assert_close(exact.exp().sum(), torch.tensor(1.0, dtype=F64), rtol=0, atol=1e-6)
    estimates = {}
    for K, copies in ((1, 2000), (10, 200), (1000, 4)):  # the mean over copies of each image
        batch = IMAGES.repeat(copies, 1)
        values = importance_log_likelihood(vae, batch, num_samples=K, generator=gen(K))
        estimates[K] = values.reshape(copies, len(IMAGES)).mean(0)
    assert torch.all(estimates[1] < exact - 0.1)  # K = 1: the ELBO, a loose lower bound here
    assert torch.all(estimates[1] < estimates[10]) and torch.all(estimates[10] < exact + 0.02)
    torch.testing.assert_close(estimates[1000], exact, rtol=0, atol=0.05)


# --------------------------------------------------------------------------- #
# The modules and fit
# --------------------------------------------------------------------------- #
def test_autoencoder_shapes_and_bad_sizes():
    ae = Autoencoder(16, 8, 3)
    x = torch.rand(5, 1, 4, 4)
    assert ae.encode(x).shape == (5, 3) and ae.decode(torch.zeros(2, 3)).shape == (2, 16)
    assert ae(x).shape == x.shape
    with pytest.raises(ValueError, match="latent_dim must be an integer >= 1"):
        Autoencoder(16, 8, 0)


def test_vae_forward_returns_the_two_terms_of_the_negative_elbo():
    vae = tiny_vae(1)
    x = IMAGES[:5]
    torch.manual_seed(7)
    terms = vae(x)
    torch.manual_seed(7)  # the same draw of ε
    mu, logvar = vae.encode(x)
    z = reparameterize(mu, logvar)
    expected = -elbo(x, vae.decode(z), mu, logvar)
    assert terms.shape == (5, 2)
    torch.testing.assert_close(terms.sum(1), expected, **TOL)
    torch.testing.assert_close(terms[:, 1], gaussian_kl(mu, logvar), **TOL)


def test_vae_samples_are_pixel_means_and_reproducible():
    vae = VAE(16, 8, 2)
    a, b = vae.sample(4, generator=gen(0)), vae.sample(4, generator=gen(0))
    assert a.shape == (4, 16) and torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        vae.sample(0)


def test_fit_trains_a_vae_and_elbo_terms_add_up_to_the_training_loss():
    X = (torch.rand(200, 1, 4, 4, generator=gen(0)) > 0.5).float()
    vae = VAE(16, 32, 2)
    callback = ELBOTerms({"test": X[:50]}, batch_size=20)
    history = fit(
        vae,
        (X, X),
        num_epochs=3,
        batch_size=50,
        lr=1e-2,
        loss_fn=negative_elbo,
        callbacks=[callback],
        progress=False,
        seed=0,
    )
    for key in ("train_reconstruction", "train_kl", "test_reconstruction", "test_kl"):
        assert len(history[key]) == 3
    for epoch in range(3):
        total = history["train_reconstruction"][epoch] + history["train_kl"][epoch]
        assert total == pytest.approx(history["train_loss"][epoch], rel=1e-6)
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_fit_trains_an_autoencoder_to_reconstruct():
    X = torch.rand(64, 1, 4, 4, generator=gen(1))
    ae = Autoencoder(16, 32, 4)
    history = fit(
        ae,
        (X, X),
        num_epochs=30,
        batch_size=16,
        lr=1e-2,
        progress=False,
        seed=0,
        loss_fn=nn.functional.binary_cross_entropy_with_logits,
    )
    assert history["train_loss"][-1] < history["train_loss"][0] - 0.02
