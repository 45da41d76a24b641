import math

import pytest
import torch

from facegan import losses


def test_wasserstein_losses_by_hand():
    real = torch.tensor([1.0, 2.0, 3.0])
    fake = torch.tensor([0.0, 1.0])
    assert losses.wasserstein_critic_loss(real, fake).item() == pytest.approx(0.5 - 2.0)
    assert losses.wasserstein_generator_loss(fake).item() == pytest.approx(-0.5)


def test_gradient_penalty_of_a_linear_critic_is_known():
    # D(x) = <w, x> has input gradient w everywhere, so the penalty is (||w|| - 1)^2 whatever
    # the interpolation; with ||w|| = 3 it is exactly 4.
    w = torch.zeros(1, 2, 2)
    w[0, 0, 0], w[0, 1, 1] = 2.0, math.sqrt(5.0)
    w.requires_grad_(True)

    def critic(x, cond=None):
        return (x * w).flatten(1).sum(1)

    real, fake = torch.randn(4, 1, 2, 2), torch.randn(4, 1, 2, 2)
    penalty = losses.gradient_penalty(critic, real, fake, alpha=torch.rand(4))
    assert penalty.item() == pytest.approx(4.0, rel=1e-6)
    # The graph reaches the critic's parameters: d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    penalty.backward()
    assert torch.allclose(w.grad, 2 * (3 - 1) * w.detach() / 3)


def test_gradient_penalty_uses_one_interpolation_factor_per_sample():
    # D(x) = ||x||^2 / 2 has gradient x, so the norm is ||alpha * real + (1 - alpha) * fake||.
    def critic(x, cond=None):
        return 0.5 * x.flatten(1).pow(2).sum(1)

    real = torch.ones(2, 1, 2, 2)  # ||real|| = 2
    fake = torch.zeros(2, 1, 2, 2)
    alpha = torch.tensor([0.5, 1.0])  # norms 1 and 2 -> penalties 0 and 1
    penalty = losses.gradient_penalty(critic, real, fake, alpha=alpha)
    assert penalty.item() == pytest.approx(0.5)
