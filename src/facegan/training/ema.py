"""Exponential moving average of a network's weights (Karras et al. 2018, StyleGAN).

Samples from the averaged weights are smoother and usually better than from the weights being
trained, so when EMA is on the trainer draws its sample grids and saves its models from
the average, and keeps the raw weights only to go on training.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class NetworkEMA:
    """A frozen copy of ``network`` whose parameters follow
    ``ema <- beta * ema + (1 - beta) * weights`` after each step of that network; buffers
    (batch-norm running statistics) are copied as they are, as StyleGAN does.

    ``decay`` is beta per step of the network. With ``rampup > 0`` the averaging horizon is at most
    ``rampup * images_seen`` images (as a half-life), so the first, poor weights are forgotten
    quickly; StyleGAN uses 0.05.
    """

    def __init__(self, network: nn.Module, decay: float, rampup: float = 0.0) -> None:
        self.decay = decay
        self.rampup = rampup
        self.module = copy.deepcopy(network).eval().requires_grad_(False)

    def beta(self, images_per_step: int, images_seen: int) -> float:
        """The averaging weight of the old EMA for a step of ``images_per_step`` images that
        brought the total to ``images_seen``."""
        if self.rampup <= 0:
            return self.decay
        half_life = max(self.rampup * images_seen, 1e-8)  # in images
        return min(self.decay, 0.5 ** (images_per_step / half_life))

    @torch.no_grad()
    def update(self, network: nn.Module, images_per_step: int, images_seen: int) -> None:
        beta = self.beta(images_per_step, images_seen)
        averaged = list(self.module.parameters())
        current = [p.detach() for p in network.parameters()]
        torch._foreach_lerp_(averaged, current, 1.0 - beta)  # one kernel per group, as timm
        for mine, theirs in zip(self.module.buffers(), network.buffers(), strict=True):
            mine.copy_(theirs)

