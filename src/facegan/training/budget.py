"""How long a run trains, and what follows from its length.

A run ends at whichever comes first of ``train.epochs``, ``train.max_images`` (after the epoch
in which that many real images were seen) and ``train.max_minutes`` (after the step at which
that much training time, summed over resumes, has passed). Schedules (the learning rate here,
a method's penalty weights through `StepContext.progress`) run over the *planned* steps: the
epochs that ``train.epochs`` and ``train.max_images`` leave, since a time budget's end cannot
be known in advance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from facegan.config import TrainConfig
from facegan.methods.base import OptimizerSpec, scheduled_value
from facegan.training.checkpoint import Counters


@dataclass(frozen=True)
class Budget:
    planned_epochs: int  # of the whole training (a pipeline cycle trains a part of it)
    steps_per_epoch: int
    max_images: int | None = None
    max_minutes: float | None = None

    @property
    def planned_steps(self) -> int:
        return self.planned_epochs * self.steps_per_epoch

    def progress(self, steps_done: int) -> float:
        """The share of the planned steps done, in [0, 1] (1 beyond them: a resumed run
        trained longer than first planned keeps the schedules' end values)."""
        return min(steps_done / max(self.planned_steps, 1), 1.0)

    def images_spent(self, images_seen: int) -> bool:
        return self.max_images is not None and images_seen >= self.max_images

    def time_spent(self, seconds: float) -> bool:
        return self.max_minutes is not None and seconds >= self.max_minutes * 60

    def time_message(self, counters: Counters) -> str:
        epoch = counters.epoch + 1 if counters.batch_in_epoch else counters.epoch
        return (f"stopping: train.max_minutes={self.max_minutes:g} reached after "
                f"{counters.elapsed / 60:.1f} min of training (step {counters.step}, epoch "
                f"{epoch}); continue with --resume --set train.max_minutes=<more>")


def set_learning_rates(optimizers: Mapping[str, torch.optim.Optimizer],
                       specs: Mapping[str, OptimizerSpec], train: TrainConfig,
                       progress: float) -> None:
    """Each optimizer's rate at ``progress`` of ``train.lr_schedule``, from its configured rate.

    A pure function of the progress rather than a stateful ``torch.optim.lr_scheduler``: the
    rate after a resume is the configured one (which the user may have lowered after a
    divergence) at the restored step, and a longer run planned on resume stretches the schedule
    from there; the state it needs (the step) is the checkpoint's counters.
    """
    for name, spec in specs.items():
        rate = scheduled_value(spec.lr, train.lr_final_fraction, train.lr_schedule, progress)
        for group in optimizers[name].param_groups:
            group["lr"] = rate
