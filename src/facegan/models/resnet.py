"""ResNet WGAN-GP generator and critic, 8 to 256 px.

Generator: a fully connected layer maps ``z`` (and the label vector, when conditional) to a
4x4 seed map; each up-sampling block doubles the resolution (nearest up-sampling, 3x3 conv,
instance norm, ReLU, residual block); a 3x3 conv and tanh give the image. Convolutions and the
fully connected layer carry spectral normalisation (``g_spectral_norm``).

Critic: a 3x3 conv, then per block a strided 4x4 conv, instance norm, LeakyReLU and a residual
block, down to 4x4; the flattened features end in a linear score (plus the conditioning head).
Instance norm keeps samples independent, as the gradient penalty assumes.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from facegan.datainfo import DataInfo
from facegan.models.base import GANModels
from facegan.models.conditioning import (
    ConditionEncoder,
    DiscriminatorHead,
    check_conditioning,
)
from facegan.models.configs import ResNetConfig
from facegan.registry import register_model


def _sn(module: nn.Module, enabled: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(module) if enabled else module


class ResidualBlock(nn.Module):
    """``x + norm(conv(act(norm(conv(x)))))``: two 3x3 convs at constant width and size."""

    def __init__(self, channels: int, activation: nn.Module, spectral_norm: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _sn(nn.Conv2d(channels, channels, 3, 1, 1), spectral_norm),
            nn.InstanceNorm2d(channels, affine=True),
            activation,
            _sn(nn.Conv2d(channels, channels, 3, 1, 1), spectral_norm),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # (N, C, H, W)


def _widths(base: int, num_blocks: int, cap: int) -> list[int]:
    """Widths from the highest resolution block to the lowest: base, 2*base, ... capped."""
    return [min(base * 2**i, cap) for i in range(num_blocks)]


class ResNetGenerator(nn.Module):
    def __init__(self, cfg: ResNetConfig, info: DataInfo) -> None:
        super().__init__()
        sn = cfg.g_spectral_norm
        self.latent_dim = cfg.latent_dim
        self.condition = (ConditionEncoder(cfg.g_condition, info, cfg.condition_dim)
                          if cfg.g_condition != "none" else None)
        self.conditional = self.condition is not None
        input_dim = cfg.latent_dim + (self.condition.out_dim if self.condition else 0)
        num_up = int(math.log2(info.image_size)) - 2  # 4x4 -> image_size
        widths = _widths(cfg.g_width, num_up, cfg.g_width * cfg.max_width_multiplier)[::-1]
        self.seed_channels = widths[0]
        self.seed = _sn(nn.Linear(input_dim, widths[0] * 16), sn)  # -> (N, W, 4, 4)
        blocks: list[nn.Module] = []
        for c_in, c_out in zip([widths[0], *widths[:-1]], widths, strict=True):
            blocks += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                _sn(nn.Conv2d(c_in, c_out, 3, 1, 1), sn),
                nn.InstanceNorm2d(c_out, affine=True),
                nn.ReLU(),
                ResidualBlock(c_out, nn.ReLU(), sn),
            ]
        blocks += [_sn(nn.Conv2d(widths[-1], info.channels, 3, 1, 1), sn), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.condition is not None:
            if c is None:
                raise ValueError("this generator is conditional: pass the labels c")
            z = torch.cat([z, self.condition(c)], dim=1)  # (N, latent + condition)
        seed = self.seed(z).view(-1, self.seed_channels, 4, 4)
        return self.blocks(seed)  # (N, C, H, W) in [-1, 1]


class ResNetCritic(nn.Module):
    def __init__(self, cfg: ResNetConfig, info: DataInfo) -> None:
        super().__init__()
        sn = cfg.d_spectral_norm
        num_down = int(math.log2(info.image_size)) - 2  # image_size -> 4x4
        widths = _widths(cfg.d_width, num_down, cfg.d_width * cfg.max_width_multiplier)
        layers: list[nn.Module] = [
            _sn(nn.Conv2d(info.channels, widths[0], 3, 1, 1), sn),
            nn.LeakyReLU(0.2),
        ]
        for c_in, c_out in zip([widths[0], *widths[:-1]], widths, strict=True):
            layers += [
                _sn(nn.Conv2d(c_in, c_out, 4, 2, 1), sn),
                nn.InstanceNorm2d(c_out, affine=True),
                nn.LeakyReLU(0.2),
                ResidualBlock(c_out, nn.LeakyReLU(0.2), sn),
            ]
        self.net = nn.Sequential(*layers, nn.Flatten())  # (N, C, H, W) -> (N, width * 4 * 4)
        self.head = DiscriminatorHead(widths[-1] * 16, cfg.d_condition, info, spectral_norm=sn)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None):
        """``(N, C, H, W)`` -> logits ``(N,)``, or a DiscriminatorOutput with an aux head."""
        return self.head(self.net(x), c)


@register_model("resnet")
def build_resnet(cfg: ResNetConfig, info: DataInfo) -> GANModels:
    check_conditioning(cfg.g_condition, cfg.d_condition, info)
    return GANModels(ResNetGenerator(cfg, info), ResNetCritic(cfg, info))
