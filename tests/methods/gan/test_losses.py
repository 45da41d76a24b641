import math

import pytest
import torch

from facegan.methods.gan import losses


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


LN2, LN3 = math.log(2.0), math.log(3.0)


def test_non_saturating_losses_by_hand():
    # softplus(-ln 3) = ln(4/3) and softplus(ln 3) = ln 4
    real, fake = torch.tensor([LN3]), torch.tensor([LN3])
    d_loss = losses.non_saturating_discriminator_loss(real, fake)
    assert d_loss.item() == pytest.approx(math.log(4 / 3) + math.log(4))
    g_loss = losses.non_saturating_generator_loss(torch.tensor([0.0, LN3]))
    assert g_loss.item() == pytest.approx((LN2 + math.log(4 / 3)) / 2)


def test_bce_with_label_smoothing_by_hand():
    real, fake = torch.tensor([LN3]), torch.tensor([LN3])  # sigmoid(ln 3) = 3/4
    smoothed = losses.bce_discriminator_loss(real, fake, real_target=0.9)
    assert smoothed.item() == pytest.approx(-(0.9 * math.log(0.75) + 0.1 * math.log(0.25))
                                            + math.log(4))
    # With hard targets BCE is the non-saturating discriminator loss.
    plain = losses.bce_discriminator_loss(real, fake)
    assert plain.item() == pytest.approx(
        losses.non_saturating_discriminator_loss(real, fake).item())


def test_hinge_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.5])
    # real: relu(-1), relu(0.5) -> 0.25; fake: relu(-1), relu(1.5) -> 0.75
    assert losses.hinge_discriminator_loss(real, fake).item() == pytest.approx(1.0)
    assert losses.hinge_generator_loss(fake).item() == pytest.approx(0.75)


def test_least_squares_losses_by_hand():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 2.0])
    # 0.5 * mean(0, 4) + 0.5 * mean(0, 4) = 2; generator: 0.5 * mean(1, 1) = 0.5
    assert losses.least_squares_discriminator_loss(real, fake).item() == pytest.approx(2.0)
    assert losses.least_squares_generator_loss(fake).item() == pytest.approx(0.5)


def test_r1_penalty_of_a_linear_critic_is_known():
    # D(x, c) = c <w, x> has input gradient c w, so the penalty is mean(c^2) ||w||^2.
    w = torch.zeros(1, 2, 2)
    w[0, 0, 0], w[0, 1, 1] = 2.0, math.sqrt(5.0)  # ||w||^2 = 9
    w.requires_grad_(True)

    def critic(x, cond):
        return cond * (x * w).flatten(1).sum(1)

    real = torch.randn(2, 1, 2, 2)
    penalty = losses.r1_penalty(critic, real, torch.tensor([1.0, 2.0]))
    assert penalty.item() == pytest.approx((9 + 36) / 2, rel=1e-6)
    penalty.backward()  # d/dw mean(c^2) ||w||^2 = 2 mean(c^2) w
    assert torch.allclose(w.grad, 2 * 2.5 * w.detach())
    assert losses.r1_penalty(lambda x, c: x.sum((1, 2, 3)) * 0, real).item() == 0.0


def test_auxiliary_classifier_loss_for_classes_and_attributes():
    # classes: softmax([0, 0]) -> p = 1/2; softmax([ln 3, 0]) -> p(class 1) = 1/4
    logits = torch.tensor([[0.0, 0.0], [LN3, 0.0]])
    ce = losses.auxiliary_classifier_loss(logits, torch.tensor([0, 1]))
    assert ce.item() == pytest.approx((LN2 + math.log(4)) / 2)
    assert losses.auxiliary_accuracy(logits, torch.tensor([1, 0])).item() == 0.5  # row 2 right
    # attributes: BCE(0, 1) = ln 2 and BCE(ln 3, 0) = ln 4, averaged over the two
    multi = losses.auxiliary_classifier_loss(torch.tensor([[0.0, LN3]]),
                                             torch.tensor([[1.0, 0.0]]))
    assert multi.item() == pytest.approx((LN2 + math.log(4)) / 2)
    accuracy = losses.auxiliary_accuracy(torch.tensor([[1.0, LN3]]), torch.tensor([[1.0, 0.0]]))
    assert accuracy.item() == pytest.approx(0.5)
