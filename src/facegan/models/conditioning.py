"""Conditioning: how labels enter the generator and how the discriminator judges them.

A condition ``c`` is a batch of the data's labels (`DataInfo.label_kind`): ``(N,)`` int64
classes, ``(N, L)`` float multi-hot attributes, or ``(N, E)`` float face embeddings. Face
embeddings are L2-normalised first: embeddings trained with a cosine or distance loss (dlib,
ArcFace) carry identity in their direction, not their length.

Generator side, ``model.g_condition``: ``embedding`` learns a ``condition_dim`` vector per
class (a linear map for attribute and embedding vectors) and concatenates it to ``z``;
``onehot`` concatenates the one-hot / multi-hot / embedding vector itself.

Discriminator side, ``model.d_condition``: ``projection`` (Miyato & Koyama 2018) adds
``<embed(c), phi(x)>`` to the score; ``aux`` adds an auxiliary classifier (Odena et al. 2017)
whose logits the discriminator returns next to the score (`DiscriminatorOutput`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.models.base import DiscriminatorOutput
from facegan.models.configs import DCondition, GCondition


def check_conditioning(g_condition: str, d_condition: str, info: DataInfo) -> None:
    """Refuse combinations of conditioning and data that cannot train."""
    if g_condition == "none" and d_condition == "none":
        return
    if info.label_kind == "none":
        raise FaceganError(f"model.g_condition={g_condition} and model.d_condition={d_condition} "
                           f"need labelled data, but dataset {info.name!r} has no labels; set "
                           "both to none or use a dataset with labels")
    if (g_condition == "none") != (d_condition == "none"):
        raise FaceganError("a conditional GAN needs labels on both sides: set model.g_condition "
                           "(embedding or onehot) and model.d_condition (projection or aux) "
                           f"together, or both to none (got {g_condition} and {d_condition})")
    if d_condition == "aux" and info.label_kind == "embedding":
        raise FaceganError("model.d_condition=aux classifies labels, but face embeddings are "
                           "not classes; use model.d_condition=projection")
    if info.condition_size < 1:
        raise FaceganError(f"dataset {info.name!r} declares {info.label_kind} labels but no "
                           "label names or embedding size")


def condition_vector(c: torch.Tensor, info: DataInfo) -> torch.Tensor:
    """``c`` as a float ``(N, condition_size)`` vector: one-hot classes, multi-hot attributes
    or unit-length embeddings."""
    if info.label_kind == "class":
        return F.one_hot(c.long(), info.condition_size).float()
    if info.label_kind == "embedding":
        return F.normalize(c.float(), dim=1)
    return c.float()


def _maybe_sn(module: nn.Module, spectral_norm: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(module) if spectral_norm else module


class ConditionEncoder(nn.Module):
    """``c -> (N, out_dim)``, the vector a conditional generator concatenates to ``z``."""

    def __init__(self, mode: GCondition, info: DataInfo, condition_dim: int) -> None:
        super().__init__()
        self.info = info
        size = info.condition_size
        self.map: nn.Module | None = None
        if mode == "onehot":
            self.out_dim = size
        elif info.label_kind == "class":
            self.map, self.out_dim = nn.Embedding(size, condition_dim), condition_dim
        else:
            self.map, self.out_dim = nn.Linear(size, condition_dim, bias=False), condition_dim

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        if self.map is None:
            return condition_vector(c, self.info)
        if isinstance(self.map, nn.Embedding):
            return self.map(c.long())
        return self.map(condition_vector(c, self.info))


class DiscriminatorHead(nn.Module):
    """Features ``(N, F)`` (and ``c``) -> score logits ``(N,)``, or a `DiscriminatorOutput`
    with auxiliary logits ``(N, condition_size)`` when ``mode`` is ``aux``."""

    def __init__(self, features: int, mode: DCondition, info: DataInfo, *,
                 spectral_norm: bool = False) -> None:
        super().__init__()
        self.mode, self.info = mode, info
        self.score = _maybe_sn(nn.Linear(features, 1), spectral_norm)
        if mode == "projection":
            if info.label_kind == "class":
                embed: nn.Module = nn.Embedding(info.condition_size, features)
            else:
                embed = nn.Linear(info.condition_size, features, bias=False)
            # Small start: the projection term should not drown the score at initialisation.
            nn.init.normal_(embed.weight, 0.0, 0.02)
            self.embed = _maybe_sn(embed, spectral_norm)
        elif mode == "aux":
            self.classifier = _maybe_sn(nn.Linear(features, info.condition_size), spectral_norm)

    def forward(self, h: torch.Tensor,
                c: torch.Tensor | None = None) -> torch.Tensor | DiscriminatorOutput:
        score = self.score(h).squeeze(1)  # (N, F) -> (N,)
        if self.mode == "projection":
            if c is None:
                raise ValueError("a projection discriminator needs the condition c")
            if isinstance(self.embed, nn.Embedding):
                embedded = self.embed(c.long())
            else:
                embedded = self.embed(condition_vector(c, self.info))
            score = score + (embedded * h).sum(1)
        elif self.mode == "aux":
            return DiscriminatorOutput(score, self.classifier(h))
        return score
