"""Turn label columns (from a CSV, CelebA's attribute file or SynthFaces) into label tensors.

The encoding, one rule per column:

- a *binary* column (every value 0, 1 or -1; -1 is CelebA's "no") is one attribute: 1.0 where the
  value is 1, else 0.0; its name is the column name (e.g. ``Smiling``);
- any other column is a *tag* (e.g. ``hair_color`` with values ``black``, ``blond``, ...). A tag
  becomes a one-hot group of entries named ``column=value`` (values sorted); an empty cell sets
  none of them.

With exactly one tag column and nothing else, each item has one class instead: ``label_kind
"class"``, labels int64 ``(N,)`` indexing the sorted values, which are the label names (empty cells
are then an error). Otherwise ``label_kind "multilabel"``: float32 ``(N, L)`` multi-hot, the
groups concatenated in the order of the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from facegan.errors import FaceganError

BINARY_VALUES = frozenset({"0", "1", "-1"})
MAX_TAG_VALUES = 256  # more distinct values than this is an id column, not a label


@dataclass(frozen=True)
class EncodedLabels:
    values: torch.Tensor | None  # int64 (N,) for "class", float32 (N, L) for "multilabel"
    names: tuple[str, ...]
    kind: Literal["none", "class", "multilabel"]

    @classmethod
    def none(cls) -> EncodedLabels:
        return cls(None, (), "none")


def is_binary(values: Sequence[str]) -> bool:
    return all(value in BINARY_VALUES for value in values)


def encode_columns(table: dict[str, Sequence[str]], columns: Sequence[str],
                   source: str) -> EncodedLabels:
    """Encode ``columns`` of ``table`` (column name -> one string per item) as described above.

    ``source`` names where the table came from in error messages.
    """
    if not columns:
        return EncodedLabels.none()
    unknown = [c for c in columns if c not in table]
    if unknown:
        raise FaceganError(f"unknown label column {unknown[0]!r} in {source}; valid columns: "
                           f"{', '.join(table)}")
    if len(set(columns)) != len(columns):
        raise FaceganError(f"label columns {list(columns)} name a column twice; list each once")
    values = {c: [v.strip() for v in table[c]] for c in columns}
    tags = [c for c in columns if not is_binary(values[c])]
    for column in tags:
        distinct = set(values[column]) - {""}
        if len(distinct) > MAX_TAG_VALUES:
            raise FaceganError(f"label column {column!r} of {source} has {len(distinct)} distinct "
                               f"values (an id, not a label); leave it out of label_columns")
    if len(columns) == 1 and tags:
        return _encode_classes(columns[0], values[columns[0]], source)
    names: list[str] = []
    blocks: list[torch.Tensor] = []
    for column in columns:
        if column in tags:
            classes = sorted(set(values[column]) - {""})
            index = {value: i for i, value in enumerate(classes)}
            block = torch.zeros(len(values[column]), len(classes))
            for row, value in enumerate(values[column]):
                if value:
                    block[row, index[value]] = 1.0
            names += [f"{column}={value}" for value in classes]
        else:
            block = torch.tensor([v == "1" for v in values[column]], dtype=torch.float32)
            names.append(column)
        blocks.append(block.reshape(len(values[column]), -1))
    return EncodedLabels(torch.cat(blocks, dim=1).to(torch.float32), tuple(names), "multilabel")


def _encode_classes(column: str, values: list[str], source: str) -> EncodedLabels:
    if "" in values:
        row = values.index("")
        raise FaceganError(f"label column {column!r} of {source} is empty in row {row + 1}; "
                           "give every image a value, or drop the row")
    classes = sorted(set(values))
    index = {value: i for i, value in enumerate(classes)}
    return EncodedLabels(torch.tensor([index[v] for v in values], dtype=torch.int64),
                         tuple(classes), "class")


def subset(labels: EncodedLabels, rows: Sequence[int]) -> torch.Tensor | None:
    """The labels of the given rows (e.g. the images that decoded)."""
    return None if labels.values is None else labels.values[torch.as_tensor(rows,
                                                                             dtype=torch.long)]
