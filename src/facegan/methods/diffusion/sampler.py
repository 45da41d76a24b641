"""How a diffusion model samples: many denoising steps with a diffusers scheduler.

``noise`` is the starting image ``x_T (N, C, H, W)``; ``decode`` runs ``steps`` DDIM (default,
deterministic with ``eta=0``) or DDPM steps from it, with classifier-free guidance for
conditional models: ``pred = uncond + guidance * (cond - uncond)`` (1 is the plain conditional
prediction, 0 the unconditional one). Stochastic steps draw their noise from the generator
given, else from one seeded by the starting noise itself, so the same noise always gives the
same image.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn

from facegan.config import Weight, config_dataclass, validate_section
from facegan.errors import FaceganError
from facegan.methods.base import Networks, Sampler
from facegan.methods.configs import MAX_STEPS, Prediction, SamplerKind, Schedule
from facegan.models.unet import require_diffusers
from facegan.registry import register_sampler


@config_dataclass
class DiffusionSamplerConfig:
    name: str = "diffusion"
    num_train_timesteps: Annotated[int, Field(ge=2)] = 1000
    beta_schedule: Schedule = "linear"
    prediction_type: Prediction = "epsilon"
    sampler: SamplerKind = "ddim"
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = 50
    guidance: Weight = 1.0
    eta: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0  # DDIM only: 0 deterministic, 1 as DDPM


def noise_scheduler(kind: SamplerKind, num_train_timesteps: int, beta_schedule: Schedule,
                    prediction_type: Prediction) -> Any:
    """A diffusers scheduler; ``cosine`` is diffusers' ``squaredcos_cap_v2`` (Nichol &
    Dhariwal 2021)."""
    diffusers = require_diffusers()
    schedule = {"linear": "linear", "cosine": "squaredcos_cap_v2"}[beta_schedule]
    cls = diffusers.DDIMScheduler if kind == "ddim" else diffusers.DDPMScheduler
    return cls(num_train_timesteps=num_train_timesteps, beta_schedule=schedule,
               prediction_type=prediction_type, clip_sample=True)


def seed_of(noise: torch.Tensor) -> int:
    """A seed fixed by the values of ``noise``: stochastic steps follow from the start."""
    digest = hashlib.sha256(noise.detach().cpu().contiguous().numpy().tobytes()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


class DiffusionSampler(Sampler):
    networks = ("denoiser",)
    export_output = "prediction"

    def __init__(self, cfg: DiffusionSamplerConfig) -> None:
        self.cfg = cfg

    def noise_shape(self, networks: Networks) -> tuple[int, ...]:
        unet = networks["denoiser"].unet.config
        return (unet.in_channels, unet.sample_size, unet.sample_size)

    def conditional(self, networks: Networks) -> bool:
        return bool(networks["denoiser"].conditional)

    def with_options(self, **options: Any) -> DiffusionSampler:
        chosen = {key: value for key, value in options.items() if value is not None}
        if not chosen:
            return self
        body = {**dataclasses.asdict(self.cfg), **chosen}
        if body["steps"] > body["num_train_timesteps"]:
            raise FaceganError(f"--sampling-steps {body['steps']} is more than the "
                               f"{body['num_train_timesteps']} timesteps the model was trained "
                               "with")
        return DiffusionSampler(validate_section(DiffusionSamplerConfig, body, "sampling"))

    def predict(self, denoiser: nn.Module, x: torch.Tensor, t: torch.Tensor,
                conditions: torch.Tensor | None) -> torch.Tensor:
        """The guided prediction at timestep ``t`` (one value for the batch)."""
        timesteps = t.expand(len(x))
        guidance = self.cfg.guidance
        if conditions is None or guidance == 1.0:
            return denoiser(x, timesteps, conditions)
        n = len(x)
        drop = torch.arange(2 * n, device=x.device) >= n  # second half: unconditional
        both = denoiser(torch.cat([x, x]), torch.cat([timesteps, timesteps]),
                        torch.cat([conditions, conditions]), drop)
        cond, uncond = both.chunk(2)
        return uncond + guidance * (cond - uncond)

    def decode(self, networks: Networks, noise: torch.Tensor, conditions: torch.Tensor | None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        cfg = self.cfg
        if generator is None:
            generator = torch.Generator().manual_seed(seed_of(noise))
        scheduler = noise_scheduler(cfg.sampler, cfg.num_train_timesteps, cfg.beta_schedule,
                                    cfg.prediction_type)
        scheduler.set_timesteps(cfg.steps, device=noise.device)
        # DDIM re-derives the noise from the clipped x_0 estimate, as DDPM's posterior uses it:
        # so eta=1 over every timestep is DDPM's ancestral sampling
        extra = {"eta": cfg.eta, "use_clipped_model_output": True} if cfg.sampler == "ddim" \
            else {}
        x = noise
        for t in scheduler.timesteps:
            prediction = self.predict(networks["denoiser"], x, t, conditions)
            if cfg.sampler == "ddpm":
                x = scheduler.step(prediction, t, x, generator=generator).prev_sample
                continue
            if cfg.eta > 0:  # drawn on the CPU, so a seed gives the same images on any device
                extra["variance_noise"] = torch.randn(x.shape, generator=generator).to(x.device)
            x = scheduler.step(prediction, t, x, **extra).prev_sample
        return x.clamp(-1, 1)

    def export_module(self, networks: Networks) -> nn.Module:
        return networks["denoiser"]

    def export_inputs(self, networks: Networks, noise: torch.Tensor,
                      conditions: torch.Tensor | None) -> dict[str, torch.Tensor]:
        n = len(noise)
        t = torch.randint(self.cfg.num_train_timesteps, (n,),
                          generator=torch.Generator().manual_seed(n))
        if conditions is None:
            return {"x": noise, "t": t}
        return {"x": noise, "t": t, "c": conditions, "drop": torch.arange(n) % 2 == 1}

    def describe(self) -> dict[str, Any]:
        return dataclasses.asdict(self.cfg)


@register_sampler("diffusion", config=DiffusionSamplerConfig)
def build_diffusion_sampler(cfg: DiffusionSamplerConfig) -> DiffusionSampler:
    return DiffusionSampler(cfg)
