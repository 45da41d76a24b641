"""What every data handler returns: a torch Dataset of ``(image, label)`` plus its `DataInfo`
(defined in `facegan.datainfo`, below the models, which need it too)."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.registry import DATASETS


def to_model_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1] (the range models see)."""
    return images_uint8.to(torch.float32).div_(127.5).sub_(1.0)


class ImageTensorDataset(Dataset):
    """Images held in memory as uint8 ``(N, C, H, W)``; items are ``(float [-1, 1], label)``.

    Labels are int64 class indices ``(N,)``, float multi-hot vectors ``(N, L)``, or ``None``
    (then every item's label is -1).
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None, info: DataInfo):
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(f"images must be uint8 (N, C, H, W), got {images.dtype} "
                             f"{tuple(images.shape)}")
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"{len(labels)} labels for {len(images)} images")
        self.images = images
        self.labels = labels
        self.info = info

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        label = self.labels[index] if self.labels is not None else torch.tensor(-1)
        return to_model_range(self.images[index]), label

    def stored_batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 ``(B, C, H, W)`` images and the labels of ``indices``, as stored (see
        `facegan.data.batches`)."""
        index = torch.as_tensor(indices, dtype=torch.int64)
        labels = (self.labels[index] if self.labels is not None
                  else torch.full((len(index),), -1, dtype=torch.int64))
        return self.images[index], labels


def build_dataset(data_config: Any) -> Dataset:
    """Build the dataset a ``data`` config section names; it carries ``.info`` (a DataInfo)."""
    dataset = DATASETS.get(data_config.name).builder(data_config)
    if len(dataset) == 0:
        raise FaceganError(f"dataset {data_config.name!r} has no images")
    return dataset
