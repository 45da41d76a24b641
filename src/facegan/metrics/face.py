"""``face``: dlib's 128-d face descriptor (ResNet, 99.4 % on LFW), for real face photos.

Optional: needs the ``faces`` extra (``dlib-bin`` and ``face-recognition-models``). The model
files are found by path inside the ``face_recognition_models`` distribution without importing it
(its ``__init__`` imports ``pkg_resources``, which recent setuptools no longer ship), or in the
folder that ``weights`` names. Generated images are face crops without a detector box, so each
image is upscaled to 150 px and dlib's 5-point landmark model places the eyes and nose inside
the full frame; dlib then aligns its own 150 x 150 chip from those landmarks, as for a photo.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.metrics.extractors import FeatureExtractor, FeaturesConfig, to_rgb, to_uint8
from facegan.registry import register_feature_extractor

RECOGNITION_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARK_MODEL = "shape_predictor_5_face_landmarks.dat"
FRAME_PX = 150
INSTALL_HINT = "pip install 'facegan[faces]' (dlib-bin and face-recognition-models)"


def import_dlib() -> Any:
    try:
        import dlib
    except ImportError:
        raise FaceganError(f"the face features need dlib: {INSTALL_HINT}") from None
    return dlib


def face_models_dir(weights: str | None) -> Path:
    """The folder holding the dlib .dat files: ``weights`` or the installed package's data."""
    if weights is not None:
        folder = Path(weights)
        folder = folder.parent if folder.is_file() else folder
    else:
        spec = importlib.util.find_spec("face_recognition_models")  # finds, does not import
        if spec is None or not spec.submodule_search_locations:
            raise FaceganError(f"the face features need dlib's model files: {INSTALL_HINT}")
        folder = Path(list(spec.submodule_search_locations)[0]) / "models"
    for name in (RECOGNITION_MODEL, LANDMARK_MODEL):
        if not (folder / name).is_file():
            raise FaceganError(f"{folder} has no {name}; {INSTALL_HINT}, or pass the folder "
                               "holding both dlib .dat files")
    return folder


class FaceFeatures(FeatureExtractor):
    name = "face"
    num_features = 128
    resize = (f"uint8 quantised, gray->RGB, bilinear antialiased to {FRAME_PX}x{FRAME_PX}, "
              "dlib 5-point alignment inside the full frame (assumes face crops)")

    def __init__(self, folder: Path) -> None:
        super().__init__()
        dlib = import_dlib()
        self._dlib = dlib
        self.weights_path = folder / RECOGNITION_MODEL
        self.landmarks = dlib.shape_predictor(str(folder / LANDMARK_MODEL))
        self.recognition = dlib.face_recognition_model_v1(str(self.weights_path))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` in [-1, 1] -> ``(N, 128)`` descriptors (norm about 1)."""
        frames = TF.resize(to_rgb(images.detach().float().cpu()), [FRAME_PX, FRAME_PX],
                           antialias=True)
        pixels = to_uint8(frames).permute(0, 2, 3, 1).numpy()  # (N, 150, 150, 3)
        box = self._dlib.rectangle(0, 0, FRAME_PX - 1, FRAME_PX - 1)
        descriptors = []
        for image in pixels:
            image = np.ascontiguousarray(image)
            shape = self.landmarks(image, box)
            descriptors.append(np.asarray(self.recognition.compute_face_descriptor(image, shape),
                                          dtype=np.float32))
        return torch.from_numpy(np.stack(descriptors)).to(images.device)


@register_feature_extractor("face", config=FeaturesConfig)
def build_face_features(cfg: FeaturesConfig, info: DataInfo, features_root: Path) -> FaceFeatures:
    if info.channels not in (1, 3):
        raise FaceganError(f"face features need 1 or 3 channels, the data has {info.channels}")
    return FaceFeatures(face_models_dir(cfg.weights))
