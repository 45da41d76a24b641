"""Scores for conditional generators, from outputs already collected (streams.py).

- Conditional accuracy (label-conditioned generators): does a classifier trained on real data
  see the requested class / attributes in the generated image?
- Identity similarity (embedding-conditioned generators): is the generated face the person whose
  embedding conditioned it? Compared with unrelated pairs, the similarity a generator would get
  by ignoring its condition.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from facegan.errors import FaceganError


def conditional_accuracy(logits: torch.Tensor, requested: torch.Tensor, kind: str,
                         label_names: tuple[str, ...]) -> tuple[float, dict[str, float]]:
    """Overall and per-label accuracy of a classifier's ``logits (N, L)`` against the labels
    the generator was asked for: class indices ``(N,)`` or multi-hot ``(N, L)``.

    Classes: overall = fraction of images classified as requested; per class = the same among
    images requesting that class. Attributes: per attribute = fraction of images where the
    attribute's presence (logit > 0) matches the request; overall = their mean.
    """
    if len(logits) == 0:
        raise FaceganError("conditional accuracy needs at least 1 generated image")
    if kind == "class":
        hits = (logits.argmax(1) == requested.long()).float()  # (N,)
        per_label = {name: float(hits[requested == index].mean())
                     for index, name in enumerate(label_names) if (requested == index).any()}
        return float(hits.mean()), per_label
    if kind == "multilabel":
        hits = ((logits > 0) == (requested > 0.5)).float()  # (N, L)
        per_attribute = hits.mean(0)
        per_label = {name: float(value)
                     for name, value in zip(label_names, per_attribute, strict=True)}
        return float(per_attribute.mean()), per_label
    raise FaceganError(f"conditional accuracy needs class or multi-label data, not {kind!r}")


def identity_similarity(conditioning: torch.Tensor,
                        generated: torch.Tensor) -> tuple[float, float]:
    """Mean cosine similarity of each conditioning embedding ``(N, D)`` with the embedding of
    the face generated from it ``(N, D)``, and the same for unrelated pairs (image i against
    the embedding that conditioned image i+1): the baseline a generator ignoring ``c`` gets."""
    if len(conditioning) < 2:
        raise FaceganError("identity similarity needs at least 2 generated images (one to "
                           "compare, one as the unrelated baseline); raise --num-samples")
    matched = F.cosine_similarity(conditioning, generated, dim=1)
    unrelated = F.cosine_similarity(conditioning.roll(1, dims=0), generated, dim=1)
    return float(matched.mean()), float(unrelated.mean())
