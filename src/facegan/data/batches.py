"""Training batches read whole: one fancy-index into the stored uint8 images per batch.

Every built-in dataset stores its images as one uint8 ``(N, C, S, S)`` array (the decoded-image
cache, memory-mapped, or an in-memory array) and offers ``stored_batch(indices) -> (uint8
images (B, C, S, S), labels (B, ...))``. The training loader reads a batch with one call (in a
DataLoader worker when ``train.num_workers > 0``), moves the uint8 batch to the device (pinned
and non-blocking on a GPU: a quarter of the bytes of floats), and only there mirrors the images
drawn for it and converts them to [-1, 1] -- a few vectorised operations per batch instead of
a transform and a collate per image.

The flips are drawn from the trainer's checkpointed `BatchRandom`, for the global batch, so a
seed fixes every epoch's images with any number of workers or processes, and a resumed run
flips as a straight one does. Datasets from elsewhere (a registered handler returning float
items) take torch's usual per-item path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from facegan.data.base import to_model_range
from facegan.randomness import BatchRandom


def reads_batches(dataset: Any) -> bool:
    """True for a dataset with ``stored_batch`` whose items need nothing but the flip that
    `training_batches` does (every built-in one)."""
    return (callable(getattr(dataset, "stored_batch", None))
            and getattr(dataset, "whole_batches", True))


class StoredBatches(Dataset):
    """A DataLoader's view of such a dataset: ``__getitems__`` returns one ``(uint8 images,
    labels)`` pair for a whole batch of indices (collate it with `keep_batch`)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.dataset.stored_batch(indices)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        images, labels = self.dataset.stored_batch([index])
        return images[0], labels[0]


def keep_batch(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return batch


def model_images(images: torch.Tensor, flip: torch.Tensor | None = None) -> torch.Tensor:
    """uint8 ``(B, C, H, W)`` -> float32 in [-1, 1], the images where ``flip (B,)`` is True
    mirrored left to right."""
    if flip is not None:
        images = torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)
    return to_model_range(images)


def training_batches(dataset: Any, batches: list[list[int]], *, device: torch.device,
                     random: BatchRandom, num_workers: int = 0,
                     memory_format: torch.memory_format = torch.contiguous_format,
                     seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(images float (B, C, S, S) in [-1, 1], labels)`` on ``device`` for each batch of
    ``batches`` (this process's indices), in order."""
    pin = device.type == "cuda"
    generator = torch.Generator().manual_seed(seed)
    if not reads_batches(dataset):
        loader = DataLoader(dataset, batch_sampler=batches, num_workers=num_workers,
                            pin_memory=pin, generator=generator)
        for images, labels in loader:
            yield (images.to(device, non_blocking=True, memory_format=memory_format),
                   labels.to(device, non_blocking=True))
        return
    hflip = bool(getattr(dataset, "random_hflip", False))
    loader = DataLoader(StoredBatches(dataset), batch_sampler=batches, num_workers=num_workers,
                        collate_fn=keep_batch, pin_memory=pin, generator=generator)
    for images, labels in loader:
        images = images.to(device, non_blocking=True)
        flip = (random.rand(len(images)) < 0.5).to(device) if hflip else None
        yield (model_images(images, flip).contiguous(memory_format=memory_format),
               labels.to(device, non_blocking=True))
