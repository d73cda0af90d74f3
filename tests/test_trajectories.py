"""Do the 2-D test functions and recorded trajectories follow their closed forms?"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import optim
from course_lib.trajectories import (
    quadratic,
    rosenbrock,
    saddle,
    trajectory,
)

pytestmark = pytest.mark.ch04


def test_gradient_descent_on_the_quadratic_follows_the_closed_form():
    """On f = (x^2 + c y^2)/2, GD multiplies x by (1 - lr) and y by (1 - lr c) each step."""
    lr, c, k = 0.05, 20.0, np.arange(51)
    path = trajectory(
        lambda p: quadratic(p, condition=c), (1.5, -0.8), torch.optim.SGD, num_steps=50, lr=lr
    )
    np.testing.assert_allclose(path[:, 0], 1.5 * (1 - lr) ** k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], -0.8 * (1 - lr * c) ** k, rtol=1e-12, atol=1e-15)


def test_gradient_descent_escapes_the_saddle_along_y():
    """On x^2 - y^2, y grows by (1 + 2 lr) per step while x shrinks by (1 - 2 lr)."""
    lr, k = 0.1, np.arange(21)
    path = trajectory(saddle, (1.0, 1e-3), torch.optim.SGD, num_steps=20, lr=lr)
    np.testing.assert_allclose(path[:, 0], (1 - 2 * lr) ** k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 1e-3 * (1 + 2 * lr) ** k, rtol=1e-12)


def test_rosenbrock_value_and_gradient_match_the_formula():
    x, y = 0.3, -0.7
    p = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
    value = rosenbrock(p)
    value.backward()
    assert value.item() == pytest.approx((1 - x) ** 2 + 100 * (y - x**2) ** 2, rel=1e-14)
    expected = [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)]
    np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-13)
    assert rosenbrock(torch.tensor([1.0, 1.0], dtype=torch.float64)).item() == 0.0


def test_course_optimizers_trace_the_same_path_as_torch():
    """Is the Adam path of course_lib.optim the path of torch.optim.Adam on Rosenbrock?"""
    ours = trajectory(rosenbrock, (-1.5, 1.5), optim.Adam, num_steps=200, lr=0.05)
    theirs = trajectory(rosenbrock, (-1.5, 1.5), torch.optim.Adam, num_steps=200, lr=0.05)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"start": (1.0,)}, "start"),
        ({"start": (np.nan, 0.0)}, "start"),
        ({"num_steps": -1}, "num_steps"),
        ({"num_steps": 2.5}, "num_steps"),
    ],
)
def test_trajectory_rejects_bad_arguments(kwargs, name):
    args = {"start": (0.0, 0.0), "num_steps": 3} | kwargs
    with pytest.raises(ValueError, match=name):
        trajectory(quadratic, args["start"], torch.optim.SGD, num_steps=args["num_steps"], lr=0.1)
