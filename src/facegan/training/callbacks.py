"""End-of-epoch work as callbacks: one interface for the trainer and the pipeline's stages.

A callback is an `EpochCallback` class registered by name (``@register_callback("losses",
config=...)`` in `facegan.callbacks`) and built with the `EpochContext`. The trainer builds
those the run's config wants (`EpochCallback.wanted`) when it starts and, at the end of every
epoch, runs those that report stats (evaluation) before the epoch's last metrics line is
written, then the others, then writes the checkpoint. A pipeline's post-epoch stage may name a
callback too; it runs on the cycle's trainer the same way, whatever the config says (so a
pipeline can, e.g., draw histograms every 10th epoch only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from facegan.config import Config
from facegan.datainfo import DataInfo
from facegan.methods.base import Method, SamplingModel
from facegan.registry import CALLBACKS
from facegan.runs import RunDir
from facegan.training.checkpoint import Counters
from facegan.training.stats import StatsReporter


@dataclass
class EpochContext:
    """What a callback sees: the run, its counters, the networks and the sampling model."""

    config: Config
    run: RunDir
    info: DataInfo
    dataset: Dataset
    counters: Counters
    planned_epochs: int
    method: Method
    model: SamplingModel  # samples with the EMA weights where there are some
    networks: Mapping[str, nn.Module]  # the networks being trained
    fixed_noise: torch.Tensor  # (num_samples, *noise_shape), the same every epoch
    fixed_conditions: torch.Tensor | None
    grid_columns: int | None
    reporter: StatsReporter | None = None
    sinks: list[Any] = field(default_factory=list)  # where stats go (TensorBoard, W&B, ...)
    _samples: torch.Tensor | None = None

    @property
    def epoch(self) -> int:
        return self.counters.epoch

    def samples(self) -> torch.Tensor:
        """The fixed-noise grid images ``(num_samples, C, H, W)`` in [-1, 1] on the CPU, drawn
        once per epoch whoever asks first."""
        if self._samples is None:
            self._samples = self.model.draw(self.fixed_noise, self.fixed_conditions,
                                            batch_size=len(self.fixed_noise))
        return self._samples

    def sink(self, kind: type) -> Any:
        """The stats sink of type ``kind``, or None when the run does not log there."""
        return next((s for s in self.sinks if isinstance(s, kind)), None)


class EpochCallback:
    reports_stats = False  # True: runs before the epoch's last metrics line is written
    every = 1  # epochs between two runs (the last planned epoch always runs)

    def __init__(self, context: EpochContext) -> None:
        pass

    @classmethod
    def wanted(cls, config: Config) -> bool:
        """Whether a training run with ``config`` uses this callback."""
        return True

    def on_run_created(self, context: EpochContext) -> None:
        """Once, when a new run directory has been created (not on resume)."""

    def on_epoch_end(self, context: EpochContext) -> None:
        """After each epoch (when `due`)."""

    def due(self, context: EpochContext) -> bool:
        return (context.epoch % self.every == 0
                or context.epoch >= context.planned_epochs)


def build_callbacks(context: EpochContext) -> list[EpochCallback]:
    """Every registered callback the run's config wants, those that report stats first."""
    callbacks = [entry.builder(context) for entry in CALLBACKS.entries()
                 if entry.builder.wanted(context.config)]
    return sorted(callbacks, key=lambda callback: not callback.reports_stats)
