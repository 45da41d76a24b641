"""Image transforms from config, built from torchvision ``transforms.v2``, in two stages.

1. The *decode* stage is deterministic: PIL image -> RGB (or grayscale) -> crop -> resize the
   shorter side to ``image_size`` -> centre square. It runs once per file when a dataset is built;
   its output, uint8 ``(C, S, S)``, is what the decoded-image cache stores, and `cache_key()` is
   part of that cache's key, so changing any of these options rebuilds the cache.
2. The *item* stage is random (horizontal flip) and runs on every batch read, followed by the
   conversion to the ``[-1, 1]`` range models see.

Randomness: training does not use the item stage: it reads whole uint8 batches and flips them
with draws from its checkpointed generator (`facegan.data.batches`), so a run is reproducible
bit for bit with any ``train.num_workers``, resumed or not. The item stage (``__getitem__``, as
other readers of a dataset use it) draws from torch's default generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from facegan.data.configs import CropMode

CELEBA_TRIM_PX = 20  # rows dropped at the top and at the bottom of a 178 x 218 aligned CelebA photo
DECODE_VERSION = 1  # bump when the decode stage changes its pixels, so old caches are rebuilt


def center_square(image: torch.Tensor, size: int | None = None) -> torch.Tensor:
    """Centred ``size`` x ``size`` crop of ``(C, H, W)`` (the largest square when ``size`` is None;
    a ``size`` larger than the image is clipped to it rather than padded with black)."""
    height, width = image.shape[-2:]
    side = min(height, width, size) if size is not None else min(height, width)
    return TF.center_crop(image, [side, side])


def celeba_crop(image: torch.Tensor) -> torch.Tensor:
    """Drop 20 rows at the top and bottom (178 x 218 -> 178 x 178), then the centre square."""
    height = image.shape[-2]
    trim = CELEBA_TRIM_PX if height > 2 * CELEBA_TRIM_PX else 0
    return center_square(image[..., trim:height - trim, :])


@dataclass(frozen=True)
class ImageTransform:
    """The transforms a data config asks for.

    crop: "none" (keep the image), "center" (centred square of ``crop_size`` px, or the largest
    one when ``crop_size`` is None) or "celeba" (see `celeba_crop`). After the crop the shorter
    side is resized to ``image_size`` (antialiased bilinear) and the centre square kept.
    channels: 3 for RGB, 1 for grayscale (ITU-R 601-2 luma). hflip: flip half the items.
    """

    image_size: int
    channels: int = 3
    crop: CropMode = "none"
    crop_size: int | None = None
    hflip: bool = False

    def decode_stage(self) -> v2.Compose:
        """PIL image -> uint8 ``(channels, image_size, image_size)`` tensor."""
        steps: list[Any] = [_to_rgb, v2.ToImage()]
        if self.channels == 1:
            steps.append(v2.Grayscale(num_output_channels=1))
        if self.crop == "celeba":
            steps.append(celeba_crop)
        elif self.crop == "center":
            steps.append(lambda image: center_square(image, self.crop_size))
        steps += [v2.Resize(self.image_size, antialias=True), v2.CenterCrop(self.image_size)]
        return v2.Compose(steps)

    def item_stage(self) -> Callable[[np.ndarray], np.ndarray] | None:
        """uint8 ``(B, C, S, S)`` array -> the same, randomly per image (in place); None when
        nothing is random."""
        return random_horizontal_flip if self.hflip else None

    def cache_key(self) -> dict[str, Any]:
        """What determines the decode stage's pixels (the random item stage does not)."""
        return {"decode_version": DECODE_VERSION, "image_size": self.image_size,
                "channels": self.channels, "crop": self.crop,
                "crop_size": self.crop_size if self.crop == "center" else None}


def random_horizontal_flip(batch: np.ndarray, p: float = 0.5) -> np.ndarray:
    """Mirror each image of a uint8 ``(B, C, H, W)`` array with probability ``p``, in place.

    One draw of B numbers from torch's default generator per batch. Done in numpy on the batch
    just read from the cache: per-image v2.RandomHorizontalFlip calls, or torch's masked
    assignment, cost more than reading the images.
    """
    flip = (torch.rand(len(batch)) < p).numpy()
    batch[flip] = batch[flip, ..., ::-1]
    return batch


def _to_rgb(image: Image.Image) -> Image.Image:
    # Palette, RGBA, CMYK and 16-bit files all become 8-bit RGB before the tensor stages.
    return image if image.mode == "RGB" else image.convert("RGB")
