"""The denoising UNet of the diffusion methods: diffusers' ``UNet2DModel`` with facegan's
conditions.

``denoiser(x_t (N, C, H, W), t (N,), c=None, drop=None) -> (N, C, H, W)``: the network's
prediction (noise or velocity, as the method trains it). A condition ``c`` (classes,
attributes or face embeddings, see `facegan.conditions`) is embedded to the UNet's time-embedding
width and added to the time embedding; where ``drop`` (``(N,)`` bool) is set, a learned null
embedding takes its place, which is what classifier-free guidance trains and samples with.

diffusers is an optional dependency (``pip install 'facegan[diffusion]'``): importing it costs
~3.5 s, so it is imported when a UNet is built, not when the registry loads.
"""

from __future__ import annotations

import torch
from torch import nn

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.models.conditioning import ConditionEncoder
from facegan.models.configs import UNetConfig
from facegan.registry import register_model


def require_diffusers():
    try:
        import diffusers
    except ImportError:
        raise FaceganError("diffusion models need diffusers; install the extra: "
                           "pip install 'facegan[diffusion]'") from None
    return diffusers


class Denoiser(nn.Module):
    def __init__(self, cfg: UNetConfig, info: DataInfo) -> None:
        super().__init__()
        diffusers = require_diffusers()
        levels = len(cfg.block_out_channels)
        if info.image_size % 2 ** (levels - 1):
            raise FaceganError(f"model.block_out_channels has {levels} levels, too many for "
                               f"{info.image_size} px images; use fewer")
        bad = [level for level in cfg.attention_levels if not 0 <= level < levels]
        if bad:
            raise FaceganError(f"model.attention_levels: level {bad[0]} does not exist; the "
                               f"levels are 0 to {levels - 1}")
        attention = set(cfg.attention_levels)
        down = tuple("AttnDownBlock2D" if i in attention else "DownBlock2D"
                     for i in range(levels))
        up = tuple("AttnUpBlock2D" if i in attention else "UpBlock2D"
                   for i in reversed(range(levels)))
        groups = min(32, *cfg.block_out_channels)
        self.conditional = cfg.condition and info.label_kind != "none"
        self.unet = diffusers.UNet2DModel(
            sample_size=info.image_size, in_channels=info.channels, out_channels=info.channels,
            block_out_channels=tuple(cfg.block_out_channels),
            layers_per_block=cfg.layers_per_block, down_block_types=down, up_block_types=up,
            norm_num_groups=groups, attention_head_dim=min(8, cfg.block_out_channels[0]),
            dropout=cfg.dropout, class_embed_type="identity" if self.conditional else None)
        width = cfg.block_out_channels[0] * 4  # UNet2DModel's time-embedding width
        self.condition = ConditionEncoder("embedding", info, width) if self.conditional else None
        self.null_condition = nn.Parameter(torch.zeros(width)) if self.conditional else None

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor | None = None,
                drop: torch.Tensor | None = None) -> torch.Tensor:
        embedding = None
        if self.condition is not None:
            if c is None:
                embedding = self.null_condition.expand(len(x), -1)
            else:
                embedding = self.condition(c)  # (N, width)
                if drop is not None:
                    embedding = torch.where(drop[:, None], self.null_condition, embedding)
        return self.unet(x, t, class_labels=embedding).sample


@register_model("unet")
def build_unet(cfg: UNetConfig, info: DataInfo) -> dict[str, nn.Module]:
    return {"denoiser": Denoiser(cfg, info)}
