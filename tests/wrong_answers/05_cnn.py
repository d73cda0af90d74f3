"""Wrong-but-plausible answers for 05_cnn: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_sizes:padding_on_one_side": {
        "cell": "q1_sizes",
        "tests": "q1_tests",
        "why": "adds the padding once (N - F + P) instead of on both sides (N - F + 2P)",
        "source": '''def conv_output_size(n, f, stride=1, padding=0):
    """Output side floor((n - f + 2 padding) / stride) + 1; ValueError if the filter does not fit."""
    span = n - f + padding
    if span < 0:
        raise ValueError(f"a filter of size {f} does not fit in a padded input of {n + 2 * padding}")
    return span // stride + 1


def conv_param_count(f, d, k, bias=True):
    """Parameters of a convolution with k filters of size f x f on an input of depth d."""
    return (f * f * d + (1 if bias else 0)) * k
''',
    },
    "q1_sizes:true_division": {
        "cell": "q1_sizes",
        "tests": "q1_tests",
        "why": "divides with / instead of //, returning 3.5 where PyTorch takes the floor (3)",
        "source": '''def conv_output_size(n, f, stride=1, padding=0):
    """Output side floor((n - f + 2 padding) / stride) + 1; ValueError if the filter does not fit."""
    span = n - f + 2 * padding
    if span < 0:
        raise ValueError(f"a filter of size {f} does not fit in a padded input of {n + 2 * padding}")
    return span / stride + 1


def conv_param_count(f, d, k, bias=True):
    """Parameters of a convolution with k filters of size f x f on an input of depth d."""
    return (f * f * d + (1 if bias else 0)) * k
''',
    },
    "q1_sizes:no_error_when_the_filter_does_not_fit": {
        "cell": "q1_sizes",
        "tests": "q1_tests",
        "why": "applies the formula blindly when F > N + 2P and returns 0 or a negative size instead of raising",
        "source": '''def conv_output_size(n, f, stride=1, padding=0):
    """Output side floor((n - f + 2 padding) / stride) + 1; ValueError if the filter does not fit."""
    return (n - f + 2 * padding) // stride + 1


def conv_param_count(f, d, k, bias=True):
    """Parameters of a convolution with k filters of size f x f on an input of depth d."""
    return (f * f * d + (1 if bias else 0)) * k
''',
    },
    "q1_sizes:one_bias_per_layer": {
        "cell": "q1_sizes",
        "tests": "q1_tests",
        "why": "counts one bias for the whole layer, F*F*D*K + 1, instead of one per filter",
        "source": '''def conv_output_size(n, f, stride=1, padding=0):
    """Output side floor((n - f + 2 padding) / stride) + 1; ValueError if the filter does not fit."""
    span = n - f + 2 * padding
    if span < 0:
        raise ValueError(f"a filter of size {f} does not fit in a padded input of {n + 2 * padding}")
    return span // stride + 1


def conv_param_count(f, d, k, bias=True):
    """Parameters of a convolution with k filters of size f x f on an input of depth d."""
    return f * f * d * k + (1 if bias else 0)
''',
    },
    "q1_sizes:filter_ignores_depth": {
        "cell": "q1_sizes",
        "tests": "q1_tests",
        "why": "counts F*F weights per filter, forgetting that a filter spans all D input channels",
        "source": '''def conv_output_size(n, f, stride=1, padding=0):
    """Output side floor((n - f + 2 padding) / stride) + 1; ValueError if the filter does not fit."""
    span = n - f + 2 * padding
    if span < 0:
        raise ValueError(f"a filter of size {f} does not fit in a padded input of {n + 2 * padding}")
    return span // stride + 1


def conv_param_count(f, d, k, bias=True):
    """Parameters of a convolution with k filters of size f x f on an input of depth d."""
    return (f * f + (1 if bias else 0)) * k
''',
    },
    "q2_conv2d:flips_the_filter": {
        "cell": "q2_conv2d",
        "tests": "q2_tests",
        "why": "flips the filter (the convolution of mathematics) instead of the cross-correlation that deep learning calls convolution",
        "source": '''def conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlation of x (N, D, H, W) with filters w (K, D, F, F), plus biases b (K,)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    w = w[:, :, ::-1, ::-1]
    A = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, h, wd = A.shape
    k, _, f, _ = w.shape
    h_out, w_out = (h - f) // stride + 1, (wd - f) // stride + 1
    Z = np.zeros((n, k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            patch = A[:, :, i * stride : i * stride + f, j * stride : j * stride + f]
            Z[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    if b is not None:
        Z += np.asarray(b, dtype=float)[None, :, None, None]
    return Z
''',
    },
    "q2_conv2d:window_not_strided": {
        "cell": "q2_conv2d",
        "tests": "q2_tests",
        "why": "computes the strided output size but slides the window by one pixel (A[i:i+F] instead of A[i*S:i*S+F])",
        "source": '''def conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlation of x (N, D, H, W) with filters w (K, D, F, F), plus biases b (K,)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    A = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, h, wd = A.shape
    k, _, f, _ = w.shape
    h_out, w_out = (h - f) // stride + 1, (wd - f) // stride + 1
    Z = np.zeros((n, k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            patch = A[:, :, i : i + f, j : j + f]
            Z[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    if b is not None:
        Z += np.asarray(b, dtype=float)[None, :, None, None]
    return Z
''',
    },
    "q2_conv2d:channels_not_summed": {
        "cell": "q2_conv2d",
        "tests": "q2_tests",
        "why": "correlates only the first input channel, although each filter sums over all D input channels",
        "source": '''def conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlation of x (N, D, H, W) with filters w (K, D, F, F), plus biases b (K,)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    A = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, h, wd = A.shape
    k, _, f, _ = w.shape
    h_out, w_out = (h - f) // stride + 1, (wd - f) // stride + 1
    Z = np.zeros((n, k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            patch = A[:, 0, i * stride : i * stride + f, j * stride : j * stride + f]
            Z[:, :, i, j] = np.tensordot(patch, w[:, 0], axes=([1, 2], [1, 2]))
    if b is not None:
        Z += np.asarray(b, dtype=float)[None, :, None, None]
    return Z
''',
    },
    "q3_max_pool:stride_defaults_to_one": {
        "cell": "q3_max_pool",
        "tests": "q3_tests",
        "why": "uses stride 1 when none is given, so the default windows overlap",
        "source": '''def max_pool2d(x, f=2, stride=None):
    """Max over every f x f window (stride defaults to f) of each channel of x (N, C, H, W)."""
    x = np.asarray(x, dtype=float)
    s = 1 if stride is None else stride
    h_out, w_out = (x.shape[2] - f) // s + 1, (x.shape[3] - f) // s + 1
    Y = np.empty(x.shape[:2] + (h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            Y[:, :, i, j] = x[:, :, i * s : i * s + f, j * s : j * s + f].max(axis=(2, 3))
    return Y
''',
    },
    "q3_max_pool:max_across_channels": {
        "cell": "q3_max_pool",
        "tests": "q3_tests",
        "why": "takes the maximum over the channels too, so every channel gets the same pooled map",
        "source": '''def max_pool2d(x, f=2, stride=None):
    """Max over every f x f window (stride defaults to f) of each channel of x (N, C, H, W)."""
    x = np.asarray(x, dtype=float)
    s = f if stride is None else stride
    h_out, w_out = (x.shape[2] - f) // s + 1, (x.shape[3] - f) // s + 1
    Y = np.empty(x.shape[:2] + (h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            Y[:, :, i, j] = x[:, :, i * s : i * s + f, j * s : j * s + f].max(axis=(1, 2, 3))[:, None]
    return Y
''',
    },
    "q3_max_pool:ceil_mode": {
        "cell": "q3_max_pool",
        "tests": "q3_tests",
        "why": "keeps the partial windows at the border (ceil instead of floor), adding a row and a column",
        "source": '''def max_pool2d(x, f=2, stride=None):
    """Max over every f x f window (stride defaults to f) of each channel of x (N, C, H, W)."""
    x = np.asarray(x, dtype=float)
    s = f if stride is None else stride
    h_out, w_out = -(-(x.shape[2] - f) // s) + 1, -(-(x.shape[3] - f) // s) + 1
    Y = np.empty(x.shape[:2] + (h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            Y[:, :, i, j] = x[:, :, i * s : i * s + f, j * s : j * s + f].max(axis=(2, 3))
    return Y
''',
    },
    "q4_residual_block:no_relu_after_the_sum": {
        "cell": "q4_residual_block",
        "tests": "q4_tests",
        "why": "returns F(x) + shortcut(x) without the final ReLU g",
        "source": '''class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and ReLU, plus an identity or projection shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return out + self.shortcut(x)
''',
    },
    "q4_residual_block:relu_before_the_sum": {
        "cell": "q4_residual_block",
        "tests": "q4_tests",
        "why": "applies the ReLU to F(x) and then adds the shortcut: g(F(x)) + x instead of g(F(x) + x)",
        "source": '''class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and ReLU, plus an identity or projection shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        return out + self.shortcut(x)
''',
    },
    "q4_residual_block:stride_on_the_second_convolution": {
        "cell": "q4_residual_block",
        "tests": "q4_tests",
        "why": "downsamples in conv2 instead of conv1: same shapes and parameters, different outputs",
        "source": '''class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and ReLU, plus an identity or projection shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))
''',
    },
    "q4_residual_block:projection_only_when_channels_change": {
        "cell": "q4_residual_block",
        "tests": "q4_tests",
        "why": "projects only when the channels change and keeps the identity for a stride-2 block with equal channels, whose shapes then do not match",
        "source": '''class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and ReLU, plus an identity or projection shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))
''',
    },
}
