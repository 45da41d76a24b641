"""The condition input ``c``: what it is for a model's data, and every way of building it.

The convention of every conditional model is ``G(z, c)`` (or a denoiser's ``(x, t, c)``) where
``c`` is ``(N,)`` int64 class indices (``label_kind: class``), ``(N, L)`` float multi-hot
attributes (``label_kind: multilabel``) or ``(N, E)`` float embeddings (``embedding_dim: E``);
unconditional models take ``c=None``. `ConditionSpec` is that description, read from a
`DataInfo` (the one description of a dataset's labels). The builders:

- `shuffled_labels`: the conditions of a training batch's fakes (the real labels, permuted);
- `fixed_conditions` and `label_grid_columns`: the epoch grid's fixed labels;
- `drawn_labels`: labels of real images drawn with replacement (evaluation);
- `ConditionSpec.build`: from label names or numbers (the server's requests);
- `ConditionSpec.for_names`: from ``--label`` names (``facegan generate`` and its modes);
- `load_embeddings`: face embeddings from a ``.npy``/``.pt`` file.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError, first_line
from facegan.randomness import BatchRandom

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
    def from_info(cls, info: DataInfo) -> ConditionSpec:
        return cls.from_data(info.to_dict())

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
            self.check_one_hot(labels or ())
            return self._attributes(n, labels)
        if self.kind == "embedding":
            return self._embedding(n, embedding)
        return None

    def one_hot_groups(self) -> dict[str, tuple[str, ...]]:
        """A multi-label model's one-hot tag groups: its ``column=value`` labels (the names
        `facegan.data.labels` gives a tag column's values) by column, in label order, e.g.
        ``{"hair_color": ("hair_color=black", "hair_color=blond")}``; the other labels are
        attributes, each on or off by itself."""
        if self.kind != "multilabel":
            return {}
        groups: dict[str, list[str]] = {}
        for name in self.label_names:
            column, sep, _ = name.partition("=")
            if sep:
                groups.setdefault(column, []).append(name)
        return {column: tuple(names) for column, names in groups.items()}

    def check_one_hot(self, labels: Sequence[str]) -> None:
        """Refuse two values of one one-hot group: each image of the data has at most one (an
        ACGAN was never shown black and blond hair at once)."""
        chosen = set(labels)
        for group, names in self.one_hot_groups().items():
            clash = [name for name in names if name in chosen]
            if len(clash) > 1:
                raise ConditionError("labels", f"{clash[0]!r} and {clash[1]!r} are both values "
                                               f"of the one-hot group {group!r}; choose at most "
                                               "one")

    def for_names(self, n: int, seed: int, labels: Sequence[str] = ()) -> torch.Tensor | None:
        """``c`` for ``n`` images from ``--label`` names, when a generation mode does not vary
        the labels. class: the named class, else the classes in turn; multilabel: the named
        attributes on and the rest off, else each attribute on with probability 1/2 (drawn
        from ``seed``)."""
        if self.kind == "none":
            if labels:
                self.label_indices(labels)  # raises: no labels on this model
            return None
        if self.kind == "embedding":
            raise FaceganError("this generator is conditioned on embeddings: use --mode "
                               "embedding --embedding FILE.npy")
        indices = self.label_indices(labels)
        if self.kind == "class":
            if len(indices) > 1:
                raise FaceganError(f"a class-conditional model takes one --label (got "
                                   f"{len(indices)})")
            return (torch.full((n,), indices[0]) if indices
                    else torch.arange(n) % len(self.label_names))
        if labels:
            try:
                self.check_one_hot(labels)
            except ConditionError as exc:
                raise FaceganError(f"--label: {exc}") from None
            return multi_hot(indices, len(self.label_names)).expand(n, -1).clone()
        generator = torch.Generator().manual_seed(seed + 1)
        return torch.bernoulli(torch.full((n, len(self.label_names)), 0.5), generator=generator)

    def label_indices(self, names: Sequence[str]) -> list[int]:
        """Label names -> indices; an unknown name is an error listing the valid ones."""
        if self.kind not in ("class", "multilabel"):
            raise FaceganError(f"--label needs a model trained with labels; this generator is "
                               f"{self.described}")
        unknown = [name for name in names if name not in self.label_names]
        if unknown:
            raise FaceganError(f"unknown label {unknown[0]!r}; valid labels: "
                               f"{', '.join(self.label_names)}")
        return [self.label_names.index(name) for name in names]

    @property
    def described(self) -> str:
        return {"none": "unconditional", "class": "class-conditional",
                "multilabel": "attribute-conditional",
                "embedding": "embedding-conditional"}[self.kind]

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


def multi_hot(indices: Sequence[int], size: int) -> torch.Tensor:
    vector = torch.zeros(size)
    vector[list(indices)] = 1.0
    return vector


def shuffled_labels(labels: torch.Tensor, rng: BatchRandom) -> torch.Tensor:
    """The batch's labels in a random order: the conditions of a training batch's fakes.

    Unlike uniform labels this follows the data's label distribution, keeps the correlations
    between attributes of multi-label data, and also works for face embeddings, which have no
    uniform distribution. With several processes the labels of the whole global batch are
    shuffled, and each process gets its part."""
    return rng.permuted(labels)


def fixed_conditions(info: DataInfo, n: int, seed: int, dataset: Any = None) -> torch.Tensor:
    """``n`` conditions for the epoch grid, the same for the same seed.

    Classes: sample ``i`` gets class ``i % K`` (with `label_grid_columns`, a column per class);
    attributes and face embeddings: the labels of dataset items picked with the seed (real
    attribute combinations and real identities); without a dataset, random attributes.
    """
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


def label_grid_columns(info: DataInfo, n: int) -> int | None:
    """Columns of a conditional sample grid: one per class; None keeps the default."""
    if info.label_kind == "class" and info.num_labels <= n:
        return info.num_labels
    return None


def drawn_labels(dataset: Any, n: int, seed: int) -> torch.Tensor:
    """Labels of ``n`` real images drawn with replacement: conditions for a label-conditioned
    generator that follow the data's own label distribution. ``(n,)`` or ``(n, L)``."""
    picks = torch.randint(len(dataset), (n,), generator=torch.Generator().manual_seed(seed))
    labels = getattr(dataset, "labels", None)
    if isinstance(labels, torch.Tensor):
        return labels[picks]
    return torch.stack([torch.as_tensor(dataset[i][1]) for i in picks.tolist()])


def load_npy(path: Path) -> np.ndarray:
    """A ``.npy`` array, never a pickle; a file without NumPy's header is a ValueError saying
    so (numpy would suggest loading it as a pickle)."""
    with path.open("rb") as file:
        if file.read(6) != b"\x93NUMPY":
            raise ValueError("no NumPy header: not a .npy array")
    return np.load(path, allow_pickle=False)


def load_embeddings(path: Path) -> torch.Tensor:
    """Read ``(E, D)`` or ``(D,)`` embeddings from a ``.npy`` or ``.pt`` file."""
    if not path.is_file():
        raise FaceganError(f"embedding file {path} not found")
    try:
        if path.suffix == ".npy":
            array = load_npy(path)
            if array.dtype.kind not in "fiu":
                raise ValueError(f"a {array.dtype} array, not numbers")
            return torch.from_numpy(array).float()
        if path.suffix == ".pt":
            with warnings.catch_warnings():  # torch's notes on a foreign pickle's protocol
                warnings.simplefilter("ignore")
                value = torch.load(path, weights_only=True, map_location="cpu")
            if isinstance(value, torch.Tensor):
                return value.float()
    except pickle.UnpicklingError:
        raise FaceganError(f"embedding file {path} is not a tensor facegan can load safely (a "
                           "damaged file, or one holding other Python objects); save the "
                           "embeddings with torch.save(tensor, path), or as a .npy array"
                           ) from None
    except (OSError, ValueError, EOFError, RuntimeError) as exc:
        first = first_line(exc)
        raise FaceganError(f"embedding file {path} cannot be read ({first}); write it again, "
                           "e.g. with facegan data faces --embed") from None
    raise FaceganError(f"{path}: pass embeddings as a .npy array or a .pt tensor of shape "
                       "(E, D) or (D,)")
