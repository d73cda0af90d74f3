"""Wrong-but-plausible answers for 07_generalization: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

WRONG_ANSWERS = {
    "q1_binary_accuracy:threshold_half": {
        "cell": "q1_binary_accuracy",
        "tests": "q1_tests",
        "why": "thresholds the logit at 0.5 as if it were a probability",
        "source": '''def binary_accuracy(logits, y):
    """Share of points whose prediction, 1 if the logit is > 0 else 0, equals the label y."""
    predicted = (logits.detach().reshape(-1) > 0.5).long()
    return (predicted == y.detach().reshape(-1).long()).double().mean().item()
''',
    },
    "q1_binary_accuracy:broadcast": {
        "cell": "q1_binary_accuracy",
        "tests": "q1_tests",
        "why": "compares (N, 1) predictions with (N,) labels: broadcasts to an (N, N) table",
        "source": '''def binary_accuracy(logits, y):
    """Share of points whose prediction, 1 if the logit is > 0 else 0, equals the label y."""
    return ((logits > 0).long() == y).double().mean().item()
''',
    },
    "q1_binary_accuracy:argmax": {
        "cell": "q1_binary_accuracy",
        "tests": "q1_tests",
        "why": "takes the arg-max over a single output column: always class 0",
        "source": '''def binary_accuracy(logits, y):
    """Share of points whose prediction, 1 if the logit is > 0 else 0, equals the label y."""
    predicted = logits.reshape(len(y), -1).argmax(dim=1)
    return (predicted == y).double().mean().item()
''',
    },
    "q2_id_ood_accuracy:no_relu": {
        "cell": "q2_id_ood_accuracy",
        "tests": "q2_tests",
        "why": "forgets the ReLU between layers: the network collapses to one linear map",
        "source": '''def mlp_logits(params, X):
    """Logits (N, 1) of the ReLU network with params [W1, b1, ..., WL, bL] on points X (N, 2)."""
    h = torch.as_tensor(X, dtype=params[0].dtype)
    for W, b in zip(params[0::2], params[1::2]):
        h = h @ W.T + b
    return h


def id_ood_accuracy(params, X_id, y_id, X_ood, y_ood):
    """(accuracy on the in-distribution set, accuracy on the out-of-distribution set)."""
    with torch.no_grad():
        return (binary_accuracy(mlp_logits(params, X_id), torch.as_tensor(y_id)),
                binary_accuracy(mlp_logits(params, X_ood), torch.as_tensor(y_ood)))
''',
    },
    "q2_id_ood_accuracy:no_transpose": {
        "cell": "q2_id_ood_accuracy",
        "tests": "q2_tests",
        "why": "multiplies by W instead of W transposed (nn.Linear stores (out, in))",
        "source": '''def mlp_logits(params, X):
    """Logits (N, 1) of the ReLU network with params [W1, b1, ..., WL, bL] on points X (N, 2)."""
    h = torch.as_tensor(X, dtype=params[0].dtype)
    layers = list(zip(params[0::2], params[1::2]))
    for k, (W, b) in enumerate(layers):
        h = h @ W + b
        if k < len(layers) - 1:
            h = torch.relu(h)
    return h


def id_ood_accuracy(params, X_id, y_id, X_ood, y_ood):
    """(accuracy on the in-distribution set, accuracy on the out-of-distribution set)."""
    with torch.no_grad():
        return (binary_accuracy(mlp_logits(params, X_id), torch.as_tensor(y_id)),
                binary_accuracy(mlp_logits(params, X_ood), torch.as_tensor(y_ood)))
''',
    },
    "q2_id_ood_accuracy:swapped": {
        "cell": "q2_id_ood_accuracy",
        "tests": "q2_tests",
        "why": "returns the pair in the wrong order (out of distribution first)",
        "source": '''def mlp_logits(params, X):
    """Logits (N, 1) of the ReLU network with params [W1, b1, ..., WL, bL] on points X (N, 2)."""
    h = torch.as_tensor(X, dtype=params[0].dtype)
    layers = list(zip(params[0::2], params[1::2]))
    for k, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if k < len(layers) - 1:
            h = torch.relu(h)
    return h


def id_ood_accuracy(params, X_id, y_id, X_ood, y_ood):
    """(accuracy on the in-distribution set, accuracy on the out-of-distribution set)."""
    with torch.no_grad():
        return (binary_accuracy(mlp_logits(params, X_ood), torch.as_tensor(y_ood)),
                binary_accuracy(mlp_logits(params, X_id), torch.as_tensor(y_id)))
''',
    },
    "q3_equivariance_error:invariance": {
        "cell": "q3_equivariance_error",
        "tests": "q3_tests",
        "why": "measures invariance, f(g x) against f(x), instead of equivariance",
        "source": '''def equivariance_error(x, w, shift=(0, 0), quarter_turns=0):
    """||f(g x) - g f(x)|| / ||g f(x)|| for f = 'same' convolution with w, g = rotate then roll."""
    def f(t):
        return torch.nn.functional.conv2d(t, w, padding=w.shape[-1] // 2)

    def g(t):
        return torch.roll(torch.rot90(t, quarter_turns, dims=(2, 3)), tuple(shift), dims=(2, 3))

    expected = f(x)
    return (torch.linalg.vector_norm(f(g(x)) - expected)
            / torch.linalg.vector_norm(expected)).item()
''',
    },
    "q3_equivariance_error:absolute": {
        "cell": "q3_equivariance_error",
        "tests": "q3_tests",
        "why": "returns the absolute error, which grows with the scale of the image",
        "source": '''def equivariance_error(x, w, shift=(0, 0), quarter_turns=0):
    """||f(g x) - g f(x)|| / ||g f(x)|| for f = 'same' convolution with w, g = rotate then roll."""
    def f(t):
        return torch.nn.functional.conv2d(t, w, padding=w.shape[-1] // 2)

    def g(t):
        return torch.roll(torch.rot90(t, quarter_turns, dims=(2, 3)), tuple(shift), dims=(2, 3))

    return torch.linalg.vector_norm(f(g(x)) - g(f(x))).item()
''',
    },
    "q3_equivariance_error:g_only_on_output": {
        "cell": "q3_equivariance_error",
        "tests": "q3_tests",
        "why": "compares f(x) with g f(x): forgets to transform the input",
        "source": '''def equivariance_error(x, w, shift=(0, 0), quarter_turns=0):
    """||f(g x) - g f(x)|| / ||g f(x)|| for f = 'same' convolution with w, g = rotate then roll."""
    def f(t):
        return torch.nn.functional.conv2d(t, w, padding=w.shape[-1] // 2)

    def g(t):
        return torch.roll(torch.rot90(t, quarter_turns, dims=(2, 3)), tuple(shift), dims=(2, 3))

    expected = g(f(x))
    return (torch.linalg.vector_norm(f(x) - expected)
            / torch.linalg.vector_norm(expected)).item()
''',
    },
    "q4_adjust_contrast:batch_mean": {
        "cell": "q4_adjust_contrast",
        "tests": "q4_tests",
        "why": "uses one mean over the whole batch instead of one per image",
        "source": '''def adjust_contrast(x, factor):
    """clamp(m + factor (x - m), 0, 1) with m the mean of each image of the batch x (N, 1, H, W)."""
    m = x.mean()
    return (m + factor * (x - m)).clamp(0.0, 1.0)
''',
    },
    "q4_adjust_contrast:no_clamp": {
        "cell": "q4_adjust_contrast",
        "tests": "q4_tests",
        "why": "forgets to clamp: factors above 1 leave [0, 1]",
        "source": '''def adjust_contrast(x, factor):
    """clamp(m + factor (x - m), 0, 1) with m the mean of each image of the batch x (N, 1, H, W)."""
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    return m + factor * (x - m)
''',
    },
    "q4_adjust_contrast:towards_half": {
        "cell": "q4_adjust_contrast",
        "tests": "q4_tests",
        "why": "blends towards mid-grey 0.5 instead of the image's own mean",
        "source": '''def adjust_contrast(x, factor):
    """clamp(m + factor (x - m), 0, 1) with m the mean of each image of the batch x (N, 1, H, W)."""
    return (0.5 + factor * (x - 0.5)).clamp(0.0, 1.0)
''',
    },
    "q5_ball_cube_ratio:gamma_d_over_2": {
        "cell": "q5_ball_cube_ratio",
        "tests": "q5_tests",
        "why": "writes Gamma(d/2) for Gamma(d/2 + 1) in the ball's volume",
        "source": '''def ball_cube_ratio(d):
    """Volume of the unit ball in d dimensions over the volume 2^d of the cube [-1, 1]^d."""
    return math.pi ** (d / 2) / math.gamma(d / 2) / 2**d
''',
    },
    "q5_ball_cube_ratio:unit_cube": {
        "cell": "q5_ball_cube_ratio",
        "tests": "q5_tests",
        "why": "divides by the unit cube (volume 1) instead of the cube [-1, 1]^d of side 2",
        "source": '''def ball_cube_ratio(d):
    """Volume of the unit ball in d dimensions over the volume 2^d of the cube [-1, 1]^d."""
    return math.pi ** (d / 2) / math.gamma(d / 2 + 1)
''',
    },
}
