"""What a model needs to know about its data: image size, channels and what the labels are.

It is saved next to every generator, so a saved model can be rebuilt and conditioned without
the dataset. What the labels mean for a condition input ``c`` is `facegan.conditions`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class DataInfo:
    name: str  # display name, used for the run directory (e.g. "MNIST")
    image_size: int
    channels: int
    label_names: tuple[str, ...] = ()  # class names, or attribute names for multi-label data
    # What an item's label is: "class" an int64 index, "multilabel" a float multi-hot (L,),
    # "embedding" a float face-embedding vector (embedding_dim,), "none" the int -1.
    label_kind: Literal["none", "class", "multilabel", "embedding"] = "none"
    embedding_dim: int = 0  # length of the embedding vectors when label_kind == "embedding"

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    @property
    def condition_size(self) -> int:
        """Length of the vector a label becomes: classes or attributes or embedding entries."""
        return self.embedding_dim if self.label_kind == "embedding" else self.num_labels

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["label_names"] = list(self.label_names)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataInfo:
        return cls(**{**data, "label_names": tuple(data.get("label_names", ()))})
