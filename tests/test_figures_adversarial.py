"""course_lib.figures.adversarial: the attack figure and its explorer draw what they say."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.figures.adversarial import AttackExplorer, plot_attack

pytestmark = pytest.mark.ch12


def test_plot_attack_draws_the_images_the_perturbation_and_the_probabilities():
    x = torch.rand(1, 5, 5)
    x_adv = (x + 0.1 * torch.randn(1, 5, 5).sign()).clamp(0, 1)
    p, q = torch.tensor([0.7, 0.2, 0.1]), torch.tensor([0.1, 0.3, 0.6])
    fig = plot_attack(x, x_adv, p, q, label=0, title="t")
    image_axes = fig.axes[:3]
    np.testing.assert_allclose(image_axes[0].images[0].get_array(), x[0].numpy())
    np.testing.assert_allclose(
        image_axes[1].images[0].get_array(), (x_adv - x)[0].numpy(), atol=1e-7
    )
    assert image_axes[0].get_title() == "original: 0 (70%)"
    assert image_axes[2].get_title() == "adversarial: 2 (60%)"
    low, high = image_axes[1].images[0].get_clim()
    assert low == -high  # the perturbation's colour scale is symmetric about 0
    bars = [patch.get_height() for patch in fig.axes[3].patches]
    np.testing.assert_allclose(bars, [0.7, 0.2, 0.1, 0.1, 0.3, 0.6], atol=1e-7)
    plt.close(fig)


def test_the_explorer_redraws_for_each_budget_and_example():
    images = torch.rand(3, 1, 4, 4)
    labels = torch.tensor([0, 1, 1])
    clean = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    fooled = torch.tensor([[0.3, 0.7], [0.6, 0.4], [0.4, 0.6]])
    explorer = AttackExplorer(
        images, labels, [0.0, 0.2], [images, 1 - images], [clean, fooled], clean
    )
    assert explorer.summary.value.endswith("fooled 0 of 3 examples")
    explorer.example.value = 1
    explorer.slider.value = 1
    assert explorer.summary.value == (
        "ε = 0.2: example 1, true 1, predicted 0 (60%), fooled 2 of 3 examples"
    )
    np.testing.assert_allclose(
        explorer._fig.axes[2].images[0].get_array(), 1 - images[1, 0].numpy()
    )
    with pytest.raises(ValueError, match="one entry per ε"):
        AttackExplorer(images, labels, [0.0], [images, images], [clean], clean)
