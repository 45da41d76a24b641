"""128-d face descriptors from dlib's ResNet face recognition model.

dlib aligns its own 150 x 150 chip from the landmarks, so descriptors are computed on the source
photo (full resolution) rather than on the resized crop. Descriptors of one person lie within
0.6 (Euclidean) of each other; those of one photo seen twice within about 0.1-0.3.
"""

from __future__ import annotations

import numpy as np

from facegan.faces import models

EMBEDDING_DIM = 128


def face_descriptor(
    image: np.ndarray, box: tuple[int, int, int, int], landmarks: np.ndarray
) -> np.ndarray:
    """Descriptor of the face with these 68 or 5 landmarks in a uint8 (H, W, 3) RGB image.

    `box` is the detector box (left, top, right, bottom); `landmarks` (P, 2) pixel x, y as from
    `align.find_landmarks`. Returns float32 (128,), unit-free, norm about 1.
    """
    dlib = models.import_dlib()
    left, top, right, bottom = box
    rect = dlib.rectangle(left, top, right - 1, bottom - 1)
    parts = [dlib.point(int(round(x)), int(round(y))) for x, y in landmarks]
    shape = dlib.full_object_detection(rect, parts)
    descriptor = models.face_descriptor_model().compute_face_descriptor(
        np.ascontiguousarray(image), shape
    )
    return np.asarray(descriptor, dtype=np.float32)
