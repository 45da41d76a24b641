"""Image grids and individual images from ``[-1, 1]`` tensors (torchvision's make_grid)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

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


def save_real_grid(dataset: Any, path: Path, n: int = 64, seed: int = 0) -> int:
    """Save ``n`` images drawn at random (fixed seed) as one PNG grid; returns how many."""
    n = min(n, len(dataset))
    indices = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:n]
    images = torch.stack([dataset[int(i)][0] for i in indices.sort().values])
    save_grid(images, path)
    return n
