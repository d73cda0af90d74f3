"""Wrong-but-plausible answers for 11_generative: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_reparameterize:sigma_instead_of_log_variance": {
        "cell": "q1_reparameterize",
        "tests": "q1_tests",
        "why": "uses the encoder's second output as σ itself, z = μ + logvar · ε, instead of σ = exp(½ log σ²)",
        "source": '''def reparameterize(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps, differentiable in mu and logvar; all of shape (B, d)."""
    return mu + logvar * eps
''',
    },
    "q1_reparameterize:variance_instead_of_std": {
        "cell": "q1_reparameterize",
        "tests": "q1_tests",
        "why": "scales the noise by the variance exp(log σ²) instead of the standard deviation",
        "source": '''def reparameterize(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps, differentiable in mu and logvar; all of shape (B, d)."""
    return mu + torch.exp(logvar) * eps
''',
    },
    "q1_reparameterize:sigma_detached": {
        "cell": "q1_reparameterize",
        "tests": "q1_tests",
        "why": "detaches σ, so that no gradient reaches log σ² (right values, no learning of the variance)",
        "source": '''def reparameterize(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps, differentiable in mu and logvar; all of shape (B, d)."""
    return mu + torch.exp(0.5 * logvar).detach() * eps
''',
    },
    "q2_gaussian_kl:wrong_sign": {
        "cell": "q2_gaussian_kl",
        "tests": "q2_tests",
        "why": "copies −KL = ½ Σ (1 + log σ² − μ² − σ²) from the paper's ELBO: the KL with the wrong sign",
        "source": '''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) of each row, summed over the latent dimensions: (B,)."""
    return 0.5 * (1 + logvar - mu**2 - torch.exp(logvar)).sum(dim=1)
''',
    },
    "q2_gaussian_kl:mean_over_dimensions": {
        "cell": "q2_gaussian_kl",
        "tests": "q2_tests",
        "why": "averages over the latent dimensions instead of summing",
        "source": '''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) of each row, summed over the latent dimensions: (B,)."""
    return 0.5 * (mu**2 + torch.exp(logvar) - logvar - 1).mean(dim=1)
''',
    },
    "q2_gaussian_kl:missing_one_half": {
        "cell": "q2_gaussian_kl",
        "tests": "q2_tests",
        "why": "forgets the factor ½",
        "source": '''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) of each row, summed over the latent dimensions: (B,)."""
    return (mu**2 + torch.exp(logvar) - logvar - 1).sum(dim=1)
''',
    },
    "q3_elbo:kl_added": {
        "cell": "q3_elbo",
        "tests": "q3_tests",
        "why": "adds the KL instead of subtracting it (the KL with the wrong sign in the bound)",
        "source": '''def elbo(x, logits, mu, logvar):
    """log p(x|z) (Bernoulli, from logits, summed over pixels) - KL(q(z|x) || N(0, I)): (B,)."""
    log_px_z = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    kl = 0.5 * (mu**2 + torch.exp(logvar) - logvar - 1).sum(dim=1)
    return log_px_z + kl
''',
    },
    "q3_elbo:mean_over_pixels": {
        "cell": "q3_elbo",
        "tests": "q3_tests",
        "why": "averages the reconstruction term over the pixels, shrinking it by D against the KL",
        "source": '''def elbo(x, logits, mu, logvar):
    """log p(x|z) (Bernoulli, from logits, summed over pixels) - KL(q(z|x) || N(0, I)): (B,)."""
    log_px_z = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(dim=1)
    kl = 0.5 * (mu**2 + torch.exp(logvar) - logvar - 1).sum(dim=1)
    return log_px_z - kl
''',
    },
    "q3_elbo:unstable_log_sigmoid": {
        "cell": "q3_elbo",
        "tests": "q3_tests",
        "why": "takes log(sigmoid(logits)) and log(1 − sigmoid(logits)), which give −inf and NaN for large logits",
        "source": '''def elbo(x, logits, mu, logvar):
    """log p(x|z) (Bernoulli, from logits, summed over pixels) - KL(q(z|x) || N(0, I)): (B,)."""
    p = torch.sigmoid(logits)
    log_px_z = (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(dim=1)
    kl = 0.5 * (mu**2 + torch.exp(logvar) - logvar - 1).sum(dim=1)
    return log_px_z - kl
''',
    },
    "q3_elbo:returns_the_loss": {
        "cell": "q3_elbo",
        "tests": "q3_tests",
        "why": "returns −ELBO, the loss to minimize, instead of the bound",
        "source": '''def elbo(x, logits, mu, logvar):
    """log p(x|z) (Bernoulli, from logits, summed over pixels) - KL(q(z|x) || N(0, I)): (B,)."""
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    kl = 0.5 * (mu**2 + torch.exp(logvar) - logvar - 1).sum(dim=1)
    return reconstruction + kl
''',
    },
    "q4_discriminator_loss:labels_swapped": {
        "cell": "q4_discriminator_loss",
        "tests": "q4_tests",
        "why": "labels the real inputs 0 and the fakes 1",
        "source": '''def discriminator_loss(real_logits, fake_logits):
    """-mean log D(x_real) - mean log(1 - D(x_fake)), with D = sigmoid(logit); a scalar."""
    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()
''',
    },
    "q4_discriminator_loss:unstable_log_sigmoid": {
        "cell": "q4_discriminator_loss",
        "tests": "q4_tests",
        "why": "computes log(sigmoid(·)) directly: infinite when the discriminator is sure and wrong",
        "source": '''def discriminator_loss(real_logits, fake_logits):
    """-mean log D(x_real) - mean log(1 - D(x_fake)), with D = sigmoid(logit); a scalar."""
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
''',
    },
    "q4_discriminator_loss:one_mean_over_both_batches": {
        "cell": "q4_discriminator_loss",
        "tests": "q4_tests",
        "why": "averages over the real and fake inputs together, halving the loss (and weighting by batch size)",
        "source": '''def discriminator_loss(real_logits, fake_logits):
    """-mean log D(x_real) - mean log(1 - D(x_fake)), with D = sigmoid(logit); a scalar."""
    return torch.cat([F.softplus(-real_logits), F.softplus(fake_logits)]).mean()
''',
    },
    "q5_generator_loss:saturating": {
        "cell": "q5_generator_loss",
        "tests": "q5_tests",
        "why": "the saturating loss of the minimax game, mean log(1 − D(G(z))), whose gradient vanishes when D wins",
        "source": '''def generator_loss(fake_logits):
    """The non-saturating generator loss -mean log D(G(z)), D = sigmoid(logit); a scalar."""
    return -F.softplus(fake_logits).mean()
''',
    },
    "q5_generator_loss:fake_label": {
        "cell": "q5_generator_loss",
        "tests": "q5_tests",
        "why": "the cross-entropy with the label fake (0): the generator would help the discriminator",
        "source": '''def generator_loss(fake_logits):
    """The non-saturating generator loss -mean log D(G(z)), D = sigmoid(logit); a scalar."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
''',
    },
    "q5_generator_loss:unstable_log_sigmoid": {
        "cell": "q5_generator_loss",
        "tests": "q5_tests",
        "why": "−log(sigmoid(logit)) computed directly: infinite exactly when the discriminator wins by far",
        "source": '''def generator_loss(fake_logits):
    """The non-saturating generator loss -mean log D(G(z)), D = sigmoid(logit); a scalar."""
    return -torch.log(torch.sigmoid(fake_logits)).mean()
''',
    },
}
