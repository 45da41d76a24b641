"""Image grids and individual images from ``[-1, 1]`` tensors (torchvision's make_grid)."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torchvision.utils import save_image


def grid_columns(n: int) -> int:
    return max(1, math.ceil(math.sqrt(n)))


def save_grid(images: torch.Tensor, path: Path, nrow: int | None = None) -> None:
    """Save ``images (N, C, H, W)`` in [-1, 1] as one PNG grid (square-ish by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(images.detach().cpu(), str(path), nrow=nrow or grid_columns(len(images)),
               normalize=True, value_range=(-1, 1), padding=2)


def save_individual(images: torch.Tensor, out_dir: Path, prefix: str = "sample") -> list[Path]:
    """Save each image of ``(N, C, H, W)`` in [-1, 1] as ``<prefix>_NNNN.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, image in enumerate(images.detach().cpu()):
        path = out_dir / f"{prefix}_{index:04d}.png"
        save_image(image, str(path), normalize=True, value_range=(-1, 1))
        paths.append(path)
    return paths
