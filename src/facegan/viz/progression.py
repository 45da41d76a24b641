"""How the fixed-noise samples evolved: a progression image and an animated GIF across epochs.

Both are drawn from ``visualizations/samples/epoch_NNN.png`` (the same fixed noise every epoch),
so any run can be re-drawn later without its models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from facegan.runs import RunDir, atomic_file
from facegan.viz.compose import labelled_grid, save_gif, split_grid, tile_scale, titled
from facegan.viz.runfiles import epoch_files, num_fixed_samples, sample_image_size

PROGRESSION_PNG = "progression.png"
PROGRESSION_GIF = "progression.gif"


def pick_evenly(items: list, limit: int) -> list:
    """At most ``limit`` items, evenly spaced, always keeping the first and the last."""
    if len(items) <= limit:
        return list(items)
    indices = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in indices]


def progression_image(run: RunDir, columns: int = 8, max_rows: int = 16) -> Image.Image | None:
    """One row (tile strip) per epoch: the first ``columns`` fixed-noise samples, captioned.

    With more than ``max_rows`` epochs, evenly spaced epochs are shown (first and last kept).
    None when no epoch has finished yet.
    """
    files = pick_evenly(epoch_files(run.samples), max_rows)
    if not files:
        return None
    num_samples = num_fixed_samples(run)
    grids = [Image.open(path) for _, path in files]
    image_size = sample_image_size(run)
    strips = [split_grid(grid, image_size, min(columns, num_samples)) for grid in grids]
    return labelled_grid(torch.stack(strips), row_labels=[f"epoch {e}" for e, _ in files],
                         title="fixed noise across epochs")


def progression_frames(run: RunDir, max_frames: int = 60) -> list[Image.Image]:
    """Each epoch's full sample grid under an ``epoch N / last`` title (evenly spaced epochs
    when there are more than ``max_frames``: the GIF is redrawn every epoch)."""
    files = pick_evenly(epoch_files(run.samples), max_frames)
    if not files:
        return []
    grids = [Image.open(path) for _, path in files]
    scale = tile_scale(sample_image_size(run))
    last = files[-1][0]
    return [titled(grid, f"epoch {epoch} / {last}", scale)
            for (epoch, _), grid in zip(files, grids, strict=True)]


def save_progression(run: RunDir, frame_ms: int = 500) -> list[Path]:
    """Write ``visualizations/progression.png`` and ``progression.gif``; returns what was
    written (nothing before the first epoch ends)."""
    image = progression_image(run)
    if image is None:
        return []
    png, gif = run.visualizations / PROGRESSION_PNG, run.visualizations / PROGRESSION_GIF
    with atomic_file(png) as tmp:
        image.save(tmp)
    save_gif(progression_frames(run), gif, frame_ms, hold_last_ms=4 * frame_ms)
    return [png, gif]
