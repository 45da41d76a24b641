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


def critic_input_gradient(scores: torch.Tensor, inputs: torch.Tensor,
                          grad_scale: torch.Tensor | None = None) -> torch.Tensor:
    """The gradient of each sample's score with respect to its input, ``(N, C, H, W)`` in
    float32, keeping the graph so that a penalty on it can be back-propagated.

    ``scores (N,)`` were computed from ``inputs`` (which require grad). Under fp16 mixed
    precision small gradients underflow, so with a loss scale ``grad_scale`` (the trainer puts
    it on the critic as ``critic.grad_scale``) the scores are scaled before differentiating and
    the gradient unscaled after, in float32: the gradient-penalty recipe of the PyTorch AMP
    docs. The mean (times N) is scaled rather than the sum, so that the gradient entering the
    critic's fp16 backward is ``grad_scale / N`` per score, not ``grad_scale`` (the default
    2^16 is already infinite in fp16). An overflow deeper in gives an infinite penalty, and the
    gradient scaler then skips the step and lowers its scale.
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
) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): E[(||grad_x D(x_hat)||_2 - 1)^2].

    ``x_hat = alpha * real + (1 - alpha) * fake`` with one interpolation factor per sample,
    ``alpha (N,)`` in [0, 1]. ``real`` and ``fake`` are ``(N, C, H, W)``; the graph is kept so
    the penalty can be back-propagated into the critic. The penalty is computed in float32.
    """
    alpha = alpha.to(real.dtype).view(-1, *([1] * (real.dim() - 1)))
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(mixed, cond)
    grad = critic_input_gradient(scores, mixed, getattr(critic, "grad_scale", None))
    norms = grad.flatten(1).norm(2, dim=1)  # (N,)
    return (norms - target_norm).pow(2).mean()
