"""A saved model: the sampling networks' weights (safetensors) plus a readable JSON description.

A directory holds ``generator.json`` and one ``<network>.safetensors`` per network that
sampling needs (a GAN's ``generator.safetensors``). The description names the sampler (how the
method draws images) with its settings, the ``model`` section that rebuilds the networks and
the data description; loading needs nothing else and never unpickles anything::

    {"format": "facegan.generator/2", "sampler": {"name": "gan"}, "networks": ["generator"],
     "model": {...}, "data": {...}, "epoch": 3, "step": 120}

Generators saved before methods existed (``facegan.generator/1``: no sampler, no networks)
are GAN generators and load as such.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes
from torch import nn

from facegan.config import validate_section
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError, first_line
from facegan.methods.base import Sampler, SamplingModel
from facegan.models.base import build_networks
from facegan.registry import MODELS, SAMPLERS

META = "generator.json"
FORMAT = "facegan.generator/2"
LEGACY_FORMATS = {"facegan.generator/1": {"sampler": {"name": "gan"}, "networks": ["generator"]}}


def weights_file(directory: Path, network: str) -> Path:
    return directory / f"{network}.safetensors"


def save_weights(path: Path, module: nn.Module) -> None:
    # serialized in memory and written by Python: a full disk is then an OSError saying so,
    # not a SafetensorError from deep inside the writer
    tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    path.write_bytes(safetensors_bytes(tensors))


def save_model(directory: Path, sampler: Sampler, networks: Mapping[str, nn.Module],
               model_config: Any, info: DataInfo, **extra: Any) -> None:
    """Write the sampling networks and ``generator.json`` into ``directory``; ``networks``
    maps each of ``sampler.networks`` to the weights to sample with (an EMA where there is
    one)."""
    meta = {"format": FORMAT, "sampler": sampler.describe(), "networks": list(sampler.networks),
            "model": dataclasses.asdict(model_config), "data": info.to_dict(), **extra}
    for name in sampler.networks:
        save_weights(weights_file(directory, name), networks[name])
    (directory / META).write_text(json.dumps(meta, indent=2) + "\n")


def load_weights(path: Path, module: nn.Module, *, fix: str = "") -> None:
    """Load ``path`` into ``module``; a damaged, foreign or mismatched file is one line that
    names it (and ``fix``, what to do instead)."""
    try:
        module.load_state_dict(load_file(str(path)))
    except (SafetensorError, OSError) as exc:
        raise FaceganError(f"{path} is damaged or not a safetensors file ({exc}); "
                           f"{fix or 'use an earlier checkpoint (saved_models/checkpoint_*)'}"
                           ) from None
    except RuntimeError as exc:  # load_state_dict: other tensor names or shapes
        first = first_line(exc)
        raise FaceganError(f"{path} does not fit this model ({first}); "
                           f"{fix or 'use an earlier checkpoint (saved_models/checkpoint_*)'}"
                           ) from None


def is_saved_model(directory: Path) -> bool:
    return (directory / META).is_file()


def read_meta(directory: Path) -> dict[str, Any]:
    """``generator.json`` of ``directory``, in today's format whatever format it was saved in."""
    meta_path = directory / META
    if not meta_path.is_file():
        raise FaceganError(f"{directory} holds no saved generator ({META}); pass a run "
                           "directory or one of its saved_models/checkpoint_* folders")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FaceganError(f"{meta_path} is damaged ({exc}); use an earlier checkpoint "
                           "(saved_models/checkpoint_*) or the run's saved_models/generator/"
                           ) from None
    if not isinstance(meta, dict):
        raise FaceganError(f"{meta_path} is not a facegan generator description")
    if meta.get("format") in LEGACY_FORMATS:
        meta = {**LEGACY_FORMATS[meta["format"]], **meta, "format": FORMAT}
    if meta.get("format") != FORMAT:
        raise FaceganError(f"{meta_path} is not a facegan generator description")
    broken = _broken_entry(meta)
    if broken is not None:
        raise FaceganError(f"{meta_path} is damaged (its {broken!r} entry is missing or wrong); "
                           "use an earlier checkpoint (saved_models/checkpoint_*) or the run's "
                           "saved_models/generator/")
    return meta


def _broken_entry(meta: dict[str, Any]) -> str | None:
    """The first entry of a description that loading needs and that is missing or of the
    wrong type (a hand-edited or half-written generator.json)."""
    for key, kind in (("sampler", dict), ("networks", list), ("model", dict), ("data", dict)):
        if not isinstance(meta.get(key), kind):
            return key
    for key in ("sampler", "model"):
        if "name" not in meta[key]:
            return f"{key}.name"
    try:
        DataInfo.from_dict(meta["data"])
    except (TypeError, ValueError):
        return "data"
    return None


def build_sampler(meta: Mapping[str, Any]) -> Sampler:
    entry = SAMPLERS.get(meta["sampler"]["name"])
    return entry.builder(validate_section(entry.config_class, dict(meta["sampler"]), "sampler"))


def load_model_dir(directory: Path) -> tuple[SamplingModel, dict[str, Any]]:
    """Rebuild the sampling model saved in ``directory`` (eval mode, CPU) and its description."""
    meta = read_meta(directory)
    missing = [name for name in meta["networks"]
               if not weights_file(directory, name).is_file()]
    if missing:
        raise FaceganError(f"{directory} lacks {weights_file(directory, missing[0]).name}; "
                           "the saved generator is incomplete")
    entry = MODELS.get(meta["model"]["name"])
    model_config = validate_section(entry.config_class, meta["model"], "model")
    info = DataInfo.from_dict(meta["data"])
    built = build_networks(model_config, info)
    networks = {}
    for name in meta["networks"]:
        load_weights(weights_file(directory, name), built[name])
        networks[name] = built[name].eval()
    return SamplingModel(build_sampler(meta), networks, info), meta
