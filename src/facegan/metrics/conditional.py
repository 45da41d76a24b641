"""Scores for conditional generators, from outputs already collected (streams.py).

- Conditional accuracy (label-conditioned generators): does a classifier trained on real data
  see the requested class / attributes in the generated image?
- Identity scores (embedding-conditioned generators): is the generated face the person whose
  embedding conditioned it? Put on the scale that real photos set: as recognisable as the real
  photo of that person (1), or as a stranger (0); see `IdentityScores`.
"""

from __future__ import annotations

from dataclasses import dataclass

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


UNRELATED_SHIFTS = 16  # unrelated pairs per image: i against requests i+1 .. i+16


@dataclass(frozen=True)
class IdentityScores:
    """How well generated faces show the requested people, on the scale that real photos set.

    Cosines between a requested identity and the one the extractor reads from an image:
    ``similarity`` for generated faces, ``ceiling`` for the real photos those requests came
    from, ``floor`` for real photos against other people's requests. ``score`` = (similarity -
    floor) / (ceiling - floor): 1 when generated faces read back as well as the real photos,
    0 when they read back as well as a stranger. ``threshold`` best separates the real same-
    person pairs from the unrelated ones (balanced accuracy ``real_verification``); at it,
    ``verification`` is the balanced accuracy of the generated pairs (matched accepted,
    unrelated refused); 0.5 is chance.
    """

    similarity: float
    baseline: float  # generated faces against other people's requests
    ceiling: float
    floor: float
    score: float
    threshold: float
    real_verification: float
    verification: float


def unrelated_cosines(requested: torch.Tensor, read: torch.Tensor) -> torch.Tensor:
    """Cosines of ``read[i]`` with ``requested[i + k]`` for k = 1 .. UNRELATED_SHIFTS (mod N),
    leaving out pairs whose requests are the same person (identical vectors)."""
    values = []
    for shift in range(1, min(UNRELATED_SHIFTS, len(requested) - 1) + 1):
        other = requested.roll(-shift, dims=0)
        different = (other != requested).any(dim=1)
        values.append(F.cosine_similarity(other, read, dim=1)[different])
    return torch.cat(values)


def best_threshold(same: torch.Tensor, unrelated: torch.Tensor) -> tuple[float, float]:
    """The cosine threshold (accept ``>=``) with the best balanced accuracy between same-person
    and unrelated pairs, and that accuracy."""
    same_sorted, unrelated_sorted = same.sort().values, unrelated.sort().values
    candidates = torch.cat([same_sorted, unrelated_sorted, torch.tensor([float("inf")])])
    accepted = 1 - torch.searchsorted(same_sorted, candidates).float() / len(same)
    refused = torch.searchsorted(unrelated_sorted, candidates).float() / len(unrelated)
    balanced = (accepted + refused) / 2
    best = int(balanced.argmax())
    return float(candidates[best]), float(balanced[best])


def identity_scores(requested: torch.Tensor, real_read: torch.Tensor,
                    generated_read: torch.Tensor) -> IdentityScores:
    """Scores of generated faces: row i of ``requested (N, D)`` is the identity asked for,
    ``real_read (N, D)`` the extractor's reading of the real photo it came from,
    ``generated_read (N, D)`` its reading of the face generated for it."""
    if len(requested) < 2:
        raise FaceganError("identity scores need at least 2 generated images (one to compare, "
                           "one as the unrelated baseline); raise --num-samples")
    if requested.shape != generated_read.shape or requested.shape != real_read.shape:
        raise FaceganError(f"the requested identities are {requested.shape[-1]}-d but "
                           f"the extractor reads {generated_read.shape[-1]}-d ones; "
                           "measure with the extractor of the data's embeddings (--embedder)")
    requested, real_read, generated_read = (t.float() for t in (requested, real_read,
                                                                 generated_read))
    real_same = F.cosine_similarity(requested, real_read, dim=1)
    real_unrelated = unrelated_cosines(requested, real_read)
    generated_same = F.cosine_similarity(requested, generated_read, dim=1)
    generated_unrelated = unrelated_cosines(requested, generated_read)
    if len(real_unrelated) == 0:
        raise FaceganError("identity scores need requests for at least 2 different people; "
                           "raise --num-samples")
    ceiling, floor = float(real_same.mean()), float(real_unrelated.mean())
    similarity = float(generated_same.mean())
    span = ceiling - floor
    threshold, real_verification = best_threshold(real_same, real_unrelated)
    verification = (float((generated_same >= threshold).float().mean())
                    + float((generated_unrelated < threshold).float().mean())) / 2
    return IdentityScores(
        similarity=similarity, baseline=float(generated_unrelated.mean()), ceiling=ceiling,
        floor=floor, score=(similarity - floor) / span if span > 1e-6 else float("nan"),
        threshold=threshold, real_verification=real_verification, verification=verification)
