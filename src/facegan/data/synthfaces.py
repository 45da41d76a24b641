"""SynthFaces: a procedural, attribute-labelled face set drawn by facegan itself.

Every image is a pure function of `(seed, index)`: its identity is `identity_of_image(index)`,
the identity's parameters come from `(seed, identity)` and its appearance from `(seed, index)`,
so image i does not depend on how many images are generated, nor on the image size except
through resolution. Labels are derived from the same parameters the renderer draws from.

An *identity* fixes a person's geometry and colouring (face shape, skin tone, eyes, nose, mouth,
brows, hair colour and style, beard, lipstick, glasses frame). An *appearance* varies per image:
pose (yaw drawn as a feature shift, roll, offset, zoom), smile and open mouth, whether the
glasses are worn (each identity has its own probability: most people never wear them, a quarter
nearly always do), background, clothing, light and small hair changes.

On disk (`write_image_folder`), a SynthFaces folder is::

    out_dir/synthfaces.json    how it was made (format, version, n, size, seed, identities)
    out_dir/images/000000.png  RGB, size x size; at least 6 digits, more when n > 10**6
    out_dir/labels.csv         filename,<ATTRIBUTE_NAMES>,hair_color,eye_color,identity

`filename` is relative to out_dir (`images/000000.png`); attributes are 0/1 (not CelebA's -1/1);
labels.csv is written last, so its presence means the folder is complete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from facegan.data.synthfaces_params import (
    BUSHY_BROW_MIN,
    EYE_RGB,
    HAIR_RGB,
    PALE_SKIN_MAX_TONE,
    AppearanceParams,
    IdentityParams,
    neutral_appearance,
    sample_appearance,
    sample_identity,
)
from facegan.data.synthfaces_render import render_face
from facegan.errors import FaceganError

__all__ = [
    "ATTRIBUTE_NAMES",
    "TAG_NAMES",
    "TAG_VALUES",
    "AppearanceParams",
    "IdentityParams",
    "SynthBatch",
    "attributes_of",
    "generate",
    "identity_of_image",
    "neutral_appearance",
    "render",
    "sample_appearance",
    "sample_identity",
    "write_image_folder",
]

ATTRIBUTE_NAMES: tuple[str, ...] = (
    "Bald",
    "Bangs",
    "Black_Hair",
    "Blond_Hair",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Eyeglasses",
    "Gray_Hair",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "No_Beard",
    "Pale_Skin",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Lipstick",
)
"""CelebA attribute names that the renderer controls; the same order as the label columns."""

TAG_NAMES: tuple[str, ...] = ("hair_color", "eye_color")
TAG_VALUES: dict[str, tuple[str, ...]] = {
    "hair_color": tuple(HAIR_RGB),
    "eye_color": tuple(EYE_RGB),
}

MIN_SIZE, MAX_SIZE = 16, 256
FORMAT_NAME, FORMAT_VERSION = "synthfaces", 1
MARKER_FILE, LABELS_FILE, IMAGES_DIR = "synthfaces.json", "labels.csv", "images"
_IMAGE_NAME = re.compile(r"\d{6,}\.png")


@dataclass(frozen=True, eq=False)
class SynthBatch:
    """A generated batch; row i of every array describes image i.

    images: (n, size, size, 3) uint8 RGB. attributes: (n, len(ATTRIBUTE_NAMES)) int8 in {0, 1}.
    tags: {tag name: (n,) int64 index into TAG_VALUES[tag name]}. identities: (n,) int64.
    """

    images: np.ndarray
    attributes: np.ndarray
    tags: dict[str, np.ndarray]
    identities: np.ndarray

    def tag_strings(self, tag: str) -> list[str]:
        """The values of one tag as strings, e.g. ["blond", "black", ...]."""
        return [TAG_VALUES[tag][k] for k in self.tags[tag]]


def generate(
    n: int,
    size: int = 64,
    seed: int = 0,
    num_identities: int | None = None,
    images_per_identity: int | None = None,
    start: int = 0,
) -> SynthBatch:
    """Draw images `start .. start + n - 1` of the SynthFaces set for `seed`, at size x size px.

    Returns a SynthBatch (shapes and ranges in its docstring). `start` lets callers draw a large
    set in chunks, or in parallel, with the same bytes as one call.

    Identities: by default every image is its own person. `num_identities=K` deals images to K
    people in turn (image i shows person i % K); `images_per_identity=m` gives m consecutive
    images to each person (image i shows person i // m). Give at most one of the two.
    """
    _check_args(n, size, seed, num_identities, images_per_identity, start)
    images = np.empty((n, size, size, 3), np.uint8)
    attributes = np.empty((n, len(ATTRIBUTE_NAMES)), np.int8)
    tags = {tag: np.empty(n, np.int64) for tag in TAG_NAMES}
    identities = np.empty(n, np.int64)
    identity_cache: dict[int, IdentityParams] = {}
    for row, index in enumerate(range(start, start + n)):
        person = identity_of_image(index, num_identities, images_per_identity)
        if person not in identity_cache:
            identity_cache[person] = sample_identity(seed, person)
        identity = identity_cache[person]
        appearance = sample_appearance(seed, index, identity)
        images[row] = render_face(identity, appearance, size)
        attributes[row] = attributes_of(identity, appearance)
        tags["hair_color"][row] = TAG_VALUES["hair_color"].index(identity.hair_color)
        tags["eye_color"][row] = TAG_VALUES["eye_color"].index(identity.eye_color)
        identities[row] = person
    return SynthBatch(images, attributes, tags, identities)


def render(identity: IdentityParams, appearance: AppearanceParams, size: int = 64) -> np.ndarray:
    """Draw one face; returns (size, size, 3) uint8 RGB. Deterministic."""
    _check_size(size)
    return render_face(identity, appearance, size)


def identity_of_image(
    index: int, num_identities: int | None = None, images_per_identity: int | None = None
) -> int:
    """Which person image `index` shows (see `generate` for the two ways to share people)."""
    if num_identities is not None:
        return index % num_identities
    if images_per_identity is not None:
        return index // images_per_identity
    return index


def attributes_of(identity: IdentityParams, appearance: AppearanceParams) -> np.ndarray:
    """(len(ATTRIBUTE_NAMES),) int8 in {0, 1}: the labels of one image, in ATTRIBUTE_NAMES order."""
    has_hair_on_top = identity.hair_style != "bald"
    values = {
        "Bald": not has_hair_on_top,
        "Bangs": identity.bangs,
        "Black_Hair": identity.hair_color == "black",
        "Blond_Hair": identity.hair_color == "blond",
        "Brown_Hair": identity.hair_color == "brown",
        "Bushy_Eyebrows": identity.brow_thickness >= BUSHY_BROW_MIN,
        "Eyeglasses": appearance.eyeglasses,
        "Gray_Hair": identity.hair_color == "gray",
        "Male": identity.male,
        "Mouth_Slightly_Open": appearance.mouth_open,
        "Mustache": identity.beard in ("mustache", "full"),
        "No_Beard": identity.beard == "none",
        "Pale_Skin": identity.skin_tone <= PALE_SKIN_MAX_TONE,
        "Smiling": appearance.smiling,
        "Straight_Hair": has_hair_on_top and not identity.wavy_hair,
        "Wavy_Hair": has_hair_on_top and identity.wavy_hair,
        "Wearing_Lipstick": identity.lipstick,
    }
    return np.array([values[name] for name in ATTRIBUTE_NAMES], np.int8)


def write_image_folder(
    out_dir: str | os.PathLike,
    n: int,
    size: int = 64,
    seed: int = 0,
    num_identities: int | None = None,
    images_per_identity: int | None = None,
    chunk_size: int = 256,
    progress: bool = True,
) -> Path:
    """Write images 0 .. n-1 as PNGs plus labels.csv into `out_dir`; returns it as a Path.

    The layout is in the module docstring. A folder that holds earlier SynthFaces output is
    replaced (its old images and labels are deleted first); any other non-empty folder is refused,
    so a mistyped --out cannot overwrite someone's data. Images are drawn `chunk_size` at a time,
    which bounds memory at any n.
    """
    _check_args(n, size, seed, num_identities, images_per_identity, start=0)
    out = Path(out_dir)
    is_new = not out.exists()
    try:
        return _write_folder(out, n, size, seed, num_identities, images_per_identity,
                             chunk_size, progress)
    except OSError:  # a full disk, no permission: leave no half-made folder of ours behind
        if is_new:
            shutil.rmtree(out, ignore_errors=True)
        raise


def _write_folder(out: Path, n: int, size: int, seed: int, num_identities: int | None,
                  images_per_identity: int | None, chunk_size: int, progress: bool) -> Path:
    _prepare_folder(out)
    recipe = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "n": int(n),
        "size": int(size),
        "seed": int(seed),
        "num_identities": None if num_identities is None else int(num_identities),
        "images_per_identity": None if images_per_identity is None else int(images_per_identity),
    }
    _write_atomically(out / MARKER_FILE, json.dumps(recipe, indent=2) + "\n")
    digits = max(6, len(str(n - 1)))
    rows = []
    with tqdm(total=n, unit="img", desc="SynthFaces", disable=not progress) as progress_bar:
        for start in range(0, n, chunk_size):
            count = min(chunk_size, n - start)
            batch = generate(count, size, seed, num_identities, images_per_identity, start=start)
            for row in range(count):
                filename = f"{IMAGES_DIR}/{start + row:0{digits}d}.png"
                # zlib level 1 saves twice as fast as the default 6; files grow by about 20%.
                Image.fromarray(batch.images[row]).save(out / filename, compress_level=1)
                rows.append(_label_row(filename, batch, row))
            progress_bar.update(count)
    _write_atomically(out / LABELS_FILE, _csv_text(rows))
    return out


def _prepare_folder(out: Path) -> None:
    """Make `out` ready for a fresh write, or refuse when it holds someone else's files."""
    if out.exists() and not out.is_dir():
        raise FaceganError(f"SynthFaces output {out} is a file; pass a folder path to --out")
    if out.is_dir() and any(out.iterdir()):
        if not _is_synthfaces_folder(out):
            raise FaceganError(
                f"refusing to write SynthFaces into {out}: it is not empty and holds no "
                f"{MARKER_FILE}; pass an empty or new folder to --out"
            )
        _remove_previous_output(out)
    (out / IMAGES_DIR).mkdir(parents=True, exist_ok=True)


def _is_synthfaces_folder(out: Path) -> bool:
    try:
        recipe = json.loads((out / MARKER_FILE).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(recipe, dict) and recipe.get("format") == FORMAT_NAME


def _remove_previous_output(out: Path) -> None:
    # Only files this writer makes are removed; anything else a user put there stays.
    for name in (LABELS_FILE, LABELS_FILE + ".tmp", MARKER_FILE):
        (out / name).unlink(missing_ok=True)
    images = out / IMAGES_DIR
    if images.is_dir():
        for path in images.iterdir():
            if _IMAGE_NAME.fullmatch(path.name):
                path.unlink()


def _label_row(filename: str, batch: SynthBatch, row: int) -> list:
    tags = [TAG_VALUES[tag][batch.tags[tag][row]] for tag in TAG_NAMES]
    return [filename, *batch.attributes[row].tolist(), *tags, int(batch.identities[row])]


def _csv_text(rows: list[list]) -> str:
    lines = [",".join(["filename", *ATTRIBUTE_NAMES, *TAG_NAMES, "identity"])]
    lines += [",".join(str(value) for value in row) for row in rows]
    return "\n".join(lines) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never a half-written file."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_size(size: int) -> None:
    if not _is_int(size) or not MIN_SIZE <= size <= MAX_SIZE:
        raise FaceganError(
            f"SynthFaces size must be an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}; "
            "pass e.g. --size 64"
        )


def _check_args(n, size, seed, num_identities, images_per_identity, start) -> None:
    _check_size(size)
    if not _is_int(n) or n <= 0:
        raise FaceganError(
            f"SynthFaces n must be a positive integer, got {n!r}; pass e.g. --n 1000"
        )
    for name, value in (("seed", seed), ("start", start)):
        if not _is_int(value) or value < 0:
            raise FaceganError(f"SynthFaces {name} must be an integer >= 0, got {value!r}")
    sharing = {"num_identities": num_identities, "images_per_identity": images_per_identity}
    for name, value in sharing.items():
        if value is not None and (not _is_int(value) or value <= 0):
            raise FaceganError(
                f"SynthFaces {name} must be a positive integer or None, got {value!r}"
            )
    if num_identities is not None and images_per_identity is not None:
        raise FaceganError(
            "SynthFaces takes num_identities or images_per_identity, not both; drop one of them"
        )
