"""Crops without detection, for photo sets whose faces are already centred and aligned.

`celeba`: the 178 x 218 aligned CelebA images lose 20 px at the top and bottom (leaving the
178 x 178 face square), then any remaining non-square excess is cut from both sides.
`center`: the largest centred square.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

CROP_MODES = ("none", "celeba", "center")
CELEBA_TRIM_PX = 20


def center_square(image: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Largest centred square of a (H, W, C) image: (crop, box (left, top, right, bottom))."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    box = (left, top, left + side, top + side)
    return image[top : top + side, left : left + side], box


def celeba_square(image: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """CelebA crop: drop CELEBA_TRIM_PX rows at top and bottom, then centre-square the rest.

    Images too short to trim (H <= 2 * CELEBA_TRIM_PX) are only centre-squared.
    """
    trim = CELEBA_TRIM_PX if image.shape[0] > 2 * CELEBA_TRIM_PX else 0
    trimmed = image[trim : image.shape[0] - trim]
    crop, (left, top, right, bottom) = center_square(trimmed)
    return crop, (left, top + trim, right, bottom + trim)


def crop_and_resize(
    image: np.ndarray, mode: str, size: int
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Crop a uint8 (H, W, 3) image by `mode` ("celeba" or "center") and resize to `size` px.

    Lanczos when shrinking (antialiased), bicubic when enlarging. Returns (uint8 (size, size, 3),
    crop box in source pixels).
    """
    if mode == "celeba":
        crop, box = celeba_square(image)
    elif mode == "center":
        crop, box = center_square(image)
    else:
        raise ValueError(f"crop mode must be 'celeba' or 'center', got {mode!r}")
    if crop.shape[0] == size:
        return np.ascontiguousarray(crop), box
    resample = Image.Resampling.LANCZOS if crop.shape[0] > size else Image.Resampling.BICUBIC
    resized = Image.fromarray(np.ascontiguousarray(crop)).resize((size, size), resample)
    return np.asarray(resized, dtype=np.uint8), box
