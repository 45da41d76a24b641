"""Options of a faces job, their validation, and the output folder layout."""

from __future__ import annotations

import hashlib
import importlib.util
import math
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from facegan.errors import FaceganError
from facegan.faces import models
from facegan.faces.crop import CROP_MODES
from facegan.faces.detect import DETECTORS

IMAGES_DIR = "images"
REJECTED_DIR = "rejected"
MANIFEST_FILE = "manifest.csv"
EMBEDDINGS_FILE = "embeddings.npy"
DUPLICATES_FILE = "duplicates.csv"
SUMMARY_FILE = "summary.json"

# Faces at least 128 / sqrt(2) px across are never enlarged by more than sqrt(2) into a
# 128 px training image: the rule of the project this pipeline reproduces.
DEFAULT_MIN_FACE = 128 / math.sqrt(2)

# Bump when per-photo results change meaning, so old output folders are not silently mixed.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class FaceJob:
    """Everything `facegan data faces` needs; see `facegan data faces --help` for meanings."""

    src: Path
    out: Path
    size: int = 128
    min_face: float = DEFAULT_MIN_FACE
    detector: str = "hog"
    landmarks: int = 68
    align: bool = False
    embed: bool = False
    crop: str = "none"
    max_faces: int = 1
    dedupe: float | None = None
    workers: int = 1

    @property
    def detects(self) -> bool:
        return self.crop == "none"

    def validate(self) -> None:
        """Raise FaceganError naming the first bad option and how to fix it."""
        if not self.src.is_dir():
            raise FaceganError(
                f"source folder not found: {self.src}; pass --src a folder of photos"
            )
        if self.out.resolve() == self.src.resolve():
            raise FaceganError("--out must differ from --src; choose a new folder for the faces")
        if not 16 <= self.size <= 4096:
            raise FaceganError(f"--size must be between 16 and 4096 px, got {self.size}")
        if not self.min_face > 0:
            raise FaceganError(f"--min-face must be a positive size in px, got {self.min_face}")
        if self.detector not in DETECTORS:
            raise FaceganError(
                f"--detector must be one of {', '.join(DETECTORS)}, got {self.detector!r}"
            )
        if self.landmarks not in (5, 68):
            raise FaceganError(f"--landmarks must be 5 or 68, got {self.landmarks}")
        if self.crop not in CROP_MODES:
            raise FaceganError(f"--crop must be one of {', '.join(CROP_MODES)}, got {self.crop!r}")
        if self.dedupe is not None and not 0 < self.dedupe < 1:
            raise FaceganError(
                f"invalid --dedupe value {self.dedupe}: give a distance threshold in (0, 1), e.g. "
                "0.1 (perceptual hash) or 0.3 (face embeddings, with --embed)"
            )
        if self.workers < 1:
            raise FaceganError(f"--workers must be at least 1, got {self.workers}")
        if self.max_faces < 0:
            raise FaceganError(f"--max-faces must be 0 (no limit) or more, got {self.max_faces}")
        if not self.detects and (self.align or self.embed):
            raise FaceganError(
                f"--crop {self.crop} skips face detection, so --align and --embed cannot be used "
                "with it; drop them, or use --crop none"
            )

    def check_dependencies(self) -> None:
        """Fail before any work if the optional `faces` extra is missing."""
        if importlib.util.find_spec("imagehash") is None:
            raise FaceganError(f"{models.INSTALL_HINT} (package imagehash not found)")
        if self.detects:
            models.import_dlib()
            models.model_path(f"landmarks_{self.landmarks}")
            if self.detector == "cnn":
                models.model_path("cnn_detector")
            if self.embed:
                models.model_path("descriptor")

    def fingerprint(self) -> dict[str, Any]:
        """Options that shape each photo's results; a resumed run must repeat them.

        `dedupe` and `workers` are left out: de-duplication runs over all faces at the end, so it
        may change between runs.
        """
        return {
            "format_version": FORMAT_VERSION,
            "size": self.size,
            "min_face": self.min_face,
            "detector": self.detector,
            "landmarks": self.landmarks,
            "align": self.align,
            "embed": self.embed,
            "crop": self.crop,
            "max_faces": self.max_faces,
        }


def output_name(source: str, face_index: int) -> str:
    """Image file name for face `face_index` of `source` (path relative to SRC, '/'-separated).

    Readable (built from the source path) and unique (a hash of the full path), and the same on
    every run, so a photo processed again overwrites its own earlier output.
    """
    stem = PurePosixPath(source).with_suffix("").as_posix().replace("/", "__")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[-80:]
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:8]
    return f"{stem}-{digest}-{face_index}.png"
