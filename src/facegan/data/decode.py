"""Find image files and decode them, once, into the cache; unreadable files are skipped.

Every file is decoded when the dataset is built, before training starts, so a truncated, corrupt
or non-image file is found then, skipped and reported (count and the first paths), and can never
stop an epoch half-way. The list of skipped files is kept in the cache entry, so later runs report
it again without decoding anything.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from facegan.data.cache import CACHE_DIR_NAME, cached_images, file_fingerprint, stable_hash
from facegan.data.transforms import ImageTransform
from facegan.errors import FaceganError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
CHUNK = 1024  # files handed to the decoding threads at a time
MAX_REPORTED = 5  # skipped files named in the warning (all of them are in `DecodedFiles.skipped`)


@dataclass
class DecodedFiles:
    """The decoded images of a list of files.

    images: uint8 (len(files), C, S, S); rows of skipped files are zeros.
    kept: (K,) int64 indices into ``files`` of the images that decoded.
    skipped: (relative path, reason) of each file that did not.
    source_sizes: how many files had each original "WxH" size.
    """

    images: np.ndarray
    images_path: Path | None
    kept: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)
    source_sizes: dict[str, int] = field(default_factory=dict)


def find_image_files(root: Path) -> list[Path]:
    """Image files under ``root``, recursively and sorted; hidden folders (the cache) skipped."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        found += [Path(folder) / n for n in names if n.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


def resolve_cache_dir(cache: bool, cache_dir: str | None, root: Path) -> Path | None:
    """``cache_dir`` when set, else ``<root>/.facegan_cache``; None when caching is off."""
    if not cache:
        return None
    return Path(cache_dir) if cache_dir else root / CACHE_DIR_NAME


def decode_files(files: list[Path], root: Path, transform: ImageTransform,
                 cache_dir: Path | None, kind: str) -> DecodedFiles:
    """Decode ``files`` through ``transform``'s decode stage, from the cache when it is current.

    ``kind`` names the data handler; with the resolved root and the transform it names the cache
    entries, so several datasets can share one cache folder.
    """
    shape = (len(files), transform.channels, transform.image_size, transform.image_size)
    key = {"files": file_fingerprint(files), "transform": transform.cache_key()}
    # Entries of other transforms stay (64 and 128 px runs can alternate); an entry of changed
    # files replaces its predecessor.
    prefix = f"{kind}-{stable_hash([str(root.resolve()), transform.cache_key()], 8)}"
    cached = cached_images(cache_dir, prefix, key,
                           shape, lambda images: _decode_into(images, files, root, transform))
    results = cached.results
    decoded = DecodedFiles(cached.images, cached.path, np.asarray(results["kept"], np.int64),
                           [tuple(item) for item in results["skipped"]], results["source_sizes"])
    if decoded.skipped and len(decoded.kept):  # (none kept: the error below names one)
        first = "; ".join(f"{path} ({reason})" for path, reason in decoded.skipped[:MAX_REPORTED])
        more = len(decoded.skipped) - MAX_REPORTED
        log.warning("skipped %d unreadable file(s) of %d in %s: %s%s", len(decoded.skipped),
                    len(files), root, first, f"; and {more} more" if more > 0 else "")
    if len(decoded.kept) == 0 and files:
        path, reason = decoded.skipped[0]
        raise FaceganError(f"none of the {len(files)} image files in {root} could be read (e.g. "
                           f"{path}: {reason}); check that they are images")
    return decoded


def _decode_into(images: np.ndarray, files: list[Path], root: Path,
                 transform: ImageTransform) -> dict[str, object]:
    pipeline = transform.decode_stage()

    def decode(index: int) -> tuple[str, str] | str:
        """Returns the original size "WxH", or (path, reason) when the file is unreadable."""
        path = files[index]
        try:
            with Image.open(path) as image:
                image.load()  # raises here, not later, on truncated or corrupt data
                size = f"{image.width}x{image.height}"
                images[index] = pipeline(image).numpy()
        # Whatever a decoder raises for one bad file (OSError for truncated or unidentified
        # data, ValueError, DecompressionBombError, ...), the file is skipped and reported.
        except Exception as exc:  # noqa: BLE001
            return str(path.relative_to(root) if path.is_relative_to(root) else path), \
                f"{type(exc).__name__}: {exc}"
        return size

    workers = min(8, os.cpu_count() or 1)
    kept, skipped, sizes = [], [], Counter()
    # PIL and torch release the GIL while decoding and resizing, so threads scale.
    with ThreadPoolExecutor(workers) as pool, tqdm(total=len(files), unit="img",
                                                   desc="decoding", leave=False,
                                                   disable=None) as bar:
        for start in range(0, len(files), CHUNK):  # bounded: not one future per file at once
            indices = range(start, min(start + CHUNK, len(files)))
            for index, outcome in zip(indices, pool.map(decode, indices), strict=True):
                if isinstance(outcome, tuple):
                    skipped.append(list(outcome))
                    images[index] = 0
                else:
                    kept.append(index)
                    sizes[outcome] += 1
            bar.update(len(indices))
    return {"kept": np.asarray(kept, np.int64), "skipped": skipped,
            "source_sizes": dict(sizes.most_common())}
