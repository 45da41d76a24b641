"""Where a pipeline keeps its files inside the run directory, and its event log.

``<run>/pipeline/``::

    events.jsonl      one line per event: start, settings changes (with the cycle they took
                      effect in), refused changes, each cycle attempt, stop
    pipeline.yaml     the stages in force
    cycle_NNN.log     stdout and stderr of the cycle that trains epoch NNN (all attempts)
    cycle_NNN.json    the finished cycle's counters and timings
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facegan.training.stats import read_metrics


@dataclass(frozen=True)
class PipelineFiles:
    run_path: Path

    @property
    def folder(self) -> Path:
        return self.run_path / "pipeline"

    @property
    def events(self) -> Path:
        return self.folder / "events.jsonl"

    @property
    def stages_in_force(self) -> Path:
        return self.folder / "pipeline.yaml"

    def log(self, cycle: int) -> Path:
        return self.folder / f"cycle_{cycle:03d}.log"

    def cycle_result(self, cycle: int) -> Path:
        return self.folder / f"cycle_{cycle:03d}.json"

    def append_event(self, event: str, **fields: Any) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"event": event, "time": round(time.time(), 3), **fields}
        with self.events.open("a") as file:
            file.write(json.dumps(record) + "\n")

    def read_events(self) -> list[dict[str, Any]]:
        return read_metrics(self.events)  # the same tolerant JSON-lines reader
