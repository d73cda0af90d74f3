"""Wrong-but-plausible answers for 04_optimization: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_momentum:mutates_the_velocity": {
        "cell": "q1_momentum",
        "tests": "q1_tests",
        "why": "updates the velocity in place (v *= momentum; v -= lr * grad): the caller's array changes under it",
        "source": '''def momentum_step(theta, v, grad, lr, momentum):
    """One heavy-ball momentum step; returns (new_theta, new_v)."""
    v *= momentum
    v -= lr * np.asarray(grad, dtype=float)
    return np.asarray(theta, dtype=float) + v, v
''',
    },
    "q1_momentum:pytorch_buffer_as_velocity": {
        "cell": "q1_momentum",
        "tests": "q1_tests",
        "why": "keeps PyTorch's buffer v <- lambda v + g and steps theta - lr * v: the same path, but new_v is not the velocity asked for",
        "source": '''def momentum_step(theta, v, grad, lr, momentum):
    """One heavy-ball momentum step; returns (new_theta, new_v)."""
    theta, v, grad = (np.asarray(a, dtype=float) for a in (theta, v, grad))
    new_v = momentum * v + grad
    return theta - lr * new_v, new_v
''',
    },
    "q1_momentum:dampened_average": {
        "cell": "q1_momentum",
        "tests": "q1_tests",
        "why": "makes the velocity an exponential moving average, v <- lambda v - (1 - lambda) alpha g, which shrinks every step by 1 - lambda",
        "source": '''def momentum_step(theta, v, grad, lr, momentum):
    """One heavy-ball momentum step; returns (new_theta, new_v)."""
    theta, v, grad = (np.asarray(a, dtype=float) for a in (theta, v, grad))
    new_v = momentum * v - (1 - momentum) * lr * grad
    return theta + new_v, new_v
''',
    },
    "q1_momentum:steps_with_the_old_velocity": {
        "cell": "q1_momentum",
        "tests": "q1_tests",
        "why": "moves theta with the old velocity and only then updates it (the two lines in the wrong order)",
        "source": '''def momentum_step(theta, v, grad, lr, momentum):
    """One heavy-ball momentum step; returns (new_theta, new_v)."""
    theta, v, grad = (np.asarray(a, dtype=float) for a in (theta, v, grad))
    new_theta = theta + v
    return new_theta, momentum * v - lr * grad
''',
    },
    "q2_adam:no_bias_correction": {
        "cell": "q2_adam",
        "tests": "q2_tests",
        "why": "steps with the raw averages m and v, as the lecture notes do: the first steps are far too small",
        "source": '''def adam_step(theta, m, v, grad, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step at step number t >= 1; returns (new_theta, new_m, new_v)."""
    theta, m, v, grad = (np.asarray(a, dtype=float) for a in (theta, m, v, grad))
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * new_m / (np.sqrt(new_v) + eps), new_m, new_v
''',
    },
    "q2_adam:eps_inside_the_root": {
        "cell": "q2_adam",
        "tests": "q2_tests",
        "why": "divides by sqrt(v_hat + eps) instead of sqrt(v_hat) + eps, which matters for small gradients or a large eps",
        "source": '''def adam_step(theta, m, v, grad, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step at step number t >= 1; returns (new_theta, new_m, new_v)."""
    theta, m, v, grad = (np.asarray(a, dtype=float) for a in (theta, m, v, grad))
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad**2
    m_hat = new_m / (1 - beta1**t)
    v_hat = new_v / (1 - beta2**t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), new_m, new_v
''',
    },
    "q2_adam:returns_the_corrected_averages": {
        "cell": "q2_adam",
        "tests": "q2_tests",
        "why": "returns m_hat and v_hat as the new state, so the correction is applied again on top of itself at the next step",
        "source": '''def adam_step(theta, m, v, grad, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step at step number t >= 1; returns (new_theta, new_m, new_v)."""
    theta, m, v, grad = (np.asarray(a, dtype=float) for a in (theta, m, v, grad))
    m_hat = (beta1 * m + (1 - beta1) * grad) / (1 - beta1**t)
    v_hat = (beta2 * v + (1 - beta2) * grad**2) / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat
''',
    },
    "q3_he:uniform_with_the_right_variance": {
        "cell": "q3_he",
        "tests": "q3_tests",
        "why": "He-uniform, U(-sqrt(6 / fan_in), sqrt(6 / fan_in)): the right variance 2 / fan_in, but not the normal distribution the task asks for",
        "source": '''def he_normal(fan_in, fan_out, rng):
    """He-normal weights of shape (fan_out, fan_in): N(0, 2 / fan_in)."""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_out, fan_in))
''',
    },
    "q3_he:variance_as_the_scale": {
        "cell": "q3_he",
        "tests": "q3_tests",
        "why": "passes the variance 2 / fan_in as rng.normal's scale, which is the standard deviation",
        "source": '''def he_normal(fan_in, fan_out, rng):
    """He-normal weights of shape (fan_out, fan_in): N(0, 2 / fan_in)."""
    return rng.normal(0.0, 2.0 / fan_in, size=(fan_out, fan_in))
''',
    },
    "q3_he:glorot_variance": {
        "cell": "q3_he",
        "tests": "q3_tests",
        "why": "uses Glorot's variance 2 / (fan_in + fan_out), meant for tanh, instead of He's 2 / fan_in",
        "source": '''def he_normal(fan_in, fan_out, rng):
    """He-normal weights of shape (fan_out, fan_in): N(0, 2 / fan_in)."""
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=(fan_out, fan_in))
''',
    },
    "q3_he:transposed_shape": {
        "cell": "q3_he",
        "tests": "q3_tests",
        "why": "returns shape (fan_in, fan_out), the x @ W layout, instead of nn.Linear's (fan_out, fan_in)",
        "source": '''def he_normal(fan_in, fan_out, rng):
    """He-normal weights of shape (fan_out, fan_in): N(0, 2 / fan_in)."""
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
''',
    },
    "q4_schedule:cosine_from_epoch_zero": {
        "cell": "q4_schedule",
        "tests": "q4_tests",
        "why": "measures the cosine's progress from epoch 0 (t / T) instead of from the end of the warm-up",
        "source": '''def warmup_cosine_lr(t, base_lr, warmup, total, start_factor=0.1, eta_min=0.0):
    """Learning rate at epoch t: linear warm-up for `warmup` epochs, then cosine to eta_min."""
    if t < warmup:
        return float(base_lr * (start_factor + (1 - start_factor) * t / warmup))
    return float(eta_min + 0.5 * (base_lr - eta_min) * (1 + math.cos(math.pi * t / total)))
''',
    },
    "q4_schedule:floor_added_to_the_full_amplitude": {
        "cell": "q4_schedule",
        "tests": "q4_tests",
        "why": "adds eta_min to a cosine of amplitude base_lr, so the peak overshoots base_lr whenever eta_min > 0",
        "source": '''def warmup_cosine_lr(t, base_lr, warmup, total, start_factor=0.1, eta_min=0.0):
    """Learning rate at epoch t: linear warm-up for `warmup` epochs, then cosine to eta_min."""
    if t < warmup:
        return float(base_lr * (start_factor + (1 - start_factor) * t / warmup))
    progress = (t - warmup) / (total - warmup)
    return float(eta_min + 0.5 * base_lr * (1 + math.cos(math.pi * progress)))
''',
    },
    "q4_schedule:warmup_reaches_the_peak_early": {
        "cell": "q4_schedule",
        "tests": "q4_tests",
        "why": "divides by W - 1 in the warm-up, so base_lr is reached one epoch early (an off-by-one)",
        "source": '''def warmup_cosine_lr(t, base_lr, warmup, total, start_factor=0.1, eta_min=0.0):
    """Learning rate at epoch t: linear warm-up for `warmup` epochs, then cosine to eta_min."""
    if t < warmup:
        return float(base_lr * (start_factor + (1 - start_factor) * t / max(warmup - 1, 1)))
    progress = (t - warmup) / (total - warmup)
    return float(eta_min + 0.5 * (base_lr - eta_min) * (1 + math.cos(math.pi * progress)))
''',
    },
}
