"""Loss and penalty functions: pure functions of critic scores (logits) or of a critic.

Scores are ``(N,)`` tensors, one per image. Penalties take ``(critic, real, fake, cond)`` and
receive their randomness as an argument, so they are deterministic given their inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Critic = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic minimises E[D(fake)] - E[D(real)], i.e. maximises the Wasserstein estimate."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator minimises -E[D(fake)]."""
    return -fake_scores.mean()


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    cond: torch.Tensor | None = None,
    *,
    alpha: torch.Tensor,
    target_norm: float = 1.0,
) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): E[(||grad_x D(x_hat)||_2 - 1)^2].

    ``x_hat = alpha * real + (1 - alpha) * fake`` with one interpolation factor per sample,
    ``alpha (N,)`` in [0, 1]. ``real`` and ``fake`` are ``(N, C, H, W)``; the graph is kept so
    the penalty can be back-propagated into the critic.
    """
    alpha = alpha.to(real.dtype).view(-1, *([1] * (real.dim() - 1)))
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(mixed, cond)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)  # (N,)
    return (norms - target_norm).pow(2).mean()
