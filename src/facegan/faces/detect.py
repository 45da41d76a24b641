"""Face detection with dlib's HOG or CNN (MMOD) detector.

Boxes are in source-image pixels: (left, top, right, bottom) with right/bottom exclusive. A box
may stick out of the image for a face cut by the border; it is kept unclipped so that its size
still measures the face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from facegan.faces import models

DETECTORS = ("hog", "cnn")

# Both dlib detectors scan a fixed window and miss faces much below ~80 px across (measured:
# the astronaut face is found at 88 px and lost at 58 px by both). Images are therefore
# rescaled so that the smallest wanted face is DETECT_AT_PX across: larger minimum sizes let
# us detect on a smaller image (the cost is proportional to pixels), smaller ones need dlib's
# 2x pyramid upsampling.
DETECTOR_WINDOW_PX = 80.0
DETECT_AT_PX = 90.0


@dataclass(frozen=True)
class Detection:
    """One detected face. `box` in source pixels, `score` is the detector's confidence."""

    box: tuple[int, int, int, int]
    score: float

    @property
    def size(self) -> float:
        """Face size in pixels across: the side of the square with the box's area."""
        left, top, right, bottom = self.box
        return math.sqrt(max(right - left, 0) * max(bottom - top, 0))


def detection_plan(min_face: float) -> tuple[float, int]:
    """(resize factor, dlib upsample count) so that faces of `min_face` px can be found.

    Downscale when the smallest wanted face is well above the detector window (faster), keep the
    image as is near the window, upsample (2x per step) below it.
    """
    if min_face >= DETECT_AT_PX / 0.9:
        return DETECT_AT_PX / min_face, 0
    if min_face >= DETECTOR_WINDOW_PX:
        return 1.0, 0
    return 1.0, math.ceil(math.log2(DETECT_AT_PX / min_face))


def detect_faces(
    image: np.ndarray, detector: str = "hog", min_face: float = 80.0
) -> list[Detection]:
    """Faces in a uint8 (H, W, 3) RGB image, largest first.

    `min_face` only sets the detection scale (see detection_plan); faces somewhat below it may
    still be returned, so callers filter on `Detection.size` themselves and can count rejects.
    """
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; choose one of {DETECTORS}")
    scale, upsample = detection_plan(min_face)
    work = image
    if scale != 1.0:
        height, width = image.shape[:2]
        new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        work = np.asarray(Image.fromarray(image).resize(new_size, Image.Resampling.BILINEAR))
    work = np.ascontiguousarray(work)

    if detector == "hog":
        rects, scores, _ = models.hog_detector().run(work, upsample, 0.0)
        found = list(zip(rects, scores, strict=True))
    else:
        found = [(d.rect, d.confidence) for d in models.cnn_detector()(work, upsample)]

    detections = []
    for rect, score in found:
        # dlib rectangles include their right and bottom edges.
        box = (
            round(rect.left() / scale),
            round(rect.top() / scale),
            round((rect.right() + 1) / scale),
            round((rect.bottom() + 1) / scale),
        )
        detections.append(Detection(box, float(score)))
    return sorted(detections, key=lambda d: d.size, reverse=True)
