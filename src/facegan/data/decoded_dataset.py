"""The Dataset every image handler returns: rows of a decoded uint8 array plus labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from facegan.data.base import DataInfo, to_model_range
from facegan.data.cache import open_images
from facegan.data.decode import DecodedFiles
from facegan.data.transforms import ImageTransform, random_horizontal_flip


@dataclass
class DataReport:
    """Where a dataset came from and what was left out (printed by `facegan data inspect`)."""

    source: str
    num_files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    source_sizes: dict[str, int] = field(default_factory=dict)  # "WxH" -> number of files
    cache: str | None = None  # the cache entry's images.npy, None when decoded into memory
    notes: list[str] = field(default_factory=list)


class DecodedImageDataset(Dataset):
    """Items ``(image, label)``: image float32 ``(C, S, S)`` in [-1, 1], read from row
    ``rows[i]`` of a uint8 ``(N, C, S, S)`` array, then the random item transform (which gets a
    uint8 batch ``(B, C, S, S)``: a DataLoader reads a whole batch with `__getitems__`).

    Labels: int64 class ``()``, float32 multi-hot ``(L,)``, float32 embedding ``(D,)``, or the
    int64 ``-1`` when ``labels`` is None. A memory-mapped array is reopened from its path in each
    DataLoader worker instead of being pickled (which would copy it).
    """

    def __init__(self, images: np.ndarray, rows: np.ndarray, labels: torch.Tensor | None,
                 info: DataInfo, *,
                 item_transform: Callable[[np.ndarray], np.ndarray] | None = None,
                 images_path: Path | None = None, report: DataReport | None = None):
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError(f"images must be uint8 (N, C, H, W), got {images.dtype} "
                             f"{images.shape}")
        if labels is not None and len(labels) != len(rows):
            raise ValueError(f"{len(labels)} labels for {len(rows)} images")
        self._images: np.ndarray | None = images
        self.images_path = images_path
        self.rows = np.asarray(rows, np.int64)
        self.labels = labels
        self.info = info
        self.item_transform = item_transform
        self.report = report or DataReport(source="")

    @property
    def images(self) -> np.ndarray:
        if self._images is None:
            assert self.images_path is not None
            self._images = open_images(self.images_path)
        return self._images

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self.images_path is not None:
            state["_images"] = None
        return state

    def __len__(self) -> int:
        return len(self.rows)

    def uint8_images(self, indices: list[int] | np.ndarray) -> torch.Tensor:
        """The stored images of ``indices`` (before random transforms), uint8 ``(B, C, S, S)``."""
        return torch.from_numpy(np.ascontiguousarray(self.images[self.rows[indices]]))

    @property
    def whole_batches(self) -> bool:
        """Whether training may read whole stored batches: no item transform but the flip."""
        return self.item_transform in (None, random_horizontal_flip)

    @property
    def random_hflip(self) -> bool:
        """Whether items are mirrored at random (the training loader does it per batch)."""
        return self.item_transform is random_horizontal_flip

    def _labels(self, indices: list[int] | np.ndarray) -> torch.Tensor:
        if self.labels is None:
            return torch.full((len(indices),), -1, dtype=torch.int64)
        return self.labels[torch.as_tensor(indices, dtype=torch.int64)]

    def stored_batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 ``(B, C, S, S)`` images and the labels of ``indices``, before the random
        item transform (see `facegan.data.batches`)."""
        return self.uint8_images(indices), self._labels(indices)

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        # One fancy-indexed read per batch is much cheaper than one read per image.
        batch = self.images[self.rows[indices]]  # a fresh (B, C, S, S) array, not a view
        if self.item_transform is not None:
            batch = self.item_transform(batch)
        images = to_model_range(torch.from_numpy(batch))
        return list(zip(images, self._labels(indices), strict=True))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.__getitems__([index])[0]


def dataset_from_files(decoded: DecodedFiles, labels: torch.Tensor | None, info: DataInfo,
                       transform: ImageTransform, source: str,
                       notes: list[str] | None = None) -> DecodedImageDataset:
    """The dataset of the files that decoded; ``labels`` has one row per file (skipped ones too)."""
    report = DataReport(source=source, num_files=len(decoded.images), skipped=decoded.skipped,
                        source_sizes=decoded.source_sizes,
                        cache=str(decoded.images_path) if decoded.images_path else None,
                        notes=notes or [])
    kept_labels = None if labels is None else labels[torch.from_numpy(decoded.kept)]
    return DecodedImageDataset(decoded.images, decoded.kept, kept_labels, info,
                               item_transform=transform.item_stage(),
                               images_path=decoded.images_path, report=report)
