"""Synthetic face scenes for the face preprocessing tests.

Real faces come from files that installed packages ship (no network): the astronaut of
scikit-image and Grace Hopper of matplotlib. A scene pastes a square patch around one of them,
scaled, rotated and placed on a background; the fixtures know where the face went.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _missing_modules() -> list[str]:
    missing = []
    for name in ("dlib", "imagehash", "skimage"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def pytest_collection_modifyitems(config, items):
    """Skip (visibly) the tests of this folder when the optional extra `faces` is missing."""
    missing = _missing_modules()
    if not missing:
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason=f"needs pip install 'facegan[faces]' and scikit-image ({', '.join(missing)} missing)"
    )
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@dataclass(frozen=True)
class FaceSource:
    """A photo with one face: its HOG box centre and size (px), and how much around it to cut."""

    image: np.ndarray
    center: tuple[float, float]
    box_size: float
    margin: float  # patch side / box size; the FFHQ-style crop needs about 2

    def patch(self) -> np.ndarray:
        """Square patch centred on the face."""
        half = int(self.box_size * self.margin / 2)
        x, y = int(self.center[0]), int(self.center[1])
        return self.image[y - half : y + half, x - half : x + half]


@dataclass(frozen=True)
class Scene:
    image: np.ndarray
    face_center: tuple[float, float] | None  # where the face centre went, px
    face_size: float | None  # expected detector box size, px


def _astronaut() -> FaceSource:
    from skimage import data

    # HOG box (179, 83)-(267, 171) measured on this image.
    return FaceSource(data.astronaut(), center=(223.0, 127.0), box_size=88.0, margin=2.6)


def _hopper() -> FaceSource:
    import matplotlib.cbook

    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    image = np.asarray(Image.open(path).convert("RGB"))
    # HOG box (161, 137)-(377, 353) measured on this image.
    return FaceSource(image, center=(269.0, 245.0), box_size=216.0, margin=2.2)


@pytest.fixture(scope="session")
def astronaut() -> FaceSource:
    return _astronaut()


@pytest.fixture(scope="session")
def hopper() -> FaceSource:
    return _hopper()


def background(kind: str, height: int, width: int, seed: int = 0) -> np.ndarray:
    """A face-free uint8 (H, W, 3) background."""
    from skimage import data

    rng = np.random.default_rng(seed)
    if kind == "noise":
        return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if kind == "gradient":
        ramp = np.linspace(30, 220, width)[None, :, None] * np.array([1.0, 0.8, 0.5])
        return np.broadcast_to(ramp, (height, width, 3)).astype(np.uint8).copy()
    textures = {
        "grass": lambda: np.stack([data.grass()] * 3, axis=-1),
        "brick": lambda: np.stack([data.brick()] * 3, axis=-1),
        "coffee": data.coffee,
        "chelsea": data.chelsea,
        "rocket": data.rocket,
    }
    texture = Image.fromarray(np.asarray(textures[kind]()))
    return np.asarray(texture.resize((width, height), Image.Resampling.BILINEAR)).copy()


def compose(
    source: FaceSource,
    bg: np.ndarray,
    face_size: float,
    center: tuple[float, float],
    angle: float = 0.0,
) -> Scene:
    """Paste `source`'s face patch onto `bg` so the face is `face_size` px, centred at `center`.

    `angle` rotates the patch counter-clockwise in degrees; its corners stay background.
    """
    scale = face_size / source.box_size
    patch = source.patch()
    side = max(1, round(patch.shape[0] * scale))
    patch_image = Image.fromarray(patch).resize((side, side), Image.Resampling.LANCZOS)
    mask = Image.new("L", (side, side), 255)
    if angle:
        patch_image = patch_image.rotate(angle, Image.Resampling.BICUBIC, expand=True)
        mask = mask.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    canvas = Image.fromarray(bg.copy())
    left = round(center[0] - patch_image.width / 2)
    top = round(center[1] - patch_image.height / 2)
    canvas.paste(patch_image, (left, top), mask)
    return Scene(np.asarray(canvas), face_center=center, face_size=face_size)


@pytest.fixture(scope="session")
def compose_scene():
    return compose


@pytest.fixture(scope="session")
def make_background():
    return background


def rotation_of(points_a: np.ndarray, points_b: np.ndarray) -> float:
    """Angle in degrees of the vector points_a -> points_b (x right, y down)."""
    dx, dy = points_b - points_a
    return math.degrees(math.atan2(dy, dx))
