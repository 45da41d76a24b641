"""Conditions (labels) for what a conditional generator draws outside training.

The fixed-noise sample grid of a conditional run also shows fixed labels: for classes, sample
``i`` gets class ``i % K`` and the grid has ``K`` columns, so every column is one class; for
attributes and face embeddings, the labels of dataset items picked with the seed (real
attribute combinations and real identities). Conditions for ``facegan generate`` and the
server come from `facegan.conditions` instead, which reads them from a saved generator.
"""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from facegan.data.base import DataInfo
from facegan.errors import FaceganError


def fixed_conditions(info: DataInfo, n: int, seed: int,
                     dataset: Dataset | None = None) -> torch.Tensor:
    """``n`` conditions in the data's label format, the same for the same seed."""
    rng = torch.Generator().manual_seed(seed)
    if info.label_kind == "class":
        return torch.arange(n) % info.num_labels  # (n,)
    if dataset is not None and len(dataset) > 0:
        picks = torch.randint(len(dataset), (n,), generator=rng).tolist()
        return torch.stack([torch.as_tensor(dataset[i][1]) for i in picks]).float()
    if info.label_kind == "multilabel":
        return torch.randint(2, (n, info.num_labels), generator=rng).float()  # (n, L)
    raise FaceganError(f"no labels to draw for {info.label_kind!r} data without its dataset; "
                       "use facegan generate --mode embedding --embedding FILE.npy")


def grid_columns(info: DataInfo, n: int) -> int | None:
    """Columns of a conditional sample grid: one per class; None keeps the default."""
    if info.label_kind == "class" and info.num_labels <= n:
        return info.num_labels
    return None
