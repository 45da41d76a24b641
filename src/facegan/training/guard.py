"""The NaN/Inf guard: notice a diverged run, so that the trainer can fall back to the last
checkpoint whose state was finite instead of saving garbage.

Checking a GPU tensor forces the host to wait for the device, so on a GPU the losses are
checked where the stats reporter already waits -- at each log flush (``log.every`` steps) --
and a divergence is noticed up to ``log.every`` steps late, which costs nothing since the
trainer goes back to a checkpoint anyway. On the CPU there is no such wait and every step is
checked. Before a checkpoint is written the weights themselves are checked, so every
checkpoint on disk is a good one to go back to.

Under fp16 an infinite loss is routine: the gradient scaler skips that step and lowers its
scale. There only the weights are checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import torch


class NonFiniteError(Exception):
    """A loss or weight became NaN or infinite; ``what`` names it, ``where`` says when."""

    def __init__(self, what: str, value: str, where: str) -> None:
        super().__init__(f"non-finite {what} ({value}) {where}")
        self.what, self.value, self.where = what, value, where


def check_losses(values: Mapping[str, torch.Tensor], prefix: str, step: int) -> None:
    """Raise `NonFiniteError` for the first non-finite value (one host sync per value)."""
    for key, value in values.items():
        if not torch.isfinite(value.detach()).all():
            raise NonFiniteError(f"{prefix}/{key}", f"{value.detach().float().mean().item()}",
                                 f"at step {step}")


def check_record(record: Mapping[str, Any], first_step: int, last_step: int) -> None:
    """Check a flushed stats record, whose non-finite means are written as strings."""
    for key, value in record.items():
        if isinstance(value, str) or (isinstance(value, float) and not math.isfinite(value)):
            where = (f"at step {last_step}" if first_step == last_step
                     else f"between steps {first_step} and {last_step}")
            raise NonFiniteError(key, str(value), where)


def check_weights(named_modules: Mapping[str, torch.nn.Module], step: int) -> None:
    """Check every parameter and buffer with one host sync per module."""
    for model_name, module in named_modules.items():
        tensors: Iterable[torch.Tensor] = [*module.parameters(), *module.buffers()]
        flags = [torch.isfinite(t).all() for t in tensors if t.is_floating_point()]
        if flags and not torch.stack(flags).all():
            raise NonFiniteError(f"{model_name} weights", "nan or inf", f"at step {step}")
