"""Checkpoints: one directory per checkpoint, written atomically, never pickling modules.

``saved_models/checkpoint_<step>/`` holds ``generator.safetensors`` + ``generator.json``
(loadable alone), ``discriminator.safetensors``, ``training_state.pt`` (optimizer states, RNG
states, fp16 gradient-scaler states; loaded with ``weights_only=True``), ``checkpoint.json``
(counters) and ``config.yaml``.

With an EMA of the generator (``train.ema_decay > 0``), ``generator.safetensors`` holds the
*averaged* weights -- the ones to sample from, so ``facegan generate`` and ``load_generator``
get them without knowing about EMA -- and ``generator_raw.safetensors`` the weights being
trained, which only resuming needs.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from facegan.config import Config
from facegan.data.base import DataInfo
from facegan.errors import FaceganError
from facegan.models.base import GANModels
from facegan.models.io import save_generator
from facegan.runs import atomic_directory

PREFIX = "checkpoint_"
RAW_GENERATOR = "generator_raw.safetensors"


@dataclass
class Counters:
    epoch: int = 0  # completed epochs
    batch_in_epoch: int = 0  # batches done in the current epoch
    step: int = 0  # batches done in total
    images_seen: int = 0  # real images shown to the discriminator
    elapsed: float = 0.0  # training seconds, summed over resumes


def checkpoint_path(saved_models: Path, step: int) -> Path:
    return saved_models / f"{PREFIX}{step:08d}"


def list_checkpoints(saved_models: Path) -> list[Path]:
    """Complete checkpoints, oldest first (temporary directories are hidden and skipped)."""
    if not saved_models.is_dir():
        return []
    found = [p for p in saved_models.iterdir()
             if p.is_dir() and p.name.startswith(PREFIX) and (p / "checkpoint.json").is_file()]
    return sorted(found, key=lambda p: p.name)


def _weights(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}


def save_checkpoint(saved_models: Path, *, config: Config, info: DataInfo, models: GANModels,
                    optimizers: dict[str, torch.optim.Optimizer], rng_state: dict[str, Any],
                    counters: Counters, keep: int, ema_generator: nn.Module | None = None,
                    grad_scalers: dict[str, Any] | None = None) -> Path:
    final = checkpoint_path(saved_models, counters.step)
    with atomic_directory(final) as tmp:
        save_generator(tmp, ema_generator if ema_generator is not None else models.generator,
                       config.model, info, epoch=counters.epoch, step=counters.step)
        if ema_generator is not None:
            save_file(_weights(models.generator), str(tmp / RAW_GENERATOR))
        save_file(_weights(models.discriminator), str(tmp / "discriminator.safetensors"))
        torch.save({"optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                    "rng": rng_state, "grad_scalers": grad_scalers or {}},
                   tmp / "training_state.pt")
        (tmp / "checkpoint.json").write_text(json.dumps(dataclasses.asdict(counters)) + "\n")
        (tmp / "config.yaml").write_text(config.to_yaml())
    for old in list_checkpoints(saved_models)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, *, models: GANModels,
                    optimizers: dict[str, torch.optim.Optimizer],
                    ema_generator: nn.Module | None = None) -> tuple[Counters, dict[str, Any]]:
    """Restore weights, optimizer states and the EMA in place; return the counters and the
    rest of the training state (``"rng"``, ``"grad_scalers"``).

    A run may switch EMA on or off when resuming: without a saved average the EMA starts
    from the trained weights.
    """
    has_ema = (path / RAW_GENERATOR).is_file()
    generator_file = path / "generator.safetensors"
    try:
        models.generator.load_state_dict(
            load_file(str(path / RAW_GENERATOR if has_ema else generator_file)))
        models.discriminator.load_state_dict(load_file(str(path / "discriminator.safetensors")))
        if ema_generator is not None:
            ema_generator.load_state_dict(load_file(str(generator_file)) if has_ema
                                          else models.generator.state_dict())
    except RuntimeError as exc:
        raise FaceganError(f"checkpoint {path} does not fit this model ({str(exc)[:120]}...); "
                           "the model section must match the run's config.yaml") from None
    state = torch.load(path / "training_state.pt", map_location="cpu", weights_only=True)
    for name, optimizer in optimizers.items():
        optimizer.load_state_dict(state["optimizers"][name])
    counters = Counters(**json.loads((path / "checkpoint.json").read_text()))
    state.setdefault("grad_scalers", {})
    return counters, state
