"""Wrong-but-plausible answers for 12_adversarial: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_fgsm:no_clipping": {
        "cell": "q1_fgsm",
        "tests": "q1_tests",
        "why": "forgets the valid range: values above 1 or below 0 are not images",
        "source": '''def fgsm_attack(x, y, W, b, epsilon):
    """x' = clip(x + epsilon * sign(grad_x CE(x @ W.T + b, y)), 0, 1)."""
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(x @ W.T + b, y, reduction="sum")
    (gradient,) = torch.autograd.grad(loss, x)
    return (x + epsilon * gradient.sign()).detach()
''',
    },
    "q1_fgsm:gradient_not_its_sign": {
        "cell": "q1_fgsm",
        "tests": "q1_tests",
        "why": "steps along the gradient itself instead of its sign (an L2-style step of the wrong size)",
        "source": '''def fgsm_attack(x, y, W, b, epsilon):
    """x' = clip(x + epsilon * sign(grad_x CE(x @ W.T + b, y)), 0, 1)."""
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(x @ W.T + b, y, reduction="sum")
    (gradient,) = torch.autograd.grad(loss, x)
    return (x + epsilon * gradient).clamp(0, 1).detach()
''',
    },
    "q1_fgsm:descends_the_loss": {
        "cell": "q1_fgsm",
        "tests": "q1_tests",
        "why": "subtracts the signed gradient, as a training step would: the loss falls",
        "source": '''def fgsm_attack(x, y, W, b, epsilon):
    """x' = clip(x + epsilon * sign(grad_x CE(x @ W.T + b, y)), 0, 1)."""
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(x @ W.T + b, y, reduction="sum")
    (gradient,) = torch.autograd.grad(loss, x)
    return (x - epsilon * gradient.sign()).clamp(0, 1).detach()
''',
    },
    "q2_project:ball_without_range": {
        "cell": "q2_project",
        "tests": "q2_tests",
        "why": "projects onto the epsilon-ball only and forgets the valid range [0, 1]",
        "source": '''def project_linf(x_adv, x, epsilon):
    """The nearest point to x_adv with |x_adv - x| <= epsilon everywhere and values in [0, 1]."""
    return torch.minimum(torch.maximum(x_adv, x - epsilon), x + epsilon)
''',
    },
    "q2_project:range_without_ball": {
        "cell": "q2_project",
        "tests": "q2_tests",
        "why": "clips to [0, 1] only: the perturbation budget is not enforced",
        "source": '''def project_linf(x_adv, x, epsilon):
    """The nearest point to x_adv with |x_adv - x| <= epsilon everywhere and values in [0, 1]."""
    return x_adv.clamp(0, 1)
''',
    },
    "q3_pgd_step:projects_before_stepping": {
        "cell": "q3_pgd_step",
        "tests": "q3_tests",
        "why": "projects the current iterate and then steps: the result can leave the ball by alpha",
        "source": '''def pgd_step(x_t, x, grad, epsilon, alpha):
    """x_{t+1} = clamp(x_t + alpha * sign(grad)) into the epsilon-ball around x and into [0, 1]."""
    projected = torch.minimum(torch.maximum(x_t, x - epsilon), x + epsilon).clamp(0, 1)
    return projected + alpha * grad.sign()
''',
    },
    "q3_pgd_step:projects_around_the_iterate": {
        "cell": "q3_pgd_step",
        "tests": "q3_tests",
        "why": "projects around x_t instead of the original x: the ball moves with every step",
        "source": '''def pgd_step(x_t, x, grad, epsilon, alpha):
    """x_{t+1} = clamp(x_t + alpha * sign(grad)) into the epsilon-ball around x and into [0, 1]."""
    stepped = x_t + alpha * grad.sign()
    return torch.minimum(torch.maximum(stepped, x_t - epsilon), x_t + epsilon).clamp(0, 1)
''',
    },
    "q4_simba_step:break_outside_the_if": {
        "cell": "q4_simba_step",
        "tests": "q4_tests",
        "why": "the slides' pseudocode: gives up after +epsilon whether or not it was accepted",
        "source": '''def simba_step(x_adv, q, epsilon, p_y, y, W, b):
    """Try x_adv + eps q, then x_adv - eps q; keep the first that lowers p_y. -> (x, p_y, queries)."""
    queries = 0
    for alpha in (epsilon, -epsilon):
        candidate = (x_adv + alpha * q).clamp(0, 1)
        with torch.no_grad():
            p_new = float(torch.softmax(candidate @ W.T + b, dim=-1)[y])
        queries += 1
        if p_new < p_y:
            x_adv, p_y = candidate, p_new
        break
    return x_adv, p_y, queries
''',
    },
    "q4_simba_step:accepts_equal_probability": {
        "cell": "q4_simba_step",
        "tests": "q4_tests",
        "why": "accepts p' <= p_y: a step that changes nothing is kept and -epsilon never tried",
        "source": '''def simba_step(x_adv, q, epsilon, p_y, y, W, b):
    """Try x_adv + eps q, then x_adv - eps q; keep the first that lowers p_y. -> (x, p_y, queries)."""
    queries = 0
    for alpha in (epsilon, -epsilon):
        candidate = (x_adv + alpha * q).clamp(0, 1)
        with torch.no_grad():
            p_new = float(torch.softmax(candidate @ W.T + b, dim=-1)[y])
        queries += 1
        if p_new <= p_y:
            return candidate, p_new, queries
    return x_adv, p_y, queries
''',
    },
    "q4_simba_step:raises_the_true_class": {
        "cell": "q4_simba_step",
        "tests": "q4_tests",
        "why": "accepts a step when the true class's probability rises (the rule upside down)",
        "source": '''def simba_step(x_adv, q, epsilon, p_y, y, W, b):
    """Try x_adv + eps q, then x_adv - eps q; keep the first that lowers p_y. -> (x, p_y, queries)."""
    queries = 0
    for alpha in (epsilon, -epsilon):
        candidate = (x_adv + alpha * q).clamp(0, 1)
        with torch.no_grad():
            p_new = float(torch.softmax(candidate @ W.T + b, dim=-1)[y])
        queries += 1
        if p_new > p_y:
            return candidate, p_new, queries
    return x_adv, p_y, queries
''',
    },
}
