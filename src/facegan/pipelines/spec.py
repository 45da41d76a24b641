"""The pipeline file: which stages run in each epoch cycle, validated into frozen dataclasses.

A pipeline file is YAML::

    retries: 2                    # a crashing cycle is retried this often from the last checkpoint
    stages:
      prepare: []                 # once, before the model exists (data collection/preparation)
      init: []                    # once, on the fresh models before the first epoch
      epoch: train_epoch          # trains one epoch and saves a checkpoint
      post_epoch:                 # after every epoch (or every N epochs, and after the last)
        - samples
        - {use: keep_generator, every: 10}
        - {use: my_package.stages:upload, options: {bucket: faces}}

A stage is a registered name or a Python entry point ``module:function``; a bare string is
short for ``{use: <string>}``. ``facegan pipeline CONFIG`` uses ``--pipeline FILE``, else
``<config stem>.pipeline.yaml`` beside CONFIG, else the defaults below.
"""

from __future__ import annotations

import dataclasses
from dataclasses import field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from facegan.config import _plain, config_dataclass, read_yaml, validate_section
from facegan.errors import FaceganError

SLOTS = ("prepare", "init", "epoch", "post_epoch")


@config_dataclass
class StageSpec:
    use: str  # a registered stage name or ``module:function``
    every: Annotated[int, Field(ge=1)] = 1  # post-epoch stages: run every N epochs and the last
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the stage

    @property
    def is_entry_point(self) -> bool:
        return ":" in self.use


@config_dataclass
class StagesConfig:
    prepare: tuple[StageSpec, ...] = ()
    init: tuple[StageSpec, ...] = ()
    epoch: StageSpec = StageSpec(use="train_epoch")
    post_epoch: tuple[StageSpec, ...] = ()  # the trainer already draws samples and plots


@config_dataclass
class PipelineConfig:
    retries: Annotated[int, Field(ge=0)] = 2
    stages: StagesConfig = StagesConfig()

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))


def pipeline_from_dict(raw: dict[str, Any]) -> PipelineConfig:
    """Validate a pipeline mapping; stage strings become ``{use: ...}``."""
    raw = dict(raw)
    stages = raw.get("stages") or {}
    if not isinstance(stages, dict):
        raise FaceganError(f"pipeline key 'stages' must map {', '.join(SLOTS)} to stages")
    raw["stages"] = {slot: _expand(slot, value) for slot, value in stages.items()}
    return validate_section(PipelineConfig, raw, "pipeline")


def _expand(slot: str, value: Any) -> Any:
    if slot == "epoch":
        return {"use": value} if isinstance(value, str) else value
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        return value  # let validation name the key and the expected type
    return [{"use": item} if isinstance(item, str) else item for item in value]


def load_pipeline(path: Path | None) -> PipelineConfig:
    """Read and validate a pipeline file; None gives the default pipeline."""
    if path is None:
        return PipelineConfig()
    raw = read_yaml(path, "pipeline file", "pass a pipeline file such as "
                    "configs/pipelines/default.yaml", "keys (retries, stages)")
    try:
        return pipeline_from_dict(raw)
    except FaceganError as exc:  # name the file: a run's config passed as --pipeline, say
        raise FaceganError(f"pipeline file {path}: {exc}") from None


def find_pipeline_file(config_path: Path, explicit: Path | None) -> Path | None:
    """``explicit`` if given (it must exist), else ``<stem>.pipeline.yaml`` beside the config."""
    if explicit is not None:
        if not explicit.is_file():
            raise FaceganError(f"pipeline file {explicit} not found; see "
                               "configs/pipelines/default.yaml for an example")
        return explicit
    beside = config_path.with_name(f"{config_path.stem}.pipeline.yaml")
    return beside if beside.is_file() else None
