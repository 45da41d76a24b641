"""DCGAN-style convolutional generator and discriminator (Radford et al. 2016), 8 to 256 px.

The generator maps ``z (N, latent_dim)`` to a 4x4 map with a transposed convolution, then
doubles the resolution per block; the discriminator mirrors it down to a 4x4 map whose flattened
features feed a linear score (a 4x4 convolution to one channel, written as a linear layer so
the conditioning heads of `facegan.models.conditioning` can share the features).
Used as the critic of WGAN-GP with ``d_norm: none`` or ``layer`` (batch norm would couple the
samples that the gradient penalty treats independently); ``d_spectral_norm`` bounds it for the
hinge and non-saturating losses instead.
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
from facegan.models.configs import DCGANConfig
from facegan.models.layers import dcgan_init, norm_layer
from facegan.registry import register_model


def _block_widths(base: int, num_blocks: int, cap: int) -> list[int]:
    """Widths from the highest resolution block to the lowest: base, 2*base, ... capped."""
    return [min(base * 2**i, cap) for i in range(num_blocks)]


class DCGANGenerator(nn.Module):
    def __init__(self, cfg: DCGANConfig, info: DataInfo) -> None:
        super().__init__()
        self.latent_dim = cfg.latent_dim
        self.condition = (ConditionEncoder(cfg.g_condition, info, cfg.condition_dim)
                          if cfg.g_condition != "none" else None)
        self.conditional = self.condition is not None
        input_dim = cfg.latent_dim + (self.condition.out_dim if self.condition else 0)
        num_up = int(math.log2(info.image_size)) - 2  # 4x4 -> image_size
        widths = _block_widths(cfg.g_width, num_up, cfg.g_width * cfg.max_width_multiplier)
        widths.reverse()  # lowest resolution first
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(input_dim, widths[0], 4, 1, 0, bias=False),
            norm_layer(cfg.g_norm, widths[0]),
            nn.ReLU(inplace=True),
        ]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                norm_layer(cfg.g_norm, c_out),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ConvTranspose2d(widths[-1], info.channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        # Not the label encoder: at N(0, 0.02) its output would start ~50x weaker than z.
        self.net.apply(dcgan_init)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.condition is not None:
            if c is None:
                raise ValueError("this generator is conditional: pass the labels c")
            z = torch.cat([z, self.condition(c)], dim=1)  # (N, latent + condition)
        return self.net(z[:, :, None, None])  # (N, latent) -> (N, C, H, W) in [-1, 1]


class DCGANDiscriminator(nn.Module):
    def __init__(self, cfg: DCGANConfig, info: DataInfo) -> None:
        super().__init__()
        num_down = int(math.log2(info.image_size)) - 2  # image_size -> 4x4
        widths = _block_widths(cfg.d_width, num_down, cfg.d_width * cfg.max_width_multiplier)
        layers: list[nn.Module] = [
            nn.Conv2d(info.channels, widths[0], 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                nn.Conv2d(c_in, c_out, 4, 2, 1, bias=cfg.d_norm == "none"),
                norm_layer(cfg.d_norm, c_out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        self.net = nn.Sequential(*layers, nn.Flatten())  # (N, C, H, W) -> (N, width * 4 * 4)
        self.head = DiscriminatorHead(widths[-1] * 16, cfg.d_condition, info)
        self.apply(dcgan_init)
        if cfg.d_spectral_norm:  # after the initialisation, which cannot reach into it
            weighted = (nn.Conv2d, nn.Linear, nn.Embedding)
            for module in [m for m in self.modules() if isinstance(m, weighted)]:
                nn.utils.parametrizations.spectral_norm(module)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None):
        """``(N, C, H, W)`` -> logits ``(N,)``, or a DiscriminatorOutput with an aux head."""
        return self.head(self.net(x), c)


@register_model("dcgan")
def build_dcgan(cfg: DCGANConfig, info: DataInfo) -> GANModels:
    check_conditioning(cfg.g_condition, cfg.d_condition, info)
    return GANModels(DCGANGenerator(cfg, info), DCGANDiscriminator(cfg, info))
