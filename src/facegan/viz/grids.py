"""Image grids and individual images from ``[-1, 1]`` tensors.

The pixels and layout are torchvision's ``make_grid`` / ``save_image`` (a test checks them
against torchvision), written out here because importing torchvision imports ``torch._dynamo``
through ``torchvision.ops``: 1.3 s more for ``facegan generate -n 1``, which needs a dozen lines.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from facegan.errors import FaceganError
from facegan.runs import atomic_file


def grid_columns(n: int) -> int:
    return max(1, math.ceil(math.sqrt(n)))


def tile(images: torch.Tensor, nrow: int, padding: int = 2, pad_value: float = 0
         ) -> torch.Tensor:
    """``(N, C, H, W)`` -> ``(C', H', W')``, laid out as torchvision's ``make_grid`` lays it
    out: ``nrow`` images per row, ``padding`` px around each, one channel repeated to three, and
    a single image returned as it is."""
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    n, channels, height, width = images.shape
    if n == 1:
        return images[0].clone()
    columns = min(nrow, n)
    rows = math.ceil(n / columns)
    grid = images.new_full((channels, rows * (height + padding) + padding,
                            columns * (width + padding) + padding), pad_value)
    for k, image in enumerate(images):
        top = k // columns * (height + padding) + padding
        left = k % columns * (width + padding) + padding
        grid[:, top:top + height, left:left + width] = image
    return grid


def to_pil(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> Image.Image:
    """``(N, C, H, W)`` in [-1, 1] -> one picture, rounded as torchvision's ``save_image``."""
    pixels = tile((images.detach().cpu().float().clamp(-1, 1) + 1) / 2, nrow, padding)
    array = pixels.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    return Image.fromarray(array)


def check_picture_path(path: Path, option: str) -> None:
    """Refuse, before any work is done, a picture path that cannot be written: a folder, or a
    name whose suffix is no image format PIL saves."""
    if path.is_dir():
        raise FaceganError(f"{option} {path} is a folder; name a picture file, e.g. "
                           f"{path / 'samples.png'}")
    Image.init()
    if Image.registered_extensions().get(path.suffix.lower()) not in Image.SAVE:
        raise FaceganError(f"{option} {path}: {path.suffix or 'a name without a suffix'!s} is "
                           "not a picture format facegan can write; end the name in .png")


def save_grid(images: torch.Tensor, path: Path, nrow: int | None = None) -> None:
    """Save ``images (N, C, H, W)`` in [-1, 1] as one PNG grid (square-ish by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:  # a full disk or a kill leaves no torn picture
        to_pil(images, nrow or grid_columns(len(images))).save(tmp)


def save_individual(images: torch.Tensor, out_dir: Path, prefix: str = "sample") -> list[Path]:
    """Save each image of ``(N, C, H, W)`` in [-1, 1] as ``<prefix>_NNNN.png``; where one
    cannot be written (a full disk), the new files written before it are removed again."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths, created = [], []
    try:
        for index, image in enumerate(images.detach().cpu()):
            path = out_dir / f"{prefix}_{index:04d}.png"
            is_new = not path.exists()
            with atomic_file(path) as tmp:
                to_pil(image[None]).save(tmp)
            paths.append(path)
            created += [path] if is_new else []
    except OSError:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return paths


def save_real_grid(dataset: Any, path: Path, n: int = 64, seed: int = 0) -> int:
    """Save ``n`` images drawn at random (fixed seed) as one PNG grid; returns how many."""
    n = min(n, len(dataset))
    indices = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:n]
    images = torch.stack([dataset[int(i)][0] for i in indices.sort().values])
    save_grid(images, path)
    return n
