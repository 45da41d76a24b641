"""The generator/discriminator pair that a registered model builder returns."""

from __future__ import annotations

from typing import Any, NamedTuple

from torch import nn

from facegan.data.base import DataInfo
from facegan.errors import FaceganError
from facegan.registry import MODELS


class GANModels(NamedTuple):
    """``generator(z, c=None) -> (N, C, H, W) in [-1, 1]``; ``discriminator(x, c=None) -> (N,)``.

    Every generator exposes ``latent_dim``.
    """

    generator: nn.Module
    discriminator: nn.Module


def build_models(model_config: Any, info: DataInfo) -> GANModels:
    """Build the pair that a ``model`` config section names, sized for the data in ``info``."""
    image_size = info.image_size
    if image_size < 8 or image_size & (image_size - 1):
        raise FaceganError(f"image size {image_size} is not supported; use a power of two "
                           "from 8 to 256 (e.g. data.image_size=64)")
    return MODELS.get(model_config.name).builder(model_config, info)
