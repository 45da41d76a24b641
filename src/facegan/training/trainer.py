"""The one training loop. It knows networks, phases, optimizers, checkpoints and stats, never
what a network is for.

The method (`facegan.methods`) names its networks, their optimizers and its phases; an
iteration takes one batch and runs each phase whose turn it is (e.g. a GAN's critic on every
batch, its generator on every fifth). The data order of every epoch is a function of (seed,
epoch), and every random draw in a step comes from a generator whose state is checkpointed, so
a run resumed from any checkpoint continues bit for bit.

Options that methods never see: autocast wraps their forward passes, the fp16 loss scale
reaches them through the `StepContext`, the EMA the method asks for follows each step of its
network, and the NaN/Inf guard (`guard`) stops a diverged run, restores the last good
checkpoint and says so. End-of-epoch work (grids, plots, evaluation, TensorBoard) is done by
callbacks (`facegan.training.callbacks`).

Under torchrun every process runs this loop on its slice of each global batch
(``train.batch_size`` images per process), draws the step's randomness for the global batch
(`facegan.randomness`), and averages the updated network's gradients, the logged values and the
stop and NaN decisions with the others (`facegan.training.distributed`); the main process
alone writes files and runs the end-of-epoch callbacks while the others wait.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from facegan.conditions import fixed_conditions, label_grid_columns
from facegan.config import Config
from facegan.data.base import build_dataset
from facegan.data.batches import training_batches
from facegan.errors import FaceganError
from facegan.methods.base import Batch, SamplingModel, StepContext, build_method
from facegan.methods.io import save_model
from facegan.randomness import BatchRandom
from facegan.runs import RunDir, atomic_directory, atomic_write_text
from facegan.training.budget import Budget, set_learning_rates
from facegan.training.callbacks import EpochContext, build_callbacks
from facegan.training.checkpoint import (
    CheckpointError,
    Counters,
    checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from facegan.training.distributed import DistributedInfo, ProcessGroup
from facegan.training.ema import NetworkEMA
from facegan.training.epochs import epoch_batches, planned_epochs
from facegan.training.guard import NonFiniteError, check_losses, check_record, check_weights
from facegan.training.interrupt import StopRequest
from facegan.training.precision import MixedPrecision, check_precision
from facegan.training.run_setup import check_run_dir, create_run
from facegan.training.stats import (
    JsonlSink,
    StatsReporter,
    TensorBoardSink,
    WandbSink,
    truncate_metrics,
)

log = logging.getLogger(__name__)

@dataclass
class TrainResult:
    run_dir: Path
    counters: Counters
    checkpoint: Path | None
    interrupted_by: str | None = None  # signal name when stopped by Ctrl+C or SIGTERM
    is_main: bool = True  # False in the other processes of a torchrun job


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise FaceganError("train.device=cuda but no CUDA device is available; use "
                           "train.device=auto or cpu")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


class Trainer:
    def __init__(self, config: Config, *, resume: bool = False, progress: bool | None = None,
                 final_epoch: int | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        """``final_epoch``: the last epoch of the whole training when this trainer runs only a
        part of it (a pipeline cycle); callbacks that run every K epochs and at the last one
        count to it, and so do the schedules. ``clock``: seconds, for the training time (the
        metrics' ``time``, ``train.max_minutes``)."""
        self.config = config
        self.final_epoch = final_epoch
        self.clock = clock
        self.dist = DistributedInfo.from_env()
        self.run = RunDir.for_config(config)
        self.device = self.dist.device(resolve_device(config.train.device))
        check_precision(config.train.precision, self.device)  # before loading data: fail fast
        self.progress = config.log.progress if progress is None else progress
        self.seed = config.run.seed  # the same in every process: they draw alike
        self.group = ProcessGroup(self.dist, self.device, config.train.dist_timeout)
        # the main process checks the run directory (before loading data: fail fast) and
        # tells the others whether the run resumes
        resume = self.group.broadcast(check_run_dir(self.run, config, resume)
                                      if self.dist.is_main else None)

        torch.manual_seed(self.seed)  # weight initialisation, the same in every process
        if not self.dist.is_main:  # the main process builds a missing data cache first
            self.group.barrier()
        self.dataset = build_dataset(config.data)
        if self.dist.is_main:
            self.group.barrier()
        self.info = self.dataset.info
        train = config.train
        self.global_batch = train.batch_size * self.dist.world_size
        if len(self.dataset) < self.global_batch:
            raise FaceganError(f"the dataset has {len(self.dataset)} images, fewer than one "
                               f"batch of {self.global_batch}; lower train.batch_size")
        self.images_per_epoch = len(self.dataset) // self.global_batch * self.global_batch
        self.epochs = planned_epochs(train.epochs, train.max_images, self.images_per_epoch)
        self.budget = Budget(
            planned_epochs(final_epoch or train.epochs, train.max_images, self.images_per_epoch),
            len(self.dataset) // self.global_batch, train.max_images, train.max_minutes)
        self._build_method()
        self._warn_of_phases_that_never_run()
        if self.dist.rank:  # torch's own generator (dropout) differs between processes
            torch.manual_seed(self.seed + self.dist.rank)
        self.rng = torch.Generator(device=self.device)
        self.rng.manual_seed(self.seed)
        self.random = BatchRandom(self.rng, self.dist.rank, self.dist.world_size,
                                  gather=self.group.gather_rows)
        if self.dist.is_distributed and self.dist.is_main:
            log.info("%d processes x train.batch_size %d = global batch %d",
                     self.dist.world_size, train.batch_size, self.global_batch)
        # Checking every step costs a host sync per loss: free on the CPU, not on a GPU.
        self.check_each_step = self.device.type == "cpu"
        self.check_losses = train.precision != "fp16"  # fp16 overflows are the scaler's job
        self._fix_grid_inputs()
        self.counters = Counters()
        self.last_checkpoint: Path | None = None
        self.sinks: list[Any] = []
        self.callbacks = build_callbacks(self.epoch_context()) if self.dist.is_main else []
        if resume:
            self._resume()
        elif self.dist.is_main:
            def first_files() -> None:
                for callback in self.callbacks:
                    callback.on_run_created(self.epoch_context())
            create_run(self.run, config, first_files)

    def _build_method(self) -> None:
        """The method, its networks on the device, one Adam per network, the EMA it asks for."""
        train = self.config.train
        self.memory_format = torch.channels_last if train.channels_last else torch.contiguous_format
        self.method = build_method(self.config, self.info)
        self.networks = self.method.build_networks()
        for module in self.networks.values():
            module.to(self.device, memory_format=self.memory_format).train()
            self.group.broadcast_module(module)  # one start for every process
        self.method.check(self.networks)
        self.optimizers = {
            name: torch.optim.Adam(self.networks[name].parameters(), lr=spec.lr, betas=spec.betas)
            for name, spec in self.method.optimizers().items()}
        self.precision = MixedPrecision(train.precision, self.device, list(self.optimizers))
        spec = self.method.ema
        self.ema = (NetworkEMA(self.networks[spec.network], spec.decay, spec.rampup)
                    if spec is not None else None)
        self.model = SamplingModel(self.method.sampler, self.sampling_networks, self.info)

    def _fix_grid_inputs(self) -> None:
        """The epoch grid's noise (the same every epoch) and, for a conditional model, its
        labels: a column per class."""
        n, seed = self.config.log.num_samples, self.config.run.seed
        self.fixed_noise = self.model.noise(n, torch.Generator().manual_seed(seed))
        self.fixed_conditions: torch.Tensor | None = None
        self.grid_columns: int | None = None
        if self.model.conditional:
            self.fixed_conditions = fixed_conditions(self.info, n, seed, self.dataset)
            self.grid_columns = label_grid_columns(self.info, n)

    @property
    def sampling_networks(self) -> dict[str, torch.nn.Module]:
        """The networks to sample from and to save: the EMA where there is one."""
        networks = {name: self.networks[name] for name in self.method.sampler.networks}
        if self.ema is not None:
            networks[self.method.ema.network] = self.ema.module
        return networks

    @property
    def averages(self) -> dict[str, torch.nn.Module]:
        return {self.method.ema.network: self.ema.module} if self.ema is not None else {}

    def epoch_context(self) -> EpochContext:
        """What the end-of-epoch callbacks see, as of now."""
        return EpochContext(
            config=self.config, run=self.run, info=self.info, dataset=self.dataset,
            counters=self.counters, planned_epochs=self.final_epoch or self.epochs,
            method=self.method,
            model=self.model,
            networks=self.networks, fixed_noise=self.fixed_noise,
            fixed_conditions=self.fixed_conditions, grid_columns=self.grid_columns,
            reporter=getattr(self, "reporter", None), sinks=self.sinks)

    # -- setup -------------------------------------------------------------------------------

    def _resume(self) -> None:
        """Restore the newest checkpoint that loads, saying which were skipped and why."""
        checkpoints = list_checkpoints(self.run.saved_models)
        for checkpoint in reversed(checkpoints):
            try:
                self._restore(checkpoint)
                break
            except CheckpointError as problem:
                if checkpoint == checkpoints[0]:
                    raise FaceganError(f"no checkpoint of {self.run.path} can be loaded; the "
                                       f"oldest: {problem}") from None
                if self.dist.is_main:  # out of the way of pruning and of the pipeline
                    damaged = checkpoint.with_name(f"damaged-{checkpoint.name}")
                    shutil.rmtree(damaged, ignore_errors=True)
                    checkpoint.rename(damaged)
                    log.warning("skipping %s: %s (moved to %s)", checkpoint.name, problem,
                                damaged.name)
        if self.dist.is_main:
            atomic_write_text(self.run.config_file, self.config.to_yaml())
            log.info("resuming %s from %s (epoch %d, step %d, %d images)", self.run.path,
                     checkpoint.name, self.counters.epoch, self.counters.step,
                     self.counters.images_seen)

    def _restore(self, checkpoint: Path) -> None:
        """Put weights, EMA, optimizers, scalers, RNGs and counters back as ``checkpoint``
        has them and forget the metrics logged after it."""
        self.counters, state = load_checkpoint(
            checkpoint, networks=self.networks, optimizers=self.optimizers,
            averages=self.averages)
        specs = self.method.optimizers()  # the config wins: users lower the rates to resume
        for name, spec in specs.items():  # a diverged run
            for group in self.optimizers[name].param_groups:
                group["betas"] = spec.betas
        set_learning_rates(self.optimizers, specs, self.config.train,
                           self.budget.progress(self.counters.step))
        self.precision.load_state_dict(state["grad_scalers"])
        rng = state["rng"]
        saved_world = rng.get("world_size", 1)
        if saved_world != self.dist.world_size:
            raise FaceganError(
                f"{checkpoint} was written by {saved_world} training process(es), this is "
                f"{self.dist.world_size}; resume with torchrun --nproc_per_node={saved_world} "
                "(in all) to continue exactly, or start a new run with --set run.name=<new name>")
        try:
            if self.dist.rank:
                rng = rng["other_ranks"][self.dist.rank - 1]
            torch.set_rng_state(rng["torch"])
            if rng["cuda"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(rng["cuda"])
            self.rng.set_state(rng["trainer"])
            random.setstate(rng["python"])
        except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{checkpoint / 'training_state.pt'} has no usable RNG "
                                  f"state ({type(exc).__name__}: {exc}); use an earlier "
                                  "checkpoint") from None
        self.last_checkpoint = checkpoint
        if self.dist.is_main:
            truncate_metrics(self.run.metrics_file, self.counters.step)

    def _warn_of_phases_that_never_run(self) -> None:
        """Phases run on steps counted across epochs (a critic-heavy GAN on a small set still
        updates its generator in later epochs); a run shorter than a phase's period never runs
        it, which deserves a word."""
        # the whole training's length: a pipeline cycle trains to epoch N of final_epoch
        epochs = self.final_epoch or self.epochs
        steps = epochs * (len(self.dataset) // self.global_batch)
        for phase in self.method.phases:
            if phase.every > steps and self.dist.is_main:
                key = f" ({phase.every_key}={phase.every})" if phase.every_key else ""
                log.warning("phase %r runs every %d steps%s, but this run has %d steps (%d "
                            "epochs of %d batches): it will never update the %s; train longer "
                            "or make that phase more frequent", phase.name, phase.every, key,
                            steps, epochs, len(self.dataset) // self.global_batch,
                            phase.updates)

    def _rng_state(self) -> dict[str, Any]:
        """This process's RNG states."""
        return {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "trainer": self.rng.get_state(),
            "python": random.getstate(),
        }

    # -- the loop ----------------------------------------------------------------------------

    def fit(self) -> TrainResult:
        """Train until ``train.epochs`` (or ``train.max_images``, ``train.max_minutes``), a stop
        signal, or a divergence, which raises a `FaceganError` after restoring the last good
        checkpoint."""
        sinks = self.sinks
        sinks.clear()
        if self.dist.is_main:
            sinks.append(JsonlSink(self.run.metrics_file))
            if self.config.log.tensorboard:
                sinks.append(TensorBoardSink(self.run.tensorboard))
            if self.config.log.wandb:
                sinks.append(WandbSink(self.run.path, self.config.to_dict(),
                                       self.config.log.wandb_project))
        self.reporter = StatsReporter(list(sinks))
        self._started = self.clock() - self.counters.elapsed
        self._last_flushed_step = self.counters.step
        try:
            with StopRequest() as stop:
                stopped_by = self._train_epochs(stop)
                # every process stops together, also those the signal did not reach
                reason = None
                if stopped_by == "signal":
                    reason = stop.signal_name or "a stop in another process"
                    if self.dist.is_main:
                        log.warning("%s: saved %s; continue with --resume", reason,
                                    self.last_checkpoint)
                elif stopped_by == "time" and self.dist.is_main:
                    log.info("%s", self.budget.time_message(self.counters))
            return TrainResult(self.run.path, self.counters, self.last_checkpoint, reason,
                               self.dist.is_main)
        except NonFiniteError as problem:
            raise FaceganError(self._recover(problem)) from None
        finally:
            self.reporter.close()
            self.group.close()

    def _recover(self, problem: NonFiniteError) -> str:
        """Go back to the last good checkpoint; return the one-line account for the user."""
        lower = " ".join(f"--set {spec.lr_key}={spec.lr / 2:g}"
                         for spec in self.method.optimizers().values())
        if self.last_checkpoint is None:
            return (f"training diverged: {problem}, before the first checkpoint; start again "
                    f"with lower learning rates ({lower}) and another run.name")
        self._restore(self.last_checkpoint)
        return (f"training diverged: {problem}; restored {self.last_checkpoint.name} (epoch "
                f"{self.counters.epoch}, step {self.counters.step}); lower the learning rates "
                f"and continue with --resume {lower}")

    def _train_epochs(self, stop: StopRequest) -> str | None:
        """Run epochs from the counters on; say why when stopped before they ran out:
        ``"signal"`` or ``"time"`` (``train.max_minutes``)."""
        train, c = self.config.train, self.counters
        rank, size = self.dist.rank, train.batch_size
        while c.epoch < train.epochs and not self.budget.images_spent(c.images_seen):
            if self._out_of_time():  # a resumed run whose budget was already spent
                return "time"
            batches = epoch_batches(len(self.dataset), self.global_batch, self.seed, c.epoch)
            mine = [batch[rank * size:(rank + 1) * size] for batch in batches]
            loader = training_batches(self.dataset, mine[c.batch_in_epoch:],
                                      device=self.device, random=self.random,
                                      num_workers=train.num_workers,
                                      memory_format=self.memory_format, seed=self.seed)
            stopping = None
            with tqdm(total=len(batches), initial=c.batch_in_epoch, unit="batch",
                      desc=f"epoch {c.epoch + 1}/{self.final_epoch or self.epochs}", leave=False,
                      disable=not (self.progress and self.dist.is_main)) as bar:
                for real, labels in loader:
                    self._step(Batch(real, labels))
                    c.batch_in_epoch += 1
                    c.step += 1
                    c.images_seen += self.global_batch
                    set_learning_rates(self.optimizers, self.method.optimizers(), train,
                                       self.budget.progress(c.step))
                    bar.update()
                    if c.step % self.config.log.every == 0:
                        self._flush_stats(bar)
                    # every process stops at the same step; on a GPU checked at log lines
                    # only, since agreeing costs a host sync
                    if self.check_each_step or c.step % self.config.log.every == 0:
                        stopping = self._stop_reason(stop)
                    if stopping:
                        break
            # a time budget spent in an epoch's last step lets the epoch end as usual
            if stopping == "signal" or (stopping and c.batch_in_epoch < len(batches)):
                self._flush_stats(None)
                self._save()
                return stopping
            c.epoch += 1
            c.batch_in_epoch = 0
            self._end_epoch()
            if stopping:
                return stopping
        return None

    def _stop_reason(self, stop: StopRequest) -> str | None:
        """``"signal"``, ``"time"`` or None, the same in every process."""
        if self.group.any(stop.requested):
            return "signal"
        return "time" if self._out_of_time() else None

    def _out_of_time(self) -> bool:
        """Whether ``train.max_minutes`` is spent, agreed by every process (their clocks
        differ a little)."""
        if self.budget.max_minutes is None:  # the same config everywhere: all skip agreeing
            return False
        return self.group.any(self.budget.time_spent(self._elapsed()))

    def _elapsed(self) -> float:
        """Training seconds so far, summed over resumes."""
        return self.clock() - self._started

    def _step(self, batch: Batch) -> None:
        index = self.counters.step + 1
        images = self.global_batch
        for phase in self.method.phases:
            if index % phase.every:
                continue
            for name, module in self.networks.items():
                module.requires_grad_(name == phase.updates)
            optimizer = self.optimizers[phase.updates]
            optimizer.zero_grad(set_to_none=True)
            step = StepContext(self.random, self.precision.grad_scale(phase.updates),
                               progress=self.budget.progress(self.counters.step))
            with self.precision.autocast():
                outputs = self.method.compute(phase, self.networks, batch, step)
            values = self.group.mean(outputs)  # the global batch's, in every process
            if self.check_each_step and self.check_losses:
                check_losses(values, phase.name, index)
            updated = self.networks[phase.updates]
            self.precision.backward_and_step(
                outputs["loss"], optimizer, phase.updates,
                before_step=lambda module=updated: self.group.average_gradients(module))
            if self.ema is not None and phase.updates == self.method.ema.network:
                self.ema.update(self.networks[phase.updates],
                                images_per_step=images * phase.every,
                                images_seen=self.counters.images_seen + images)
            for key, value in values.items():
                self.reporter.report(f"{phase.name}/{key}", value)
        for module in self.networks.values():
            module.requires_grad_(True)

    def _agreed(self, check: Callable[[], Any]) -> None:
        """Run ``check`` in every process; when it raises `NonFiniteError` in one, every
        process raises (so that all of them go back to the checkpoint together)."""
        problem = None
        try:
            check()
        except NonFiniteError as error:
            problem = error
        if self.group.any(problem is not None):
            raise problem or NonFiniteError("value in another process", "nan or inf",
                                            f"by step {self.counters.step}")

    def _flush_stats(self, bar: tqdm | None) -> None:
        c = self.counters
        c.elapsed = self._elapsed()
        epoch = c.epoch + 1 if c.batch_in_epoch else c.epoch  # at an epoch's end: that epoch
        record = self.reporter.flush(step=c.step, epoch=epoch, images_seen=c.images_seen,
                                     time=round(c.elapsed, 3))
        first_step, self._last_flushed_step = self._last_flushed_step + 1, c.step
        if self.check_losses:  # also for a value only the main process logs (an evaluation)
            self._agreed(lambda: record is None or check_record(record, first_step, c.step))
        if record is None:
            return
        if bar is not None:
            postfix = {short: f"{record[key]:.3g}"
                       for key, short in self.method.progress_names.items()
                       if isinstance(record.get(key), float)}
            left = max(self.epochs * self.images_per_epoch - c.images_seen, 0)
            postfix["run ETA"] = tqdm.format_interval(c.elapsed / c.images_seen * left)
            bar.set_postfix(img=c.images_seen, **postfix, refresh=False)

    # -- end of epoch ------------------------------------------------------------------------

    def _end_epoch(self) -> None:
        context = self.epoch_context()
        due = [callback for callback in self.callbacks if callback.due(context)]
        for callback in due:  # those that report stats: their values join this epoch's line
            if callback.reports_stats:
                callback.on_epoch_end(context)
        self._flush_stats(None)
        for callback in due:
            if not callback.reports_stats:
                callback.on_epoch_end(context)
        if self.dist.is_main:
            log.info("epoch %d/%d done (%d images): %s", self.counters.epoch,
                     self.final_epoch or self.epochs,
                     self.counters.images_seen,
                     ", ".join(f"{k}={v:.4g}" for k, v in self.reporter.last.items()
                               if k in self.method.progress_names and isinstance(v, float)))
        self._save()

    def _save(self) -> None:
        """Write a checkpoint and the saved model, after checking the weights are finite so
        that every checkpoint is one the NaN guard can go back to. Every process takes part
        (the weights are the same in all; each one's RNG states are saved); the main one
        writes, and the others wait until it has."""
        self._agreed(lambda: check_weights(  # batch-norm statistics differ between processes
            {**self.networks, **{f"EMA {name}": m for name, m in self.averages.items()}},
            self.counters.step))
        states = self.group.gather_objects(self._rng_state())
        self.counters.elapsed = self._elapsed()
        if self.dist.is_main:
            rng_state = {**states[0], "world_size": self.dist.world_size,
                         "other_ranks": states[1:]}
            save_checkpoint(
                self.run.saved_models, config=self.config, info=self.info,
                sampler=self.method.sampler, networks=self.networks, optimizers=self.optimizers,
                rng_state=rng_state, counters=self.counters,
                keep=self.config.run.keep_checkpoints, averages=self.averages,
                grad_scalers=self.precision.state_dict())
            with atomic_directory(self.run.saved_model) as tmp:
                save_model(tmp, self.method.sampler, self.sampling_networks, self.config.model,
                           self.info, epoch=self.counters.epoch, step=self.counters.step)
        self.group.barrier()
        self.last_checkpoint = checkpoint_path(self.run.saved_models, self.counters.step)
