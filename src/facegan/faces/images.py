"""Reading and writing images at the edges of face preprocessing.

Images are `uint8` arrays of shape (H, W, 3) in RGB order everywhere in this package.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
)


class UnreadableImage(Exception):
    """A source file that cannot be decoded as an image; the job logs it and moves on."""


def load_rgb(path: str | Path) -> np.ndarray:
    """Decode an image file to uint8 (H, W, 3) RGB, applying its EXIF orientation.

    Phone photos store rotation in EXIF; without `exif_transpose` portrait shots arrive sideways
    and the frontal detectors miss them. Raises UnreadableImage for anything PIL cannot decode
    completely (truncated, corrupt, not an image, decompression bomb).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                rgb = image.convert("RGB")
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise UnreadableImage(f"{type(exc).__name__}: {exc}") from None
    return np.asarray(rgb, dtype=np.uint8)


def save_image_atomic(image: np.ndarray, path: Path) -> None:
    """Write a uint8 (H, W, 3) image; a crash never leaves a half-written file under `path`."""
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(image).save(tmp, format=_format_for(path))
    os.replace(tmp, path)


def _format_for(path: Path) -> str:
    return "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"


def find_images(root: Path, exclude: Path | None = None) -> list[Path]:
    """Image files under `root` (recursive, sorted, by suffix), skipping the `exclude` folder.

    The output folder may sit inside the source folder; excluding it stops a re-run from
    treating earlier outputs as new photos.
    """
    found = []
    exclude = exclude.resolve() if exclude is not None else None
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if exclude is not None:
            dirnames[:] = [d for d in dirnames if (here / d).resolve() != exclude]
        found.extend(here / f for f in filenames if Path(f).suffix.lower() in IMAGE_SUFFIXES)
    return sorted(found)
