"""Building what a registered model builder returns: a GAN architecture's generator and
discriminator (`GANModels`) or any mapping of named networks; the output convention of
discriminators."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import nn

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.registry import MODELS


class GANModels(NamedTuple):
    """``generator(z, c=None) -> (N, C, H, W) in [-1, 1]``; ``discriminator(x, c=None)``.

    Every generator exposes ``latent_dim`` and ``conditional`` (True when it needs ``c``, the
    batch's labels in the data's format: ``(N,)`` int64 classes, ``(N, L)`` float multi-hot
    attributes or ``(N, E)`` float face embeddings).

    A discriminator returns score logits ``(N,)``, or, when it has an auxiliary classifier
    head, a `DiscriminatorOutput` holding those logits and the classifier's logits. Code that
    needs only the score calls `discriminator_scores`.
    """

    generator: nn.Module
    discriminator: nn.Module


class DiscriminatorOutput(NamedTuple):
    """What a discriminator with an auxiliary classifier returns."""

    logits: torch.Tensor  # (N,) real/fake score
    aux_logits: torch.Tensor  # (N, L) class logits (softmax) or attribute logits (sigmoid)


def split_discriminator_output(
    output: torch.Tensor | DiscriminatorOutput,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(score logits (N,), aux logits (N, L) or None)`` from any discriminator's output."""
    if isinstance(output, DiscriminatorOutput):
        return output.logits, output.aux_logits
    return output, None


def discriminator_scores(discriminator: nn.Module):
    """``(x, c) -> (N,)`` score logits only, e.g. for gradient penalties."""

    def critic(x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return split_discriminator_output(discriminator(x, c))[0]

    return critic


def build_models(model_config: Any, info: DataInfo) -> Any:
    """Build what a ``model`` config section names, sized for the data in ``info``: a GAN
    architecture's `GANModels`, or another architecture's mapping of named networks."""
    image_size = info.image_size
    if image_size < 8 or image_size & (image_size - 1):
        raise FaceganError(f"image size {image_size} is not supported; use a power of two "
                           "from 8 to 256 (e.g. data.image_size=64)")
    return MODELS.get(model_config.name).builder(model_config, info)


def build_networks(model_config: Any, info: DataInfo) -> dict[str, nn.Module]:
    """The networks a ``model`` section builds, by name (``generator``, ``discriminator``...)."""
    built = build_models(model_config, info)
    return dict(built._asdict()) if isinstance(built, GANModels) else dict(built)
