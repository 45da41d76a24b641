"""Processing of one source photo: the unit of work that runs in a worker process.

A photo becomes one JSON-ready record:
    {"source": "a/b.jpg", "status": "faces" | "no_face" | "no_usable_face" | "unreadable",
     "error": "...",          # unreadable only
     "height": H, "width": W,
     "faces": [{"face": k, "box": [l, t, r, b], "size": px, "score": float | None,
                "rejected": "too_small" | "extra_face",          # or, for a kept face:
                "image": "name.png", "landmarks": [x0, y0, ...], "sharpness": float,
                "phash": "16 hex digits", "embedding": "base64 float32" (with --embed)}]}
Crop images are written here, by the worker, so only small records travel between processes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facegan.faces.align import align_face, find_landmarks
from facegan.faces.crop import crop_and_resize
from facegan.faces.dedupe import face_sharpness, perceptual_hash
from facegan.faces.detect import detect_faces
from facegan.faces.embed import face_descriptor
from facegan.faces.images import UnreadableImage, load_rgb, save_image_atomic
from facegan.faces.job import IMAGES_DIR, FaceJob, output_name
from facegan.faces.state import encode_embedding

_job: FaceJob | None = None  # set once per worker process by init_worker


def init_worker(job: FaceJob) -> None:
    """Pool initializer: remember the job; dlib models load lazily on first use."""
    global _job
    _job = job


def process_in_worker(source: str) -> dict[str, Any]:
    assert _job is not None, "init_worker was not called in this process"
    return process_source(_job, source)


def process_source(job: FaceJob, source: str) -> dict[str, Any]:
    """Detect, crop and describe the faces of one photo (`source` relative to job.src)."""
    try:
        image = load_rgb(job.src / source)
    except UnreadableImage as exc:
        return {"source": source, "status": "unreadable", "error": str(exc), "faces": []}
    record: dict[str, Any] = {"source": source, "height": image.shape[0], "width": image.shape[1]}
    if not job.detects:
        record["faces"] = [_cropped(job, image, source)]
        record["status"] = "faces"
        return record

    faces = []
    kept = 0
    for index, detection in enumerate(detect_faces(image, job.detector, job.min_face)):
        face: dict[str, Any] = {
            "face": index,
            "box": list(detection.box),
            "size": round(detection.size, 2),
            "score": round(detection.score, 4),
        }
        if detection.size < job.min_face:
            face["rejected"] = "too_small"
        elif job.max_faces and kept >= job.max_faces:
            face["rejected"] = "extra_face"  # detections come largest first
        else:
            kept += 1
            face.update(_aligned(job, image, source, index, detection.box))
        faces.append(face)
    record["faces"] = faces
    record["status"] = "faces" if kept else ("no_usable_face" if faces else "no_face")
    return record


def _aligned(
    job: FaceJob, image: np.ndarray, source: str, index: int, box: tuple[int, int, int, int]
) -> dict[str, Any]:
    landmarks = find_landmarks(image, box, job.landmarks)
    crop, _ = align_face(image, landmarks, job.size, rotate=job.align)
    name = output_name(source, index)
    save_image_atomic(crop, job.out / IMAGES_DIR / name)
    result: dict[str, Any] = {
        "image": name,
        "landmarks": landmarks.astype(int).ravel().tolist(),
        "sharpness": round(face_sharpness(crop), 3),
        "phash": perceptual_hash(crop),
    }
    if job.embed:
        result["embedding"] = encode_embedding(face_descriptor(image, box, landmarks))
    return result


def _cropped(job: FaceJob, image: np.ndarray, source: str) -> dict[str, Any]:
    crop, box = crop_and_resize(image, job.crop, job.size)
    name = output_name(source, 0)
    save_image_atomic(crop, job.out / IMAGES_DIR / name)
    return {
        "face": 0,
        "box": list(box),
        "size": float(box[2] - box[0]),
        "score": None,
        "image": name,
        "landmarks": [],
        "sharpness": round(face_sharpness(crop), 3),
        "phash": perceptual_hash(crop),
    }
