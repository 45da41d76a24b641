"""Faces per second of the face preprocessing steps on this CPU.

Composes scenes (a real face pasted at 110-220 px, rotated up to 10 degrees, on varied
backgrounds; 640 x 480 by default), then times, in this one process:
  - detection alone, per detector (HOG, CNN);
  - the per-face steps after detection (68 landmarks, aligned crop, sharpness + hash, descriptor);
and, with --pipeline, the whole `facegan data faces` job over the same scenes with N workers
(model loading included).

    python benchmarks/faces_throughput.py                      # hog and cnn, single core
    python benchmarks/faces_throughput.py --pipeline --workers 2

Needs the optional extra `faces` plus scikit-image and matplotlib (for the shipped face photos).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "faces"))
from conftest import _astronaut, _hopper, background, compose  # noqa: E402

from facegan.faces import models  # noqa: E402
from facegan.faces.align import align_face, find_landmarks  # noqa: E402
from facegan.faces.dedupe import face_sharpness, perceptual_hash  # noqa: E402
from facegan.faces.detect import detect_faces  # noqa: E402
from facegan.faces.embed import face_descriptor  # noqa: E402

BACKGROUNDS = ["noise", "gradient", "grass", "brick", "coffee", "rocket"]


def make_scenes(count: int, height: int, width: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    faces = [_astronaut(), _hopper()]
    scenes = []
    for i in range(count):
        size = float(rng.uniform(110, min(220, 0.45 * min(height, width))))
        center = (rng.uniform(0.3, 0.7) * width, rng.uniform(0.35, 0.65) * height)
        bg = background(BACKGROUNDS[i % len(BACKGROUNDS)], height, width, seed=i)
        scene = compose(faces[i % 2], bg, size, center, float(rng.uniform(-10, 10)))
        scenes.append(scene.image)
    return scenes


def time_detection(scenes: list[np.ndarray], detector: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, faces found) for detecting in `scenes`."""
    detect_faces(scenes[0][:100, :100], detector)  # load the model outside the timing
    wall, cpu = time.perf_counter(), time.process_time()
    found = sum(len(detect_faces(scene, detector, min_face=90.5)) for scene in scenes)
    return time.perf_counter() - wall, time.process_time() - cpu, found


def time_per_face_steps(scenes: list[np.ndarray], size: int) -> dict[str, float]:
    boxes = [detect_faces(scene, "hog", 90.5) for scene in scenes]
    pairs = [(scene, found[0].box) for scene, found in zip(scenes, boxes, strict=True) if found]
    models.shape_predictor(68)
    models.face_descriptor_model()
    totals = {"landmarks": 0.0, "align": 0.0, "sharpness+hash": 0.0, "descriptor": 0.0}
    clock = time.process_time  # CPU time: robust to other jobs sharing the cores
    for scene, box in pairs:
        t0 = clock()
        landmarks = find_landmarks(scene, box, 68)
        t1 = clock()
        crop, _ = align_face(scene, landmarks, size, rotate=True)
        t2 = clock()
        face_sharpness(crop), perceptual_hash(crop)
        t3 = clock()
        face_descriptor(scene, box, landmarks)
        t4 = clock()
        for key, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            totals[key] += seconds
    return {key: 1000 * value / max(len(pairs), 1) for key, value in totals.items()}


def time_pipeline(scenes: list[np.ndarray], detector: str, workers: int, size: int) -> dict:
    from facegan.faces.job import FaceJob
    from facegan.faces.pipeline import run_faces_job

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "raw"
        src.mkdir()
        for i, scene in enumerate(scenes):
            Image.fromarray(scene).save(src / f"{i:04d}.jpg", quality=92)
        job = FaceJob(src=src, out=Path(tmp) / "out", size=size, detector=detector, align=True,
                      embed=True, dedupe=None, workers=workers)  # fmt: skip
        return run_faces_job(job, show_progress=False)["this_run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detectors", nargs="+", default=["hog", "cnn"], choices=["hog", "cnn"])
    parser.add_argument("--hog-images", type=int, default=30)
    parser.add_argument("--cnn-images", type=int, default=6)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--pipeline", action="store_true", help="also time the whole job")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"scenes: {args.width} x {args.height}, one face of 110-220 px each")
    for detector in args.detectors:
        count = args.hog_images if detector == "hog" else args.cnn_images
        scenes = make_scenes(count, args.height, args.width)
        seconds, cpu_seconds, found = time_detection(scenes, detector)
        # On a shared machine wall time includes waiting for a core; CPU time does not.
        print(
            f"detect {detector}: {found}/{count} faces found; wall {seconds:.2f} s = "
            f"{found / seconds:.2f} faces/s; CPU {cpu_seconds:.2f} s = "
            f"{found / cpu_seconds:.2f} faces per CPU-second (one core)"
        )
        if args.pipeline:
            run = time_pipeline(scenes, detector, args.workers, args.size)
            print(
                f"pipeline {detector} --align --embed, {args.workers} worker(s): "
                f"{run['photos']} photos in {run['seconds']:.2f} s = "
                f"{run['faces_per_second']:.2f} faces/s (model loading included)"
            )
    steps = time_per_face_steps(make_scenes(10, args.height, args.width, seed=1), args.size)
    print(
        "per face after detection (CPU ms): " + ", ".join(f"{k} {v:.1f}" for k, v in steps.items())
    )


if __name__ == "__main__":
    main()
