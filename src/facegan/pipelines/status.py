"""``facegan pipeline status RUN``: cycles done, settings in force, recent metrics and ETA,
read from the run's files only (it works while a pipeline runs, and after)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from facegan.errors import FaceganError
from facegan.pipelines.files import PipelineFiles
from facegan.pipelines.orchestrator import format_seconds, running_pid
from facegan.training.stats import read_metrics

SHOWN_SETTINGS = ("batch_size", "num_critic_steps", "g_lr", "d_lr", "g_betas", "d_betas")


@dataclass(frozen=True)
class PipelineStatus:
    run_dir: Path
    state: str  # running (pid N), stopped, failed, finished
    epochs_done: int
    final_epoch: int | None
    attempts_failed: int
    cycle_seconds: float | None  # median wall time of a finished cycle
    train: dict[str, Any]
    stages: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)  # settings/refused events
    recent: list[dict[str, Any]] = field(default_factory=list)  # last metrics line per epoch
    message: str = ""

    @property
    def eta_seconds(self) -> float | None:
        if self.cycle_seconds is None or self.final_epoch is None:
            return None
        return max(self.final_epoch - self.epochs_done, 0) * self.cycle_seconds


def read_status(run_dir: Path, recent_epochs: int = 3) -> PipelineStatus:
    files = PipelineFiles(Path(run_dir))
    events = files.read_events()
    if not events:
        raise FaceganError(f"{run_dir} has no pipeline/events.jsonl; pass the run directory "
                           "of a pipeline, e.g. models/MNIST/WGAN_GP")
    starts = [i for i, e in enumerate(events) if e["event"] == "start"]
    last_start = starts[-1] if starts else 0
    stop = next((e for e in events[last_start:] if e["event"] == "stop"), None)
    pid = running_pid(events)
    if stop is not None:
        state, message = stop["status"], stop["message"]
    elif pid is not None:
        state, message = f"running (pid {pid})", ""
    else:
        state, message = "stopped", "the orchestrator exited without a stop record"
    cycles = [e for e in events if e["event"] == "cycle"]
    done = [e["seconds"] for e in cycles if e["outcome"] == "done"]
    metrics = read_metrics(files.run_path / "metrics.jsonl")
    by_epoch: dict[int, dict[str, Any]] = {}
    for record in metrics:
        by_epoch[record.get("epoch", 0)] = record
    config = yaml.safe_load((files.run_path / "config.yaml").read_text())
    stages = (yaml.safe_load(files.stages_in_force.read_text())
              if files.stages_in_force.is_file() else {})
    epochs_done = max((e["cycle"] for e in cycles if e["outcome"] == "done"), default=0)
    return PipelineStatus(
        run_dir=files.run_path, state=state, epochs_done=epochs_done,
        final_epoch=cycles[-1]["final_epoch"] if cycles else None,
        attempts_failed=sum(e["outcome"] != "done" for e in cycles),
        cycle_seconds=statistics.median(done) if done else None,
        train={k: config["train"][k] for k in SHOWN_SETTINGS if k in config["train"]},
        stages=stages,
        history=[e for e in events if e["event"] in ("settings", "refused")],
        recent=[by_epoch[k] for k in sorted(by_epoch)[-recent_epochs:]],
        message=message)


def _stage_names(stages: list[dict[str, Any]] | dict[str, Any]) -> str:
    items = stages if isinstance(stages, list) else [stages]
    return ", ".join(s["use"] + (f" (every {s['every']})" if s.get("every", 1) > 1 else "")
                     for s in items) or "-"


def format_status(status: PipelineStatus) -> str:
    final = status.final_epoch if status.final_epoch is not None else "?"
    lines = [f"run        {status.run_dir}",
             f"state      {status.state}" + (f": {status.message}" if status.message else ""),
             f"epochs     {status.epochs_done}/{final} done"
             + (f", {status.attempts_failed} failed attempts" if status.attempts_failed else "")]
    if status.cycle_seconds is not None:
        eta = status.eta_seconds
        lines.append(f"cycle      {status.cycle_seconds:.1f} s (median)"
                     + (f", about {format_seconds(eta)} left" if eta else ""))
    lines.append("train      " + ", ".join(f"{k}={v}" for k, v in status.train.items()))
    for slot, stages in status.stages.get("stages", {}).items():
        lines.append(f"{slot:<10} {_stage_names(stages)}")
    for event in status.history[-5:]:
        if event["event"] == "settings":
            what = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in event["changes"].items())
            lines.append(f"changed    at cycle {event['cycle']}: {what}")
        else:
            lines.append(f"refused    at cycle {event['cycle']}: {event['reason']}")
    for record in status.recent:
        values = ", ".join(f"{k}={v:.4g}" for k, v in record.items()
                           if "/" in k and isinstance(v, float))
        lines.append(f"epoch {record.get('epoch', '?'):<4} {values}")
    return "\n".join(lines)
