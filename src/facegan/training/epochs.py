"""What an epoch is: its batches, fixed by (seed, epoch), and how many epochs a run trains."""

from __future__ import annotations

import torch


def epoch_batches(num_items: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The batches of one epoch: a permutation fixed by (seed, epoch); the last partial batch is
    dropped so every step sees ``batch_size`` images."""
    order = torch.randperm(num_items, generator=torch.Generator().manual_seed(
        seed * 100_003 + epoch)).tolist()
    return [order[i:i + batch_size] for i in range(0, num_items - batch_size + 1, batch_size)]


def planned_epochs(epochs: int, max_images: int | None, images_per_epoch: int) -> int:
    """The number of epochs a run trains: ``train.epochs``, or fewer when ``train.max_images``
    is reached first (training stops after the epoch in which it is reached)."""
    if max_images is None:
        return epochs
    return min(epochs, -(-max_images // images_per_epoch))
