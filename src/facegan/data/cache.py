"""The decoded-image cache: decode a dataset once into a memory-mapped uint8 array on disk.

Decoding and resizing JPEGs dominates a naive loader. A cache entry holds every image of a
dataset after the deterministic decode stage, so later epochs and later runs only copy bytes::

    <cache dir>/<prefix>-<key hash>/
        images.npy    uint8 (N, C, S, S), opened with numpy's memory map
        arrays.npz    extra per-image arrays the builder returned (labels, ...), if any
        meta.json     the key and the builder's other results; written last, so an entry is
                      complete exactly when meta.json exists

The key holds everything the pixels depend on: the source files (path, size and modification
time of each: a fingerprint that changes when a file is added, removed, replaced or touched) and
the transform options. A changed key builds a new entry and deletes the older entries of the
same prefix (callers give one prefix per source and transform), so the cache never grows with
stale copies. Entries are built in a temporary
directory and renamed into place, so an interrupted build leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CACHE_DIR_NAME = ".facegan_cache"
CACHE_FORMAT = 1
IMAGES_FILE, ARRAYS_FILE, META_FILE = "images.npy", "arrays.npz", "meta.json"

# A builder fills the (N, C, S, S) array it is given and returns its results: numpy arrays go to
# arrays.npz, everything else (JSON-compatible) to meta.json.
Builder = Callable[[np.ndarray], dict[str, Any]]


@dataclass
class CachedImages:
    """A dataset's decoded images and what their builder returned.

    images: uint8 (N, C, S, S), a read-only memory map (or an in-memory array when uncached).
    path: the images.npy file, or None in memory; workers reopen the map from it.
    """

    images: np.ndarray
    results: dict[str, Any]
    path: Path | None
    built: bool  # True when this call decoded the images, False when it read an existing entry


def file_fingerprint(paths: Iterable[Path]) -> str:
    """A hash of each file's path, size and modification time (ns), in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def stable_hash(value: Any, length: int = 16) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:length]


def cached_images(cache_dir: Path | None, prefix: str, key: dict[str, Any],
                  shape: tuple[int, ...], build: Builder) -> CachedImages:
    """Read the entry for ``key`` under ``cache_dir``, or build it with ``build``.

    ``cache_dir=None`` decodes into memory without touching the disk; a ``cache_dir`` that cannot
    be created (e.g. a read-only dataset folder) does the same after a warning.
    """
    if cache_dir is not None:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("cannot create the image cache %s (%s); decoding into memory. Set "
                        "data.cache_dir to a writable folder to decode only once", cache_dir, exc)
            cache_dir = None
    full_key = {"cache_format": CACHE_FORMAT, "shape": list(shape), **key}
    if cache_dir is None:
        images = np.empty(shape, np.uint8)
        return CachedImages(images, build(images), None, built=True)

    entry = cache_dir / f"{prefix}-{stable_hash(full_key)}"
    loaded = _load(entry, full_key)
    if loaded is not None:
        return loaded
    log.info("decoding %d images into the cache %s (once; later runs read it)", shape[0], entry)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.tmp-", dir=cache_dir))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
    try:
        _build(tmp, full_key, shape, build)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if entry.exists() and _load(entry, full_key, warn=False) is None:
        shutil.rmtree(entry, ignore_errors=True)  # damaged: replace it
    try:
        os.replace(tmp, entry)
    except OSError:  # another process (e.g. another DDP rank) finished this entry first
        shutil.rmtree(tmp, ignore_errors=True)
    for stale in cache_dir.glob(f"{prefix}-*"):
        if stale != entry and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    loaded = _load(entry, full_key)
    if loaded is None:
        raise RuntimeError(f"the cache entry {entry} cannot be read right after it was written")
    loaded.built = True
    return loaded


def _build(folder: Path, key: dict[str, Any], shape: tuple[int, ...], build: Builder) -> None:
    images = np.lib.format.open_memmap(folder / IMAGES_FILE, mode="w+", dtype=np.uint8,
                                       shape=shape)
    results = build(images)
    images.flush()
    del images
    arrays = {k: v for k, v in results.items() if isinstance(v, np.ndarray)}
    if arrays:
        np.savez(folder / ARRAYS_FILE, **arrays)
    meta = {k: v for k, v in results.items() if k not in arrays}
    (folder / META_FILE).write_text(json.dumps({"key": key, "results": meta}))


def open_images(path: Path) -> np.ndarray:
    """Memory-map an images.npy read-only (cheap: pages are read when touched)."""
    return np.load(path, mmap_mode="r")


def _load(entry: Path, key: dict[str, Any], warn: bool = True) -> CachedImages | None:
    meta_file = entry / META_FILE
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text())
        if meta.get("key") != key:  # a hash collision, or an entry from another format
            return None
        images = open_images(entry / IMAGES_FILE)
        results = dict(meta["results"])
        if (entry / ARRAYS_FILE).is_file():
            with np.load(entry / ARRAYS_FILE) as arrays:
                results.update({name: arrays[name] for name in arrays.files})
    except (OSError, ValueError, KeyError) as exc:
        if warn:
            log.warning("ignoring the damaged cache entry %s (%s); rebuilding it", entry, exc)
        return None
    if images.shape != tuple(key["shape"]):
        return None
    return CachedImages(images, results, entry / IMAGES_FILE, built=False)
