"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

The discriminator sees every image -- real and fake, in the discriminator and the generator
phases -- through the same random, differentiable augmentations, so it cannot memorise a small
dataset while the generator still receives gradients through the augmentation. The ops follow
the authors' reference code (mit-han-lab/data-efficient-gans, DiffAugment_pytorch.py) on
``[-1, 1]`` images, except that every random draw comes from the step's `BatchRandom` (an explicit,
checkpointed generator, drawn for the global batch), so that a resumed run continues bit for bit
and several processes augment as one would.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from facegan.randomness import BatchRandom

Op = Callable[[torch.Tensor, BatchRandom], torch.Tensor]


def _per_image_uniform(x: torch.Tensor, rng: BatchRandom) -> torch.Tensor:
    return rng.rand(x.shape[0], 1, 1, 1, dtype=x.dtype).to(x.device)


def rand_brightness(x: torch.Tensor, rng: BatchRandom) -> torch.Tensor:
    """Add one offset in [-0.5, 0.5) per image."""
    return x + (_per_image_uniform(x, rng) - 0.5)


def rand_saturation(x: torch.Tensor, rng: BatchRandom) -> torch.Tensor:
    """Scale each pixel's distance to its channel mean by a factor in [0, 2) per image."""
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_per_image_uniform(x, rng) * 2) + mean


def rand_contrast(x: torch.Tensor, rng: BatchRandom) -> torch.Tensor:
    """Scale each image's distance to its mean by a factor in [0.5, 1.5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_per_image_uniform(x, rng) + 0.5) + mean


def rand_translation(x: torch.Tensor, rng: BatchRandom, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its size in each direction, filling with zeros."""
    n, _, height, width = x.shape
    shift_y, shift_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = rng.randint(-shift_y, shift_y + 1, n, 1, 1).to(x.device)
    dx = rng.randint(-shift_x, shift_x + 1, n, 1, 1).to(x.device)
    batch, rows, cols = _grid(n, height, width, x.device)
    rows = (rows + dy + 1).clamp(0, height + 1)  # +1: index into the zero-padded image
    cols = (cols + dx + 1).clamp(0, width + 1)
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)  # (N, H+2, W+2, C)
    return padded[batch, rows, cols].permute(0, 3, 1, 2)  # (N, C, H, W)


def rand_cutout(x: torch.Tensor, rng: BatchRandom, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of ``ratio`` of the image size per image, at a random centre."""
    n, _, height, width = x.shape
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    centre_y = rng.randint(0, height + (1 - size_y % 2), n, 1, 1).to(x.device)
    centre_x = rng.randint(0, width + (1 - size_x % 2), n, 1, 1).to(x.device)
    batch, rows, cols = _grid(n, size_y, size_x, x.device)
    rows = (rows + centre_y - size_y // 2).clamp(0, height - 1)
    cols = (cols + centre_x - size_x // 2).clamp(0, width - 1)
    mask = torch.ones(n, height, width, dtype=x.dtype, device=x.device)
    mask[batch, rows, cols] = 0
    return x * mask.unsqueeze(1)


def _grid(n: int, height: int, width: int, device: torch.device):
    return torch.meshgrid(torch.arange(n, device=device), torch.arange(height, device=device),
                          torch.arange(width, device=device), indexing="ij")


POLICY_OPS: dict[str, tuple[Op, ...]] = {
    "color": (rand_brightness, rand_saturation, rand_contrast),
    "translation": (rand_translation,),
    "cutout": (rand_cutout,),
}


def diff_augment(x: torch.Tensor, policy: str, rng: BatchRandom) -> torch.Tensor:
    """Augment ``x (N, C, H, W)`` with the comma-separated ``policy`` (e.g.
    ``"color,translation,cutout"``), differentiably; the same shape comes back. Translation and
    cutout keep values within the input's range and zero; the colour ops, like the reference,
    do not clip (brightness alone moves values by up to 0.5)."""
    memory_format = _memory_format(x)
    for name in filter(None, policy.split(",")):
        for op in POLICY_OPS[name]:
            x = op(x, rng)
    return x.contiguous(memory_format=memory_format)


def _memory_format(x: torch.Tensor) -> torch.memory_format:
    channels_last = x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
    return torch.channels_last if channels_last else torch.contiguous_format

