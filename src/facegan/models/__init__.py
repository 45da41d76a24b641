"""Model architectures: pure ``nn.Module``s built from frozen config dataclasses."""

from facegan.models import (
    dcgan,  # noqa: F401  (registers "dcgan")
    resnet,  # noqa: F401  (registers "resnet")
    unet,  # noqa: F401  (registers "unet": a denoiser for the diffusion methods)
)
from facegan.models.base import GANModels, build_models, build_networks

__all__ = ["GANModels", "build_models", "build_networks"]
