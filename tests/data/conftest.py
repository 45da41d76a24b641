"""Tiny image folders written with PIL, shared by the data tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def solid(color: tuple[int, int, int], width: int = 24, height: int = 20) -> Image.Image:
    return Image.fromarray(np.full((height, width, 3), color, np.uint8))


def write_solid_images(folder: Path, colors: list[tuple[int, int, int]], ext: str = "png",
                       prefix: str = "img") -> list[Path]:
    """One solid-colour image per colour, ``<prefix>_<i>.<ext>``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, color in enumerate(colors):
        path = folder / f"{prefix}_{index:02d}.{ext}"
        solid(color).save(path)
        paths.append(path)
    return paths


def write_corrupt_files(folder: Path) -> list[Path]:
    """A truncated JPEG, a text file named .png and an empty .jpg."""
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "whole.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), np.uint8)).save(good)
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:300])
    good.unlink()
    text = folder / "notes.png"
    text.write_text("not an image")
    empty = folder / "empty.jpg"
    empty.write_bytes(b"")
    return [truncated, text, empty]
