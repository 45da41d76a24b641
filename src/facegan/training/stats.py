"""One stats reporter that feeds every sink: metrics.jsonl always, TensorBoard and Weights &
Biases when enabled.

Values are accumulated as tensors between flushes (no device sync per step) and written as
means, one JSON line per flush with the counters.
"""

from __future__ import annotations

import hashlib
import json
import math
import netrc
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

import torch
from torchvision.utils import make_grid

from facegan.errors import FaceganError

COUNTER_KEYS = ("step", "epoch", "images_seen", "time")


class Sink(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class JsonlSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("a")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class TensorBoardSink:
    def __init__(self, log_dir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(log_dir))

    def write(self, record: dict[str, Any]) -> None:
        for key, value in record.items():
            if key not in COUNTER_KEYS:
                self.writer.add_scalar(key, value, record["step"])
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class WandbSink:
    """Weights & Biases: the scalars TensorBoard gets, and each epoch's sample grid and weight and
    gradient histograms (`log_epoch`, called by the ``wandb`` epoch callback).

    Runs offline (files under ``<run>/wandb/``, upload later with ``wandb sync``) unless the
    user is logged in (``WANDB_API_KEY`` or ``wandb login``); ``WANDB_MODE`` overrides. The W&B
    run id is derived from the run directory, so ``--resume`` continues the same W&B run.
    """

    def __init__(self, run_dir: Path, config: dict[str, Any], project: str) -> None:
        try:
            import wandb
        except ImportError:
            raise FaceganError("log.wandb=true needs the wandb package: pip install "
                               "'facegan[wandb]' (or set log.wandb=false)") from None
        self._wandb = wandb
        mode = os.environ.get("WANDB_MODE") or ("online" if wandb_logged_in() else "offline")
        run_id = hashlib.sha1(str(run_dir.resolve()).encode()).hexdigest()[:16]
        self.run = wandb.init(project=project, name=run_dir.name, dir=str(run_dir), id=run_id,
                              resume="allow", config=config, mode=mode)

    def write(self, record: dict[str, Any]) -> None:
        self.run.log({k: v for k, v in record.items() if k != "step"}, step=record["step"])

    def log_epoch(self, step: int, samples: torch.Tensor,
                  histograms: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        """``samples (N, C, H, W)`` in [-1, 1] as one grid, and ``name -> (counts, edges)``
        histograms."""
        grid = make_grid(samples, nrow=math.ceil(math.sqrt(len(samples))), normalize=True,
                         value_range=(-1, 1))
        values: dict[str, Any] = {"samples": self._wandb.Image(grid)}
        for name, (counts, edges) in histograms.items():
            values[name] = self._wandb.Histogram(np_histogram=(counts.numpy(), edges.numpy()))
        self.run.log(values, step=step)

    def close(self) -> None:
        self.run.finish()


def wandb_logged_in() -> bool:
    """An API key in the environment or in ~/.netrc (where ``wandb login`` puts it)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (OSError, netrc.NetrcParseError):
        return False


class StatsReporter:
    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = sinks
        self._values: dict[str, list[torch.Tensor]] = defaultdict(list)
        self.last: dict[str, Any] = {}

    def report(self, name: str, value: torch.Tensor | float) -> None:
        self._values[name].append(torch.as_tensor(value).detach().float().reshape(()))

    def flush(self, **counters: Any) -> dict[str, Any] | None:
        """Write the means since the last flush with ``counters``; None when nothing was
        reported."""
        if not self._values:
            return None
        record = dict(counters)
        for name, values in sorted(self._values.items()):
            mean = torch.stack(values).mean().item()
            record[name] = mean if math.isfinite(mean) else str(mean)
        self._values.clear()
        for sink in self.sinks:
            sink.write(record)
        self.last = record
        return record

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Read metrics.jsonl; a torn last line (a crash mid-write) or any other line that is not
    a JSON record (damaged bytes) is ignored."""
    records = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def truncate_metrics(path: Path, last_step: int) -> None:
    """Drop lines logged after ``last_step`` (work lost since the checkpoint is redone)."""
    if not path.is_file():
        return
    kept = [r for r in read_metrics(path) if r.get("step", 0) <= last_step]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
    tmp.replace(path)
