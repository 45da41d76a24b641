"""The discriminator as the GAN objectives see it during training.

Objectives call ``critic(x, c)`` and stay unaware of the training options; the GAN method
hands them this view, which applies DiffAugment to every image the discriminator sees
and carries the loss scale that gradient penalties need under fp16 (see
``facegan.methods.gan.losses.critic_input_gradient``).
"""

from __future__ import annotations

from typing import Any

import torch

from facegan.methods.gan.augment import diff_augment
from facegan.randomness import BatchRandom


class TrainingCritic:
    """``critic(x, *args) == discriminator(diff_augment(x), *args)``.

    Extra arguments (labels, embeddings) and the outputs (logits, or logits plus auxiliary
    outputs) pass through unchanged. A gradient penalty that calls this critic on interpolated
    images differentiates through the augmentation of the interpolates, as DiffAugment's
    reference code does. Attributes other than calls are read from the wrapped discriminator.

    ``grad_scale`` is the fp16 loss scale (a 0-dim tensor) while the trainer uses one, else
    None.
    """

    def __init__(self, discriminator: torch.nn.Module, policy: str = "",
                 rng: BatchRandom | None = None,
                 grad_scale: torch.Tensor | None = None) -> None:
        if policy and rng is None:
            raise ValueError("DiffAugment needs the trainer's random generator")
        self.discriminator = discriminator
        self.policy = policy
        self.rng = rng
        self.grad_scale = grad_scale

    def __call__(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if self.policy:
            x = diff_augment(x, self.policy, self.rng)
        return self.discriminator(x, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.discriminator, name)
