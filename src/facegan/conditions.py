"""What a generator's condition input ``c`` is, read from the data description it was saved with.

The convention of every conditional model is ``G(z, c)`` where ``c`` is ``(N,)`` int64 class
indices (``label_kind: class``), ``(N, L)`` float multi-hot attributes (``label_kind:
multilabel``) or ``(N, E)`` float embeddings (``embedding_dim: E``); unconditional generators take
``c=None``. Serving and export build ``c`` from names and numbers through `ConditionSpec` so
neither needs to know the architecture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

from facegan.errors import FaceganError

Kind = Literal["none", "class", "multilabel", "embedding"]


class ConditionError(ValueError):
    """A condition that does not fit the model; ``field`` is the request field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ConditionSpec:
    kind: Kind
    label_names: tuple[str, ...] = ()
    embedding_dim: int = 0

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ConditionSpec:
        """From ``generator.json``'s ``data`` section (a saved `DataInfo`)."""
        label_kind = data.get("label_kind", "none")
        names = tuple(data.get("label_names", ()))
        embedding_dim = int(data.get("embedding_dim", 0) or 0)
        if embedding_dim and label_kind not in ("none", "embedding"):
            raise FaceganError("generators conditioned on both labels and an embedding are not "
                               "supported yet; serve or export an unconditional, labelled or "
                               "embedding-only generator")
        if embedding_dim:
            return cls("embedding", (), embedding_dim)
        if label_kind in ("class", "multilabel") and names:
            return cls(label_kind, names)
        return cls("none")

    @classmethod
    def for_generator(cls, generator: object | None, data: dict[str, Any]) -> ConditionSpec:
        """What ``generator`` takes: nothing when it says it is unconditional (a model trained
        on labelled data without using the labels), else what its data describe."""
        if getattr(generator, "conditional", True) is False:
            return cls("none")
        return cls.from_data(data)

    @property
    def conditional(self) -> bool:
        return self.kind != "none"

    @property
    def dtype(self) -> torch.dtype:
        return torch.int64 if self.kind == "class" else torch.float32

    @property
    def width(self) -> int:
        """Columns of ``c`` (0 for class indices, which are ``(N,)``)."""
        return {"multilabel": len(self.label_names), "embedding": self.embedding_dim}.get(
            self.kind, 0)

    def build(self, n: int, labels: Sequence[str] | None, embedding: Sequence[float] | None,
              rng: torch.Generator) -> torch.Tensor | None:
        """``c`` for ``n`` images, the same condition for each, or None for unconditional models.

        A class model given no label draws one class per image from ``rng``; a multi-label model
        given no labels has every attribute off. Embedding models need ``embedding``.
        """
        if self.kind not in ("class", "multilabel") and labels:
            raise ConditionError("labels", "this model takes no labels; leave labels out")
        if self.kind != "embedding" and embedding is not None:
            raise ConditionError("embedding", "this model takes no embedding; leave it out")
        if self.kind == "class":
            return self._classes(n, labels, rng)
        if self.kind == "multilabel":
            return self._attributes(n, labels)
        if self.kind == "embedding":
            return self._embedding(n, embedding)
        return None

    def example(self, n: int) -> torch.Tensor | None:
        """A valid ``c`` for ``n`` images (for tracing and checking exports)."""
        rng = torch.Generator().manual_seed(0)
        if self.kind == "class":
            return torch.randint(len(self.label_names), (n,), generator=rng)
        if self.kind == "multilabel":
            return torch.rand(n, self.width, generator=rng).round_()
        if self.kind == "embedding":
            return torch.randn(n, self.width, generator=rng)
        return None

    def _classes(self, n: int, labels: Sequence[str] | None, rng: torch.Generator) -> torch.Tensor:
        if not labels:
            return torch.randint(len(self.label_names), (n,), generator=rng)
        if len(labels) != 1:
            raise ConditionError("labels", f"this model takes one class, got {len(labels)}; "
                                           f"choose one of {', '.join(self.label_names)}")
        return torch.full((n,), self._index(labels[0]), dtype=torch.int64)

    def _attributes(self, n: int, labels: Sequence[str] | None) -> torch.Tensor:
        multi_hot = torch.zeros(len(self.label_names))
        for name in labels or ():
            multi_hot[self._index(name)] = 1.0
        return multi_hot.expand(n, -1).contiguous()

    def _embedding(self, n: int, embedding: Sequence[float] | None) -> torch.Tensor:
        if embedding is None or len(embedding) != self.embedding_dim:
            got = "none" if embedding is None else f"{len(embedding)} numbers"
            raise ConditionError("embedding", f"this model needs an embedding of "
                                              f"{self.embedding_dim} numbers, got {got}")
        vector = torch.tensor(list(embedding), dtype=torch.float32)
        if not torch.isfinite(vector).all():
            raise ConditionError("embedding", "the embedding must be finite numbers")
        return vector.expand(n, -1).contiguous()

    def _index(self, name: str) -> int:
        try:
            return self.label_names.index(name)
        except ValueError:
            raise ConditionError("labels", f"unknown label {name!r}; valid labels: "
                                           f"{', '.join(self.label_names)}") from None
