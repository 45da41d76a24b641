"""Pictures of the generation modes: labelled grids, and the interpolation as an animated GIF."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from PIL import Image

from facegan.sampling.generation import ImageRows
from facegan.viz.compose import labelled_grid, save_gif, to_uint8


def draw_rows(rows: ImageRows) -> Image.Image:
    """The rows of a generation mode as one captioned picture."""
    return labelled_grid(to_uint8(rows.images), rows.row_labels, rows.column_labels, rows.title)


def square_rows(images: torch.Tensor) -> torch.Tensor:
    """``(N, C, H, W)`` in [-1, 1] -> ``(R, K, C, H, W)``, near square, the gaps white."""
    columns = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    blank = torch.ones(rows * columns - len(images), *images.shape[1:])
    return torch.cat([images, blank]).unflatten(0, (rows, columns))


def interpolation_frames(rows: ImageRows) -> list[Image.Image]:
    """One frame per step (column), forth and back so the loop has no jump."""
    steps = rows.images.shape[1]
    labels = rows.column_labels or [str(k) for k in range(steps)]
    forth = [labelled_grid(to_uint8(square_rows(rows.images[:, k])), title=labels[k])
             for k in range(steps)]
    return forth + forth[-2:0:-1]


def save_interpolation_gif(rows: ImageRows, path: Path, frame_ms: int = 120) -> int:
    """Write the interpolation GIF; returns its number of frames."""
    frames = interpolation_frames(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_gif(frames, path, frame_ms)
    return len(frames)
