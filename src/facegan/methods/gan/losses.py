"""Loss and penalty functions: pure functions of critic scores (logits) or of a critic.

Scores are ``(N,)`` tensors, one per image. Penalties take ``(critic, real, fake, cond)`` (R1:
``(critic, real, cond)``, R2: ``(critic, fake, cond)``) and receive their randomness as an
argument, so they are deterministic given their inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Critic = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic minimises E[D(fake)] - E[D(real)], i.e. maximises the Wasserstein estimate."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator minimises -E[D(fake)]."""
    return -fake_scores.mean()


def critic_input_gradient(scores: torch.Tensor, inputs: torch.Tensor,
                          grad_scale: torch.Tensor | None = None) -> torch.Tensor:
    """The gradient of each sample's score with respect to its input, ``(N, C, H, W)`` in
    float32, keeping the graph so that a penalty on it can be back-propagated.

    ``scores (N,)`` were computed from ``inputs`` (which require grad). Under fp16 mixed
    precision small gradients underflow, so with a loss scale ``grad_scale`` (the trainer puts
    it on the critic as ``critic.grad_scale``; objectives pass it on) the scores are scaled
    before differentiating and the gradient unscaled after, in float32: the gradient-penalty
    recipe of the PyTorch AMP docs. The mean (times N) is scaled rather than the sum, so that
    the gradient entering the critic's fp16 backward is ``grad_scale / N`` per score, not
    ``grad_scale`` (the default 2^16 is already infinite in fp16). An overflow deeper in gives
    an infinite penalty, and the gradient scaler then skips the step and lowers its scale.
    """
    with torch.autocast(inputs.device.type, enabled=False):  # differentiate outside autocast
        if grad_scale is None:
            (grad,) = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
            return grad.float()
        scaled = scores.float().mean() * grad_scale
        (grad,) = torch.autograd.grad(scaled, inputs, create_graph=True)
        return grad.float() * (scores.shape[0] / grad_scale)


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    cond: torch.Tensor | None = None,
    *,
    alpha: torch.Tensor,
    target_norm: float = 1.0,
    grad_scale: torch.Tensor | None = None,
) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): E[(||grad_x D(x_hat)||_2 - 1)^2].

    ``x_hat = alpha * real + (1 - alpha) * fake`` with one interpolation factor per sample,
    ``alpha (N,)`` in [0, 1]. ``real`` and ``fake`` are ``(N, C, H, W)``; the graph is kept so
    the penalty can be back-propagated into the critic. The penalty is computed in float32.
    """
    alpha = alpha.to(real.dtype).view(-1, *([1] * (real.dim() - 1)))
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(mixed, cond)
    grad = critic_input_gradient(scores, mixed, grad_scale)
    norms = grad.flatten(1).norm(2, dim=1)  # (N,)
    return (norms - target_norm).pow(2).mean()


def non_saturating_discriminator_loss(real_logits: torch.Tensor,
                                      fake_logits: torch.Tensor) -> torch.Tensor:
    """-log sigmoid(D(real)) - log(1 - sigmoid(D(fake))), written with softplus for stability:
    ``softplus(-real) + softplus(fake)``, each averaged over the batch."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def non_saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Goodfellow et al.'s non-saturating generator loss -log sigmoid(D(fake)) =
    ``softplus(-fake)``: its gradient stays large while the discriminator wins."""
    return F.softplus(-fake_logits).mean()


def bce_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, *,
                           real_target: float = 1.0) -> torch.Tensor:
    """Binary cross-entropy with real images labelled ``real_target`` and fakes 0.

    ``real_target < 1`` is one-sided label smoothing (Salimans et al. 2016); at 1 this equals
    `non_saturating_discriminator_loss`.
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits,
                                                                           real_target))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def hinge_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018):
    ``E[relu(1 - D(real))] + E[relu(1 + D(fake))]``."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def hinge_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator side of the hinge loss: -E[D(fake)]."""
    return -fake_logits.mean()


def least_squares_discriminator_loss(real_scores: torch.Tensor,
                                     fake_scores: torch.Tensor) -> torch.Tensor:
    """LSGAN (Mao et al. 2017) with targets 1 for real and 0 for fake:
    ``0.5 E[(D(real) - 1)^2] + 0.5 E[D(fake)^2]``."""
    return 0.5 * (real_scores - 1).pow(2).mean() + 0.5 * fake_scores.pow(2).mean()


def least_squares_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """LSGAN generator loss ``0.5 E[(D(fake) - 1)^2]``."""
    return 0.5 * (fake_scores - 1).pow(2).mean()


def r1_penalty(critic: Critic, real: torch.Tensor, cond: torch.Tensor | None = None, *,
               grad_scale: torch.Tensor | None = None) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[||grad_x D(x)||^2] on real images ``(N, C, H, W)``.

    The caller multiplies by ``gamma / 2``; the graph is kept for back-propagation.
    ``grad_scale`` is the fp16 loss scale, as for `gradient_penalty`.
    """
    real = real.detach().requires_grad_(True)
    grad = critic_input_gradient(critic(real, cond), real, grad_scale)
    return grad.flatten(1).pow(2).sum(1).mean()


def r2_penalty(critic: Critic, fake: torch.Tensor, cond: torch.Tensor | None = None, *,
               grad_scale: torch.Tensor | None = None) -> torch.Tensor:
    """R2: R1's E[||grad_x D(x)||^2] on generated images ``(N, C, H, W)`` (detached: it trains
    the critic only). R3GAN (Huang et al. 2024) needs both for RpGAN to converge locally."""
    return r1_penalty(critic, fake, cond, grad_scale=grad_scale)


def rpgan_discriminator_loss(real_logits: torch.Tensor,
                             fake_logits: torch.Tensor) -> torch.Tensor:
    """Relativistic pairing (Jolicoeur-Martineau 2019; Huang et al. 2024): each real image
    against its paired fake, ``E[softplus(D(fake_i) - D(real_i))]``, i.e.
    -log sigmoid(D(real_i) - D(fake_i))."""
    return F.softplus(fake_logits - real_logits).mean()


def rpgan_generator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator side: ``E[softplus(D(real_i) - D(fake_i))]``; it needs the real scores
    too (as constants: only the fakes carry the generator's gradient)."""
    return F.softplus(real_logits - fake_logits).mean()


def auxiliary_classifier_loss(aux_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The auxiliary classifier's loss (Odena et al. 2017) for ``aux_logits (N, L)``.

    ``labels (N,)`` int64 class indices -> cross-entropy over the L classes;
    ``labels (N, L)`` float multi-hot attributes -> binary cross-entropy averaged over N and L.
    """
    if labels.dim() == 1:
        return F.cross_entropy(aux_logits, labels)
    return F.binary_cross_entropy_with_logits(aux_logits, labels.to(aux_logits.dtype))


def auxiliary_accuracy(aux_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Share of correct predictions: top-1 for classes, per attribute (logit > 0) for multi-hot."""
    if labels.dim() == 1:
        return (aux_logits.argmax(1) == labels).float().mean()
    return ((aux_logits > 0) == (labels > 0.5)).float().mean()
