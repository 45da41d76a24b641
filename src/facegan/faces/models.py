"""Locate and lazily load the dlib models behind face preprocessing.

The models come from two optional packages (the `faces` extra): `dlib-bin` (the library) and
`face-recognition-models` (the trained `.dat` files). Nothing is downloaded at run time.

Each loader is cached per process, so a worker process loads a model the first time it needs it
and keeps it for every later image.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

from facegan.errors import FaceganError

INSTALL_HINT = "face preprocessing needs the optional extra: pip install 'facegan[faces]'"

MODEL_FILES = {
    "cnn_detector": "mmod_human_face_detector.dat",
    "landmarks_68": "shape_predictor_68_face_landmarks.dat",
    "landmarks_5": "shape_predictor_5_face_landmarks.dat",
    "descriptor": "dlib_face_recognition_resnet_model_v1.dat",
}


def import_dlib() -> Any:
    """Return the `dlib` module, or raise FaceganError naming the extra to install."""
    try:
        import dlib
    except ImportError as exc:
        raise FaceganError(f"{INSTALL_HINT} (dlib is not importable: {exc})") from None
    return dlib


def models_dir() -> Path:
    """Folder holding the `.dat` files of `face-recognition-models`.

    Found from the import spec without importing the package: its `__init__` imports
    `pkg_resources`, which recent setuptools no longer ships.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise FaceganError(f"{INSTALL_HINT} (package face-recognition-models not found)")
    return Path(locations[0]) / "models"


def model_path(name: str) -> Path:
    """Path of one model file; `name` is a key of MODEL_FILES."""
    path = models_dir() / MODEL_FILES[name]
    if not path.is_file():
        raise FaceganError(f"{INSTALL_HINT} (model file missing: {path})")
    return path


@functools.cache
def hog_detector() -> Any:
    """dlib's HOG + linear SVM frontal face detector (built into dlib, no file)."""
    return import_dlib().get_frontal_face_detector()


@functools.cache
def cnn_detector() -> Any:
    """dlib's MMOD CNN face detector: more robust to pose and light, ~50x slower on CPU."""
    dlib = import_dlib()
    return dlib.cnn_face_detection_model_v1(str(model_path("cnn_detector")))


@functools.cache
def shape_predictor(points: int) -> Any:
    """Landmark predictor with 68 (iBUG 300-W layout) or 5 points (eye corners, nose base)."""
    if points not in (5, 68):
        raise FaceganError(f"landmark model must have 5 or 68 points, got {points}")
    dlib = import_dlib()
    return dlib.shape_predictor(str(model_path(f"landmarks_{points}")))


@functools.cache
def face_descriptor_model() -> Any:
    """dlib's ResNet face recognition model: 128-d descriptors, same person if distance < 0.6."""
    dlib = import_dlib()
    return dlib.face_recognition_model_v1(str(model_path("descriptor")))
