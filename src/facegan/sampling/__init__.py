"""A saved model samples itself: find it in a run, load it, draw seeded images.

`load_model` returns a `SamplingModel` (the method's sampler bound to its networks) and the
saved description; generation modes (`facegan.sampling.generation`) build on it. Noise is
drawn on the CPU from the seed, so the same seed gives the same images on any device and for
any batch size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel
from facegan.methods.io import is_saved_model, load_model_dir
from facegan.runs import SAVED_MODEL, RunDir
from facegan.training.checkpoint import list_checkpoints

__all__ = ["SamplingModel", "generate_images", "load_model", "resolve_generator_dir"]


def resolve_generator_dir(path: Path) -> Path:
    """A run directory, its saved_models/ folder, a checkpoint or a saved-model folder ->
    the folder holding the saved model (``generator.json`` and its weights)."""
    if not path.exists():
        raise FaceganError(f"{path} does not exist; pass a run directory such as "
                           "models/MNIST/WGAN_GP or one of its checkpoints")
    run = RunDir(path)
    for candidate in (path, path / SAVED_MODEL, run.saved_model):  # a saved_models/ folder too
        if is_saved_model(candidate):
            return candidate
    for saved in (path, run.saved_models):
        checkpoints = list_checkpoints(saved)
        if checkpoints:
            return checkpoints[-1]
    raise FaceganError(f"no saved generator found in {path}; train it first "
                       "(facegan train CONFIG) or pass a saved_models/checkpoint_* folder")


def load_model(path: Path) -> tuple[SamplingModel, dict[str, Any]]:
    """The saved model at or in ``path`` (a run, checkpoint or saved-model folder)."""
    return load_model_dir(resolve_generator_dir(path))


def generate_images(model: SamplingModel, n: int, seed: int, device: torch.device,
                    batch_size: int = 64, labels: torch.Tensor | None = None) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)`` in [-1, 1] on the CPU from the noise of ``seed``.

    ``labels`` (``n`` conditions in the data's label format) are required by a conditional
    model and refused by an unconditional one.
    """
    if n < 1:
        raise FaceganError(f"-n must be at least 1 (got {n})")
    return model.to(device).draw(model.seeded_noise(n, seed), labels, batch_size)
