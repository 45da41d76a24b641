"""Conditions (labels) for what a conditional generator draws outside training.

The fixed-noise sample grid of a conditional run also shows fixed labels: for classes, sample
``i`` gets class ``i % K`` and the grid has ``K`` columns, so every column is one class; for
attributes and face embeddings, the labels of dataset items picked with the seed (real
attribute combinations and real identities). ``facegan generate`` takes ``--label`` values
(class names or indices; attribute names to switch on) or an ``.npy`` file of embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
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
    raise FaceganError(f"no labels to draw for {info.label_kind!r} data; pass face embeddings "
                       "with --embeddings FILE.npy")


def grid_columns(info: DataInfo, n: int) -> int | None:
    """Columns of a conditional sample grid: one per class; None keeps the default."""
    if info.label_kind == "class" and info.num_labels <= n:
        return info.num_labels
    return None


def parse_labels(info: DataInfo, values: Sequence[str], n: int) -> torch.Tensor:
    """``--label`` values -> ``n`` conditions.

    Classes: names or indices, cycled over the ``n`` images. Attributes: the named attributes
    are on and all others off, for every image.
    """
    names = list(info.label_names)
    if info.label_kind == "class":
        indices = []
        for value in values:
            if value in names:
                indices.append(names.index(value))
            elif value.lstrip("-").isdigit() and 0 <= int(value) < len(names):
                indices.append(int(value))
            else:
                raise FaceganError(f"--label {value!r} is not a class of this generator; "
                                   f"valid: {', '.join(names)} (or 0-{len(names) - 1})")
        return torch.tensor(indices).repeat(n // len(indices) + 1)[:n]  # (n,)
    if info.label_kind == "multilabel":
        vector = torch.zeros(len(names))
        for value in values:
            if value not in names:
                raise FaceganError(f"--label {value!r} is not an attribute of this generator; "
                                   f"valid: {', '.join(names)}")
            vector[names.index(value)] = 1.0
        return vector.expand(n, -1).clone()  # (n, L)
    raise FaceganError(f"--label does not apply to {info.label_kind!r} conditioning; pass face "
                       "embeddings with --embeddings FILE.npy")


def load_embeddings(path: Path, info: DataInfo, n: int) -> torch.Tensor:
    """Rows of an ``(M, embedding_dim)`` ``.npy`` file, cycled to ``n`` conditions."""
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FaceganError(f"cannot read embeddings from {path}: {exc}") from None
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != info.embedding_dim or len(array) == 0:
        raise FaceganError(f"{path} holds an array of shape {array.shape}; this generator "
                           f"needs (M, {info.embedding_dim}) face embeddings")
    rows = torch.from_numpy(array.astype(np.float32))
    return rows.repeat(n // len(rows) + 1, 1)[:n]  # (n, E)
