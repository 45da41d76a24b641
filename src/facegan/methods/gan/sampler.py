"""How a GAN samples: one forward pass of the generator, ``G(z, c)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from facegan.config import config_dataclass
from facegan.datainfo import DataInfo
from facegan.methods.base import Networks, Sampler, SamplingModel
from facegan.methods.io import save_model
from facegan.registry import register_sampler


@config_dataclass
class GANSamplerConfig:
    name: str = "gan"


class GANSampler(Sampler):
    """``noise`` is the latent ``z (N, latent_dim)``; ``decode`` is ``generator(z, c)``."""

    networks = ("generator",)

    def noise_shape(self, networks: Networks) -> tuple[int, ...]:
        return (int(networks["generator"].latent_dim),)

    def conditional(self, networks: Networks) -> bool:
        # a generator that does not say is taken to be conditional, as generator.json readers
        # always did (its data description then decides)
        return bool(getattr(networks["generator"], "conditional", True))

    def decode(self, networks: Networks, noise: torch.Tensor, conditions: torch.Tensor | None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        G = networks["generator"]
        return G(noise) if conditions is None else G(noise, conditions)

    def export_module(self, networks: Networks) -> nn.Module:
        return networks["generator"]

    def export_inputs(self, networks: Networks, noise: torch.Tensor,
                      conditions: torch.Tensor | None) -> dict[str, torch.Tensor]:
        return {"z": noise} if conditions is None else {"z": noise, "c": conditions}

    def describe(self) -> dict[str, Any]:
        return {"name": "gan"}


@register_sampler("gan", config=GANSamplerConfig)
def build_gan_sampler(cfg: GANSamplerConfig) -> GANSampler:
    return GANSampler()


def save_gan_generator(directory: Path, generator: nn.Module, model_config: Any,
                       info: DataInfo, **extra: Any) -> None:
    """Save a lone generator module as a GAN's saved model (tests, benchmarks, tools)."""
    save_model(directory, GANSampler(), {"generator": generator}, model_config, info, **extra)


def gan_model(generator: nn.Module, info: DataInfo) -> SamplingModel:
    """A lone generator module as a sampling model (tests, benchmarks, tools)."""
    return SamplingModel(GANSampler(), {"generator": generator}, info)
