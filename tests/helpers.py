"""What several test modules share: tolerances, reductions, seeded random tensors, paths.

Import it as ``from helpers import TOL, randn`` (pytest puts ``tests/`` on the path,
as for ``grading_corpus``).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# float64 on both sides of a comparison: agreement to 12 digits
TOL = {"rtol": 1e-12, "atol": 1e-12}

# the ``reduction`` values every loss accepts, as in torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]

# one value for every parameter of course_lib.schedules.SCHEDULE_NAMES
SCHEDULE_PARAMS = {
    "step_size": 7,
    "gamma": 0.8,
    "k": 0.3,
    "eta_min_ratio": 0.05,
    "warmup_epochs": 4,
    "start_factor": 0.2,
}

# nbgrader's cell markers, solution markers first
MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
)


def gen(seed: int = 0) -> torch.Generator:
    """A CPU generator seeded with ``seed``: each test draws its own reproducible numbers."""
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int = 0, scale: float = 1.0, requires_grad: bool = False):
    """A float64 tensor of ``scale`` times standard normal numbers drawn from ``gen(seed)``."""
    x = scale * torch.randn(*shape, generator=gen(seed), dtype=torch.float64)
    return x.requires_grad_(requires_grad)


def grads(fn, *tensors):
    """Value of fn(*tensors) and the gradients of sum(value * fixed random weights)."""
    out = fn(*tensors)
    probe = randn(*out.shape, seed=99)
    gs = torch.autograd.grad((out * probe).sum(), [t for t in tensors if t is not None])
    return out.detach(), gs


def assert_same_values_and_grads(ours, theirs, *tensors, tol=TOL):
    """``ours`` and ``theirs`` give the same values and the same input gradients."""
    out_ours, g_ours = grads(ours, *tensors)
    out_theirs, g_theirs = grads(theirs, *tensors)
    torch.testing.assert_close(out_ours, out_theirs, **tol)
    for a, b in zip(g_ours, g_theirs, strict=True):
        torch.testing.assert_close(a, b, **tol)


# --------------------------------------------------------------------------- #
# Metrics (tests/test_metrics_*.py): scikit-learn is the reference
# --------------------------------------------------------------------------- #
RTOL = 1e-12  # both sides compute in float64 from the same integer counts


def quiet(fn, *args, **kwargs):
    """Call fn with warnings silenced (scikit-learn's own UndefinedMetricWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def to_numpy(value):
    """What scikit-learn gets when our function gets a tensor."""
    return value.numpy() if isinstance(value, torch.Tensor) else value


def assert_same(ours, theirs, err_msg=""):
    """Equal structure (tuple, None, array, scalar) and values within RTOL, NaN == NaN."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), err_msg
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b, err_msg)
        return
    if theirs is None:
        assert ours is None, err_msg
        return
    ours_arr, theirs_arr = np.asarray(ours), np.asarray(theirs)
    assert ours_arr.shape == theirs_arr.shape, (err_msg, ours_arr.shape, theirs_arr.shape)
    np.testing.assert_allclose(
        ours_arr.astype(np.float64),
        theirs_arr.astype(np.float64),
        rtol=RTOL,
        atol=0,
        equal_nan=True,
        err_msg=err_msg,
    )


def binary_data(seed, n=60):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_true[:2] = [0, 1]  # both classes present
    y_pred = np.where(rng.random(n) < 0.7, y_true, 1 - y_true)
    return y_true, y_pred


def multiclass_data(seed, n=80, n_classes=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, n_classes, n))
    return y_true, y_pred


def score_data(seed, n=80, decimals=None):
    """Binary labels and scores; rounding the scores creates ties."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_true[:2] = [0, 1]
    y_score = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.2 * y_true)))
    if decimals is not None:
        y_score = np.round(y_score, decimals)
    return y_true, y_score


SEEDS = [0, 1, 2]


@st.composite
def label_pairs(draw, max_classes=4, max_size=30):
    n = draw(st.integers(1, max_size))
    labels = arrays(np.int64, n, elements=st.integers(0, max_classes - 1))
    return draw(labels), draw(labels)


@st.composite
def binary_scores(draw, max_size=30, grid=None):
    """Binary labels with both classes and scores in [0, 1] (on a grid: many ties)."""
    n = draw(st.integers(2, max_size))
    y_true = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    assume(0 < y_true.sum() < n)
    if grid is None:
        elements = st.floats(0, 1, allow_nan=False, allow_subnormal=False)
        y_score = draw(arrays(np.float64, n, elements=elements))
    else:
        y_score = draw(arrays(np.int64, n, elements=st.integers(0, grid))).astype(np.float64)
    return y_true, y_score
