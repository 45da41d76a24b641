"""Checkpoints: one directory per checkpoint, written atomically, never pickling modules.

``saved_models/checkpoint_<step>/`` holds the saved model (``generator.json`` plus the sampling
networks' weights, loadable alone: ``facegan generate`` takes a checkpoint), one
``<network>.safetensors`` for every other network (a GAN's ``discriminator.safetensors``),
``training_state.pt`` (optimizer states by network, RNG states, fp16 gradient-scaler states;
loaded with ``weights_only=True``), ``checkpoint.json`` (counters) and ``config.yaml``.

A network with an EMA (a GAN's generator with ``train.ema_decay > 0``) is saved as the
*averaged* weights -- the ones to sample from, so a saved model gets them without knowing about
EMA -- and ``<network>_raw.safetensors`` holds the weights being trained, which only resuming
needs.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from facegan.config import Config
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError, first_line
from facegan.methods.base import Sampler
from facegan.methods.io import load_weights, save_model, save_weights, weights_file
from facegan.runs import atomic_directory

PREFIX = "checkpoint_"


@dataclass
class Counters:
    epoch: int = 0  # completed epochs
    batch_in_epoch: int = 0  # batches done in the current epoch
    step: int = 0  # batches done in total
    images_seen: int = 0  # real images trained on
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


def raw_weights_file(directory: Path, network: str) -> Path:
    return directory / f"{network}_raw.safetensors"


def save_checkpoint(saved_models: Path, *, config: Config, info: DataInfo, sampler: Sampler,
                    networks: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                    rng_state: dict[str, Any], counters: Counters, keep: int,
                    averages: dict[str, nn.Module] | None = None,
                    grad_scalers: dict[str, Any] | None = None) -> Path:
    """Write ``checkpoint_<step>/``; ``averages`` maps a network name to its EMA copy."""
    averages = averages or {}
    final = checkpoint_path(saved_models, counters.step)
    with atomic_directory(final) as tmp:
        save_model(tmp, sampler, {**networks, **averages}, config.model, info,
                   epoch=counters.epoch, step=counters.step)
        for name, module in networks.items():
            if name in averages:
                save_weights(raw_weights_file(tmp, name), module)
                if name not in sampler.networks:  # an average that sampling does not use
                    save_weights(weights_file(tmp, name), averages[name])
            elif name not in sampler.networks:
                save_weights(weights_file(tmp, name), module)
        state = io.BytesIO()  # written by Python: a full disk is an OSError, not a C++ one
        torch.save({"optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                    "rng": rng_state, "grad_scalers": grad_scalers or {}}, state)
        (tmp / "training_state.pt").write_bytes(state.getbuffer())
        (tmp / "checkpoint.json").write_text(json.dumps(dataclasses.asdict(counters)) + "\n")
        (tmp / "config.yaml").write_text(config.to_yaml())
    for old in list_checkpoints(saved_models)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


class CheckpointError(FaceganError):
    """A checkpoint that cannot be loaded: damaged, foreign or of another model."""


def load_checkpoint(path: Path, *, networks: dict[str, nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer],
                    averages: dict[str, nn.Module] | None = None,
                    ) -> tuple[Counters, dict[str, Any]]:
    """Restore weights, optimizer states and the EMAs in place; return the counters and the
    rest of the training state (``"rng"``, ``"grad_scalers"``). A file that cannot be loaded
    raises `CheckpointError` (one line naming it); the modules may then be partly loaded.

    A run may switch an EMA on or off when resuming: without a saved average the EMA starts
    from the trained weights.
    """
    averages = averages or {}
    fix = "the model section must match the run's config.yaml, or use an earlier checkpoint"
    try:
        for name, module in networks.items():
            raw = raw_weights_file(path, name)
            load_weights(raw if raw.is_file() else weights_file(path, name), module, fix=fix)
        for name, average in averages.items():
            if raw_weights_file(path, name).is_file():
                load_weights(weights_file(path, name), average, fix=fix)
            else:
                average.load_state_dict(networks[name].state_dict())
        state_file = path / "training_state.pt"
        try:
            with warnings.catch_warnings():  # a foreign pickle's protocol warning
                warnings.simplefilter("ignore", UserWarning)
                state = torch.load(state_file, map_location="cpu", weights_only=True)
            if not (isinstance(state, dict) and isinstance(state.get("rng"), dict)
                    and isinstance(state.get("optimizers"), dict)):
                raise ValueError("no optimizer and RNG states in it")
            for name, optimizer in optimizers.items():
                optimizer.load_state_dict(state["optimizers"][name])
            counters = Counters(**json.loads((path / "checkpoint.json").read_text()))
        except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, KeyError, TypeError,
                ValueError, IndexError, AttributeError) as exc:
            first = first_line(exc)
            raise FaceganError(f"{state_file} (or checkpoint.json) is damaged or not a facegan "
                               f"training state ({type(exc).__name__}: {first}); use an "
                               "earlier checkpoint") from None
    except CheckpointError:
        raise
    except FaceganError as exc:
        raise CheckpointError(str(exc)) from None
    state.setdefault("grad_scalers", {})
    return counters, state
