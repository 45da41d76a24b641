"""Generating images from a saved generator, deterministically from a seed."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from facegan.errors import FaceganError
from facegan.models.io import META, load_generator
from facegan.training.checkpoint import list_checkpoints


def resolve_generator_dir(path: Path) -> Path:
    """A run directory, its saved_models/ folder, a checkpoint or a generator folder ->
    the folder holding generator.safetensors + generator.json."""
    if not path.exists():
        raise FaceganError(f"{path} does not exist; pass a run directory such as "
                           "models/MNIST/WGAN_GP or one of its checkpoints")
    for candidate in (path, path / "generator", path / "saved_models" / "generator"):
        if (candidate / META).is_file():
            return candidate
    for saved in (path, path / "saved_models"):
        checkpoints = list_checkpoints(saved)
        if checkpoints:
            return checkpoints[-1]
    raise FaceganError(f"no saved generator found in {path}; train it first "
                       "(facegan train CONFIG) or pass a saved_models/checkpoint_* folder")


@torch.no_grad()
def generate_images(generator: nn.Module, n: int, seed: int, device: torch.device,
                    batch_size: int = 64, labels: torch.Tensor | None = None) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)`` in [-1, 1]; the noise is drawn on the CPU from ``seed`` so
    the same seed gives the same images on any device and for any batch size.

    ``labels`` (``n`` conditions in the data's label format) are required by a conditional
    generator and refused by an unconditional one.
    """
    if n < 1:
        raise FaceganError(f"-n must be at least 1 (got {n})")
    conditional = getattr(generator, "conditional", False)
    if conditional and labels is None:
        raise FaceganError("this generator is conditional: pass labels (--label)")
    if not conditional and labels is not None:
        raise FaceganError("this generator is unconditional: it takes no labels; drop --label")
    if labels is not None and len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} images")
    noise = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    generator = generator.to(device).eval()
    label_chunks = labels.split(batch_size) if labels is not None else [None] * len(
        noise.split(batch_size))
    chunks = [(generator(z.to(device)) if c is None else generator(z.to(device), c.to(device)))
              .cpu() for z, c in zip(noise.split(batch_size), label_chunks, strict=True)]
    return torch.cat(chunks)


def load_for_generation(path: Path) -> tuple[nn.Module, dict]:
    return load_generator(resolve_generator_dir(path))
