"""One stats reporter that feeds every sink: metrics.jsonl always, TensorBoard when enabled.

Values are accumulated as tensors between flushes (no device sync per step) and written as
means, one JSON line per flush with the counters.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

import torch

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
    """Read metrics.jsonl; a torn last line (a crash mid-write) is ignored."""
    records = []
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def truncate_metrics(path: Path, last_step: int) -> None:
    """Drop lines logged after ``last_step`` (work lost since the checkpoint is redone)."""
    if not path.is_file():
        return
    kept = [r for r in read_metrics(path) if r.get("step", 0) <= last_step]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
    tmp.replace(path)
