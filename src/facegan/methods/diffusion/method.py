"""The ``ddpm`` method (Ho et al. 2020): a denoiser trained to predict the noise (or the
velocity, Salimans & Ho 2022) of images noised to a random timestep, with an MSE loss.

One network (``denoiser``, the ``model`` section's ``unet``), one Adam optimizer
(``objective.lr``/``betas``), one phase, and an EMA of the denoiser that samples (on by
default: ``objective.ema_decay``). Conditional models see their condition dropped (replaced by
a learned null embedding) with probability ``label_dropout``, which lets them sample with
classifier-free guidance (Ho & Salimans 2022). Every random draw of a step -- timesteps, noise,
dropout -- comes from the trainer's checkpointed generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from facegan.conditions import ConditionSpec
from facegan.config import Config
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.methods.base import Batch, EMASpec, Method, OptimizerSpec, Phase, StepContext
from facegan.methods.configs import DDPMConfig
from facegan.methods.diffusion.sampler import (
    DiffusionSampler,
    DiffusionSamplerConfig,
    noise_scheduler,
)
from facegan.models.base import build_networks
from facegan.registry import register_objective


def diffusion_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over every pixel of the batch (float32 under autocast)."""
    return F.mse_loss(prediction.float(), target.float())


class DDPMMethod(Method):
    progress_names = {"denoiser/loss": "MSE"}
    phases = (Phase("denoiser", updates="denoiser"),)

    def __init__(self, cfg: DDPMConfig, config: Config, info: DataInfo) -> None:
        if config.model.name != "unet":
            raise FaceganError(f"objective ddpm trains a denoising UNet; set model.name=unet "
                               f"(got {config.model.name})")
        train = config.train
        if train.diffaugment or train.ema_decay > 0:
            raise FaceganError("train.diffaugment and train.ema_decay are GAN options; a ddpm "
                               "run keeps its EMA in objective.ema_decay")
        if cfg.sampling_steps > cfg.num_train_timesteps:
            raise FaceganError("objective.sampling_steps must not exceed "
                               "objective.num_train_timesteps")
        self.name, self.cfg, self.info, self.model_config = cfg.name, cfg, info, config.model
        self.ema = (EMASpec("denoiser", cfg.ema_decay, cfg.ema_rampup)
                    if cfg.ema_decay > 0 else None)
        self.scheduler = noise_scheduler("ddpm", cfg.num_train_timesteps, cfg.beta_schedule,
                                         cfg.prediction_type)
        self.sampler = DiffusionSampler(DiffusionSamplerConfig(
            num_train_timesteps=cfg.num_train_timesteps, beta_schedule=cfg.beta_schedule,
            prediction_type=cfg.prediction_type, sampler=cfg.sampler,
            steps=cfg.sampling_steps, guidance=cfg.guidance))

    def build_networks(self) -> dict[str, nn.Module]:
        return build_networks(self.model_config, self.info)

    def optimizers(self) -> dict[str, OptimizerSpec]:
        return {"denoiser": OptimizerSpec(self.cfg.lr, self.cfg.betas, "objective.lr")}

    def targets(self, real: torch.Tensor, noise: torch.Tensor,
                timesteps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_t, target)``: ``real`` noised to ``timesteps``, and what the denoiser should
        predict there (the noise, or the velocity ``sqrt(a) * noise - sqrt(1 - a) * x_0``)."""
        noisy = self.scheduler.add_noise(real, noise, timesteps)
        if self.cfg.prediction_type == "v_prediction":
            return noisy, self.scheduler.get_velocity(real, noise, timesteps)
        return noisy, noise

    def compute(self, phase: Phase, networks: Mapping[str, nn.Module], batch: Batch,
                step: StepContext) -> dict[str, torch.Tensor]:
        real, rng = batch.real, step.rng
        n, device = real.shape[0], real.device
        denoiser = networks["denoiser"]
        timesteps = rng.randint(0, self.cfg.num_train_timesteps, n).to(device)
        noise = rng.randn(*real.shape).to(device)
        noisy, target = self.targets(real, noise, timesteps)
        conditions = drop = None
        if denoiser.conditional:
            conditions = batch.labels
            drop = rng.rand(n).to(device) < self.cfg.label_dropout
        return {"loss": diffusion_loss(denoiser(noisy, timesteps, conditions, drop), target)}

    def example_inputs(self, networks: Mapping[str, nn.Module],
                       n: int) -> dict[str, tuple[Any, ...]]:
        info = self.info
        device = next(networks["denoiser"].parameters()).device
        x = torch.zeros(n, info.channels, info.image_size, info.image_size, device=device)
        t = torch.zeros(n, dtype=torch.long, device=device)
        c = None
        if networks["denoiser"].conditional:
            c = ConditionSpec.from_info(info).example(n).to(device)
        return {"denoiser": (x, t, c)}


@register_objective("ddpm")
def build_ddpm(cfg: DDPMConfig, config: Config, info: DataInfo) -> DDPMMethod:
    return DDPMMethod(cfg, config, info)

