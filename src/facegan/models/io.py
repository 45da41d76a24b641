"""Saving and loading a generator on its own: safetensors weights plus a readable JSON config.

``generator.json`` holds the model section and the data description, which is everything
needed to rebuild the architecture; loading never unpickles anything.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch import nn

from facegan.config import validate_section
from facegan.data.base import DataInfo
from facegan.errors import FaceganError
from facegan.models.base import build_models
from facegan.registry import MODELS

WEIGHTS = "generator.safetensors"
META = "generator.json"
FORMAT = "facegan.generator/1"


def save_generator(directory: Path, generator: nn.Module, model_config: Any, info: DataInfo,
                   **extra: Any) -> None:
    """Write ``generator.safetensors`` and ``generator.json`` into ``directory``."""
    meta = {"format": FORMAT, "model": dataclasses.asdict(model_config), "data": info.to_dict(),
            **extra}
    state = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    save_file(state, str(directory / WEIGHTS))
    (directory / META).write_text(json.dumps(meta, indent=2) + "\n")


def load_generator(directory: Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a generator from a directory holding generator.safetensors + generator.json."""
    meta_path, weights_path = directory / META, directory / WEIGHTS
    if not meta_path.is_file() or not weights_path.is_file():
        raise FaceganError(f"{directory} holds no saved generator ({WEIGHTS} and {META}); "
                           "pass a run directory or one of its saved_models/checkpoint_* folders")
    meta = json.loads(meta_path.read_text())
    if meta.get("format") != FORMAT:
        raise FaceganError(f"{meta_path} is not a facegan generator description")
    entry = MODELS.get(meta["model"]["name"])
    model_config = validate_section(entry.config_class, meta["model"], "model")
    info = DataInfo.from_dict(meta["data"])
    generator = build_models(model_config, info).generator
    generator.load_state_dict(load_file(str(weights_path)))
    return generator.eval(), meta
