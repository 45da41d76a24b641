"""The config classes of the built-in networks, declared to the registry by name without
importing their modules (which import torch): validating a config stays cheap
(`facegan.registry`). Each network's builder lives in the module named in its declaration."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from facegan.config import Cardinal, Count, config_dataclass
from facegan.registry import MODELS

Norm = Literal["none", "batch", "instance", "layer"]
GCondition = Literal["none", "embedding", "onehot"]
DCondition = Literal["none", "projection", "aux"]


@config_dataclass
class DCGANConfig:
    name: str = "dcgan"
    latent_dim: Count = 100
    g_width: Count = 64  # channels of the last generator block; earlier blocks double it
    d_width: Count = 64  # channels of the first discriminator block; later blocks double it
    max_width_multiplier: Count = 8
    g_norm: Norm = "batch"
    d_norm: Norm = "none"
    # spectral norm (Miyato et al. 2018) on every layer of the discriminator, its head too:
    # a Lipschitz bound for losses without a gradient penalty (hinge, non-saturating)
    d_spectral_norm: bool = False
    g_condition: GCondition = "none"  # how labels enter the generator (none: unconditional)
    d_condition: DCondition = "none"  # how the discriminator sees labels: projection or aux
    condition_dim: Count = 32  # size of the learned label embedding (g_condition: embedding)


@config_dataclass
class ResNetConfig:
    name: str = "resnet"
    latent_dim: Count = 128
    g_width: Count = 64  # channels of the last generator block; earlier blocks double it
    d_width: Count = 64  # channels of the first critic block; later blocks double it
    max_width_multiplier: Count = 8
    g_spectral_norm: bool = True
    d_spectral_norm: bool = False  # the gradient penalty already constrains the critic
    g_condition: GCondition = "none"  # how labels enter the generator (none: unconditional)
    d_condition: DCondition = "none"  # how the critic sees labels: projection or aux
    condition_dim: Count = 32  # size of the learned label embedding (g_condition: embedding)


@config_dataclass
class UNetConfig:
    name: str = "unet"
    # channels per resolution level, from the image size down (each level halves it)
    block_out_channels: tuple[Count, ...] = (64, 128, 128)
    layers_per_block: Annotated[int, Field(ge=1)] = 2
    # levels (0 = full resolution) whose blocks have self-attention
    attention_levels: tuple[Cardinal, ...] = (2,)
    condition: bool = True  # use the data's labels when it has them (False: unconditional)
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0


MODELS.declare("dcgan", config=DCGANConfig, module="facegan.models.dcgan")
MODELS.declare("resnet", config=ResNetConfig, module="facegan.models.resnet")
MODELS.declare("unet", config=UNetConfig, module="facegan.models.unet")
