"""Wrong-but-plausible answers for 01_foundations: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_sigmoid:textbook_formula": {
        "cell": "q1_sigmoid",
        "tests": "q1_tests",
        "why": "the textbook 1 / (1 + exp(-x)): exp(1e4) overflows, with a warning",
        "source": '''def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)), element-wise and overflow-free."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def sigmoid_grad(x):
    """The derivative sigmoid(x) * (1 - sigmoid(x)), element-wise."""
    s = sigmoid(x)
    return s * (1.0 - s)
''',
    },
    "q1_sigmoid:where_evaluates_both_branches": {
        "cell": "q1_sigmoid",
        "tests": "q1_tests",
        "why": "picks the stable branch with np.where, which still evaluates exp(-x) and exp(x) everywhere and overflows",
        "source": '''def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)), element-wise and overflow-free."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))


def sigmoid_grad(x):
    """The derivative sigmoid(x) * (1 - sigmoid(x)), element-wise."""
    s = sigmoid(x)
    return s * (1.0 - s)
''',
    },
    "q1_sigmoid:derivative_of_the_input": {
        "cell": "q1_sigmoid",
        "tests": "q1_tests",
        "why": "writes the derivative as x * (1 - x), the formula applied to the input instead of to sigmoid(x)",
        "source": '''def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)), element-wise and overflow-free."""
    x = np.asarray(x, dtype=float)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_grad(x):
    """The derivative sigmoid(x) * (1 - sigmoid(x)), element-wise."""
    x = np.asarray(x, dtype=float)
    return x * (1.0 - x)
''',
    },
    "q2_softmax:no_max_subtraction": {
        "cell": "q2_softmax",
        "tests": "q2_tests",
        "why": "exponentiates the raw logits: exp(1e4) overflows to inf and inf / inf is nan",
        "source": '''def softmax(z, T=1.0):
    """Softmax of z / T along the last axis, stable for huge logits."""
    if T <= 0:
        raise ValueError(f"T must be positive, got {T}")
    e = np.exp(np.asarray(z, dtype=float) / T)
    return e / e.sum(axis=-1, keepdims=True)
''',
    },
    "q2_softmax:normalises_the_wrong_axis": {
        "cell": "q2_softmax",
        "tests": "q2_tests",
        "why": "takes the maximum and the sum along axis 0 (over the samples) instead of the last axis",
        "source": '''def softmax(z, T=1.0):
    """Softmax of z / T along the last axis, stable for huge logits."""
    if T <= 0:
        raise ValueError(f"T must be positive, got {T}")
    z = np.asarray(z, dtype=float) / T
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)
''',
    },
    "q2_softmax:temperature_multiplies": {
        "cell": "q2_softmax",
        "tests": "q2_tests",
        "why": "multiplies the logits by T instead of dividing, so a large T sharpens instead of flattening",
        "source": '''def softmax(z, T=1.0):
    """Softmax of z / T along the last axis, stable for huge logits."""
    if T <= 0:
        raise ValueError(f"T must be positive, got {T}")
    z = np.asarray(z, dtype=float) * T
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
''',
    },
    "q3_mlp_backward:forgets_the_mean": {
        "cell": "q3_mlp_backward",
        "tests": "q3_tests",
        "why": "dL/dA = P - Y without the 1/N of the mean: every gradient is N times too large",
        "source": '''def mlp_loss_and_grads(X, y, W1, b1, W2, b2):
    """Mean cross-entropy of a tanh-softmax MLP and the gradients of its four parameters."""
    N = X.shape[0]
    H = np.tanh(X @ W1.T + b1)
    A = H @ W2.T + b2
    A = A - A.max(axis=1, keepdims=True)
    P = np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    G = P.copy()
    G[np.arange(N), y] -= 1.0
    grads = {"W2": G.T @ H, "b2": G.sum(axis=0)}
    GH = (G @ W2) * (1.0 - H**2)
    grads["W1"] = GH.T @ X
    grads["b1"] = GH.sum(axis=0)
    return float(loss), grads
''',
    },
    "q3_mlp_backward:logits_minus_labels": {
        "cell": "q3_mlp_backward",
        "tests": "q3_tests",
        "why": "dL/dA = (A - Y) / N: the logits minus the one-hot labels, without the softmax",
        "source": '''def mlp_loss_and_grads(X, y, W1, b1, W2, b2):
    """Mean cross-entropy of a tanh-softmax MLP and the gradients of its four parameters."""
    N = X.shape[0]
    H = np.tanh(X @ W1.T + b1)
    A = H @ W2.T + b2
    shifted = A - A.max(axis=1, keepdims=True)
    P = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    G = A.copy()
    G[np.arange(N), y] -= 1.0
    G /= N
    grads = {"W2": G.T @ H, "b2": G.sum(axis=0)}
    GH = (G @ W2) * (1.0 - H**2)
    grads["W1"] = GH.T @ X
    grads["b1"] = GH.sum(axis=0)
    return float(loss), grads
''',
    },
    "q3_mlp_backward:tanh_derivative_of_the_preactivation": {
        "cell": "q3_mlp_backward",
        "tests": "q3_tests",
        "why": "uses 1 - u**2 with u the pre-activation instead of 1 - tanh(u)**2",
        "source": '''def mlp_loss_and_grads(X, y, W1, b1, W2, b2):
    """Mean cross-entropy of a tanh-softmax MLP and the gradients of its four parameters."""
    N = X.shape[0]
    U = X @ W1.T + b1
    H = np.tanh(U)
    A = H @ W2.T + b2
    A = A - A.max(axis=1, keepdims=True)
    P = np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    G = P.copy()
    G[np.arange(N), y] -= 1.0
    G /= N
    grads = {"W2": G.T @ H, "b2": G.sum(axis=0)}
    GH = (G @ W2) * (1.0 - U**2)
    grads["W1"] = GH.T @ X
    grads["b1"] = GH.sum(axis=0)
    return float(loss), grads
''',
    },
    "q3_mlp_backward:bias_gradient_averaged": {
        "cell": "q3_mlp_backward",
        "tests": "q3_tests",
        "why": "averages the bias gradients over the samples although G already carries the 1/N",
        "source": '''def mlp_loss_and_grads(X, y, W1, b1, W2, b2):
    """Mean cross-entropy of a tanh-softmax MLP and the gradients of its four parameters."""
    N = X.shape[0]
    H = np.tanh(X @ W1.T + b1)
    A = H @ W2.T + b2
    A = A - A.max(axis=1, keepdims=True)
    P = np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(N), y]))
    G = P.copy()
    G[np.arange(N), y] -= 1.0
    G /= N
    grads = {"W2": G.T @ H, "b2": G.mean(axis=0)}
    GH = (G @ W2) * (1.0 - H**2)
    grads["W1"] = GH.T @ X
    grads["b1"] = GH.mean(axis=0)
    return float(loss), grads
''',
    },
    "q4_mul_backward:assigns_instead_of_adding": {
        "cell": "q4_mul_backward",
        "tests": "q4_tests",
        "why": "assigns the gradient (=) instead of accumulating it (+=): a * a gets a, not 2a",
        "source": '''def mul_backward(a, b, out):
    """Add the gradient of out = a * b to a.grad and b.grad (multiply switches)."""
    a.grad = b.data * out.grad
    b.grad = a.data * out.grad
''',
    },
    "q4_mul_backward:forgets_the_upstream_gradient": {
        "cell": "q4_mul_backward",
        "tests": "q4_tests",
        "why": "adds only the local derivative (the other input), not times out.grad: right only when the node is the output",
        "source": '''def mul_backward(a, b, out):
    """Add the gradient of out = a * b to a.grad and b.grad (multiply switches)."""
    a.grad += b.data
    b.grad += a.data
''',
    },
    "q4_mul_backward:does_not_switch": {
        "cell": "q4_mul_backward",
        "tests": "q4_tests",
        "why": "gives each input its own value times the upstream gradient instead of the other input's",
        "source": '''def mul_backward(a, b, out):
    """Add the gradient of out = a * b to a.grad and b.grad (multiply switches)."""
    a.grad += a.data * out.grad
    b.grad += b.data * out.grad
''',
    },
}
