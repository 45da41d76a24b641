"""Objectives: per-variant composition of losses into training phases.

An objective says which phases a training iteration has (which model each one updates, and on
which batches it runs) and returns named loss tensors for a phase; ``"loss"`` is the one to
back-propagate and the others are reported. Only the trainer calls ``backward`` and steps
optimizers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

from facegan import losses
from facegan.config import TrainConfig, config_dataclass
from facegan.models.base import GANModels
from facegan.registry import OBJECTIVES, register_objective


@dataclass(frozen=True)
class Phase:
    name: str  # used in stat names: "<name>/<loss key>"
    updates: str  # "generator" or "discriminator": whose optimizer steps
    every: int = 1  # runs on batches whose 1-based index is a multiple of this


@dataclass(frozen=True)
class Batch:
    real: torch.Tensor  # (N, C, H, W) in [-1, 1]
    labels: torch.Tensor  # (N,) class indices or (N, L) multi-hot; -1 when unlabelled


class Objective(Protocol):
    phases: tuple[Phase, ...]

    def compute(self, phase: Phase, models: GANModels, batch: Batch,
                rng: torch.Generator) -> dict[str, torch.Tensor]: ...


def sample_latent(generator: torch.nn.Module, n: int, rng: torch.Generator,
                  device: torch.device) -> torch.Tensor:
    return torch.randn(n, generator.latent_dim, generator=rng, device=device)  # (N, latent)


@config_dataclass
class WGANGPConfig:
    name: str = "wgan_gp"
    gp_weight: float = 10.0


class WGANGPObjective:
    """Wasserstein losses with the gradient penalty; the critic trains on every batch and the
    generator on every ``num_critic_steps``-th."""

    def __init__(self, cfg: WGANGPConfig, train: TrainConfig) -> None:
        self.gp_weight = cfg.gp_weight
        self.phases = (
            Phase("discriminator", updates="discriminator"),
            Phase("generator", updates="generator", every=train.num_critic_steps),
        )

    def compute(self, phase: Phase, models: GANModels, batch: Batch,
                rng: torch.Generator) -> dict[str, torch.Tensor]:
        G, D = models
        n, device = batch.real.shape[0], batch.real.device
        z = sample_latent(G, n, rng, device)
        if phase.updates == "discriminator":
            with torch.no_grad():
                fake = G(z)
            real_scores, fake_scores = D(batch.real), D(fake)
            alpha = torch.rand(n, generator=rng, device=device)
            penalty = losses.gradient_penalty(D, batch.real, fake, alpha=alpha)
            critic_loss = losses.wasserstein_critic_loss(real_scores, fake_scores)
            return {
                "loss": critic_loss + self.gp_weight * penalty,
                "wasserstein_distance": -critic_loss.detach(),
                "gradient_penalty": penalty.detach(),
            }
        return {"loss": losses.wasserstein_generator_loss(D(G(z)))}


@register_objective("wgan_gp", config=WGANGPConfig)
def build_wgan_gp(cfg: WGANGPConfig, train: TrainConfig) -> WGANGPObjective:
    return WGANGPObjective(cfg, train)


def build_objective(objective_config: Any, train: TrainConfig) -> Objective:
    return OBJECTIVES.get(objective_config.name).builder(objective_config, train)
