"""Pipeline stages: functions ``stage(context, **options)`` found by name or by entry point.

Built-in stages register here with ``@register_stage("name", config=OptionsClass)``; the
options class validates the stage's ``options`` mapping in the pipeline file. Other packages
register theirs the same way from their own modules (the registry imports the component
packages before a lookup). Any other function is reachable as ``module:function``; it gets
the `CycleContext` and the options as keyword arguments.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import torch
from pydantic import Field

from facegan.config import Config, Seed, config_dataclass, validate_section
from facegan.errors import FaceganError
from facegan.pipelines.spec import StageSpec
from facegan.registry import CALLBACKS, Registry
from facegan.runs import RunDir, atomic_directory
from facegan.sampling import generate_images, load_model
from facegan.training.checkpoint import list_checkpoints
from facegan.training.stats import JsonlSink, StatsReporter
from facegan.training.trainer import Trainer
from facegan.viz.grids import save_grid

STAGES: Registry = Registry("pipeline stage")
register_stage = STAGES.register


class CycleStopped(Exception):
    """Training was stopped by Ctrl+C or SIGTERM; the checkpoint is saved."""


@dataclass
class CycleContext:
    """What a stage sees: the settings in force and the run. ``trainer`` is built on first use,
    resuming the newest checkpoint, or creating the run on the first cycle."""

    config: Config  # train.epochs is the epoch this cycle ends at
    run: RunDir
    cycle: int  # the epoch this cycle trains, from 1
    final_epoch: int  # the pipeline's last epoch
    progress: bool = False
    state: dict[str, Any] = field(default_factory=dict)  # for stages to pass values on
    _trainer: Any = None

    @property
    def trainer(self):
        if self._trainer is None:
            started, started_cpu = time.perf_counter(), time.process_time()
            resume = bool(list_checkpoints(self.run.saved_models))
            # On resume the trainer applies the config's learning rates and betas, so a rate
            # changed between cycles takes effect.
            self._trainer = Trainer(self.config, resume=resume, progress=self.progress,
                                    final_epoch=self.final_epoch)
            self.state["load_seconds"] = time.perf_counter() - started
            self.state["load_cpu_seconds"] = time.process_time() - started_cpu
        return self._trainer


def resolve_stage(spec: StageSpec) -> Callable[..., Any]:
    """The function a stage names; registered stages are checked first, then the registered
    end-of-epoch callbacks (`facegan.callbacks`), run on the cycle's trainer."""
    if not spec.is_entry_point:
        if spec.use not in STAGES and spec.use in CALLBACKS:
            return _callback_stage(spec.use)
        return STAGES.get(spec.use).builder
    module_name, _, attribute = spec.use.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise FaceganError(f"stage {spec.use!r}: cannot import {module_name} ({exc}); put "
                           "the module on PYTHONPATH or fix the name") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise FaceganError(f"stage {spec.use!r}: {module_name} has no function {attribute!r}")
    return function


def check_stage(spec: StageSpec) -> None:
    """Validate a stage without running or importing user code: the name is registered (and
    its options fit), or the entry point's module can be found."""
    if spec.is_entry_point:
        module_name, _, attribute = spec.use.partition(":")
        if not module_name or not attribute.isidentifier():
            raise FaceganError(f"stage {spec.use!r} is not of the form module:function")
        try:
            found = importlib.util.find_spec(module_name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise FaceganError(f"stage {spec.use!r}: module {module_name} not found; put it "
                               "on PYTHONPATH or fix the name")
        return
    if spec.use not in STAGES and spec.use not in CALLBACKS:
        raise FaceganError(f"unknown pipeline stage {spec.use!r}; valid choices: "
                           f"{', '.join(STAGES.names() + CALLBACKS.names())}, or a "
                           "module:function entry point")
    stage_options(spec)


def stage_options(spec: StageSpec) -> dict[str, Any]:
    """The options as keyword arguments (validated and defaulted for registered stages)."""
    if spec.is_entry_point:
        return dict(spec.options)
    registry = STAGES if spec.use in STAGES else CALLBACKS
    options_class = registry.get(spec.use).config_class
    validated = validate_section(options_class, dict(spec.options), f"{spec.use}.options")
    return dataclasses.asdict(validated)


def _callback_stage(name: str) -> Callable[..., Any]:
    """A stage that runs the end-of-epoch callback ``name`` on the cycle's trainer, even when
    the run's config turns it off for in-training use."""

    def stage(context: CycleContext) -> None:
        trainer = context.trainer
        reporter = StatsReporter([JsonlSink(trainer.run.metrics_file)])  # for eval/* values
        epoch_context = dataclasses.replace(trainer.epoch_context(), reporter=reporter)
        try:
            CALLBACKS.get(name).builder(epoch_context).on_epoch_end(epoch_context)
            c = trainer.counters
            reporter.flush(step=c.step, epoch=c.epoch, images_seen=c.images_seen,
                           time=round(c.elapsed, 3))
        finally:
            reporter.close()

    return stage


# -- built-in stages ------------------------------------------------------------------------


@config_dataclass
class NoOptions:
    pass


@register_stage("train_epoch", config=NoOptions)
def train_epoch(context: CycleContext) -> None:
    """Train up to ``config.train.epochs`` (this cycle's epoch) and save a checkpoint."""
    result = context.trainer.fit()
    context.state["counters"] = dataclasses.asdict(result.counters)
    if result.interrupted_by:
        raise CycleStopped(result.interrupted_by)


@config_dataclass
class SamplesOptions:
    n: Annotated[int, Field(ge=1)] = 64
    seed: Seed = 0


@register_stage("samples", config=SamplesOptions)
def samples(context: CycleContext, n: int, seed: int) -> None:
    """A grid of ``n`` images from the saved model, loaded on its own as ``facegan
    generate`` would: ``visualizations/samples_seed<seed>/epoch_NNN.png``."""
    model, meta = load_model(context.run.saved_model)
    images = generate_images(model, n, seed, torch.device("cpu"))
    save_grid(images, context.run.visualizations / f"samples_seed{seed}"
              / f"epoch_{meta['epoch']:03d}.png")


@register_stage("keep_generator", config=NoOptions)
def keep_generator(context: CycleContext) -> None:
    """Copy the saved generator to ``saved_models/generator_epoch_NNN/`` (checkpoints rotate;
    these stay). Use ``every`` to keep one every N epochs."""
    source = context.run.saved_model
    target = context.run.saved_models / f"generator_epoch_{context.cycle:03d}"
    with atomic_directory(target) as tmp:
        for item in source.iterdir():
            shutil.copy2(item, tmp / item.name)
