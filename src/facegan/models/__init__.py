"""Model architectures: pure ``nn.Module``s built from frozen config dataclasses."""

from facegan.models import (
    dcgan,  # noqa: F401  (registers "dcgan")
    resnet,  # noqa: F401  (registers "resnet")
)
from facegan.models.base import GANModels, build_models, build_networks

__all__ = ["GANModels", "build_models", "build_networks"]
