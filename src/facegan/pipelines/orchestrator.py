"""The pipeline loop: before every cycle re-read the files, decide the settings in force, run
the cycle in a fresh process, retry a crash from the last checkpoint, stop when done.

A cycle trains epoch N (cycle N). Progress lives in the run itself (its newest checkpoint), so
running the same command again continues where a stopped or failed pipeline left off.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

import facegan
from facegan.config import apply_overrides, config_from_dict, read_yaml
from facegan.errors import FaceganError
from facegan.pipelines.cycle import EXIT_STOPPED, EXIT_USER_ERROR, newest_epoch
from facegan.pipelines.files import PipelineFiles
from facegan.pipelines.spec import find_pipeline_file, load_pipeline, pipeline_from_dict
from facegan.pipelines.stages import check_stage
from facegan.runs import RunDir, atomic_write_text
from facegan.training.stats import read_metrics

log = logging.getLogger("facegan.pipeline")

# Changing these would not fit the checkpoint (or would train another run): refused mid-run.
FROZEN_SECTIONS = ("model", "objective")
FROZEN_KEYS = ("data.name", "data.image_size", "run.name", "run.root")
# The trainer writes the cycle's own epoch here; the pipeline's target is compared separately.
IGNORED_KEYS = ("train.epochs",)


@dataclass(frozen=True)
class Settings:
    """A validated run config and pipeline, as plain dicts (what is compared and logged)."""

    config: dict[str, Any]
    pipeline: dict[str, Any]

    def flat(self) -> dict[str, Any]:
        flat = _flatten(self.config)
        flat.update(_flatten({"stages": self.pipeline["stages"]}, depth=1))
        flat["retries"] = self.pipeline["retries"]
        return {k: v for k, v in flat.items() if k not in IGNORED_KEYS}


@dataclass(frozen=True)
class PipelineResult:
    status: Literal["finished", "stopped", "failed"]
    run_dir: Path
    epoch: int  # epochs completed
    message: str
    log: Path | None = None  # the failing cycle's log


def _flatten(tree: dict[str, Any], prefix: str = "", depth: int | None = None) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth != 0:
            flat.update(_flatten(value, f"{name}.", None if depth is None else depth - 1))
        else:
            flat[name] = value
    return flat


def read_settings(config_path: Path, overrides: tuple[str, ...],
                  pipeline_path: Path | None) -> Settings:
    """Read and validate both files now (raises FaceganError naming the problem)."""
    config = config_from_dict(apply_overrides(read_yaml(config_path), overrides))
    pipeline = load_pipeline(pipeline_path)
    stages = pipeline.stages
    for stage in (*stages.prepare, *stages.init, stages.epoch, *stages.post_epoch):
        check_stage(stage)
    return Settings(config.to_dict(), pipeline.to_dict())


def settings_of_run(run: RunDir) -> Settings | None:
    """The settings a run was last trained with, or None before its first checkpoint."""
    if newest_epoch(run) is None:
        return None
    files = PipelineFiles(run.path)
    pipeline = (pipeline_from_dict(read_yaml(files.stages_in_force))
                if files.stages_in_force.is_file() else load_pipeline(None))
    config = config_from_dict(read_yaml(run.config_file))
    return Settings(config.to_dict(), pipeline.to_dict())


def architecture_change(old: Settings, new: Settings) -> str | None:
    """A one-line reason why ``new`` cannot continue ``old``'s checkpoint, or None."""
    before, after = old.flat(), new.flat()
    for key in sorted(set(before) | set(after)):
        section = key.split(".")[0]
        if (section in FROZEN_SECTIONS or key in FROZEN_KEYS) and before.get(key) != after.get(key):
            return (f"{key} changed from {before.get(key)!r} to {after.get(key)!r}; the "
                    f"checkpoint's architecture and run directory are fixed, so the previous "
                    f"settings stay in force (start a new run with another run.name to change it)")
    return None


def changes(old: Settings, new: Settings) -> dict[str, list[Any]]:
    before, after = old.flat(), new.flat()
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)}


class Pipeline:
    """Runs a config as epoch cycles; see `run_pipeline`."""

    def __init__(self, config_path: Path, *, overrides: tuple[str, ...] = (),
                 pipeline_path: Path | None = None, epochs: int | None = None,
                 nproc_per_node: int = 1) -> None:
        self.config_path = Path(config_path)
        self.nproc_per_node = nproc_per_node  # > 1: each cycle is a torchrun job
        self.overrides = tuple(overrides)
        self.pipeline_path = find_pipeline_file(self.config_path, pipeline_path)
        self.epochs = epochs
        desired = read_settings(self.config_path, self.overrides, self.pipeline_path)
        self.run = RunDir.for_config(config_from_dict(desired.config))
        self.files = PipelineFiles(self.run.path)
        self.in_force = settings_of_run(self.run) or desired
        # train.epochs in the run's config.yaml is the last cycle's epoch; the target is the file's
        self.target = desired.config["train"]["epochs"]
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._refused: str | None = None
        self._stop_signal: int | None = None
        self._child: subprocess.Popen | None = None

    # -- events ------------------------------------------------------------------------------

    def _emit(self, event: str, **fields: Any) -> None:
        """Append to events.jsonl; events before the run exists wait until it does."""
        self._pending.append((event, fields))
        self._flush_events()

    def _flush_events(self) -> None:
        if self.run.path.is_dir():
            for event, fields in self._pending:
                self.files.append_event(event, **fields)
            self._pending.clear()

    # -- settings ----------------------------------------------------------------------------

    def final_epoch(self) -> int:
        return self.epochs if self.epochs is not None else self.target

    def refresh(self, cycle: int) -> str | None:
        """Re-read both files; apply a valid change, refuse (logged once per content) anything
        else. Returns the reason for a refusal, or None."""
        try:
            desired = read_settings(self.config_path, self.overrides, self.pipeline_path)
            reason = architecture_change(self.in_force, desired)
        except FaceganError as exc:
            desired, reason = None, str(exc)
        if reason is not None:
            key = reason if desired is None else json.dumps(desired.flat(), sort_keys=True)
            if key != self._refused:
                self._refused = key
                log.warning("cycle %d: change refused: %s", cycle, reason)
                self._emit("refused", cycle=cycle, reason=reason)
            return reason
        self._refused = None
        diff = changes(self.in_force, desired)
        target = desired.config["train"]["epochs"]  # the target, unless --epochs fixes it
        if self.epochs is None and target != self.target:
            diff["train.epochs"] = [self.target, target]
            self.target = target
        if diff:
            log.info("cycle %d: settings changed: %s", cycle,
                     ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in diff.items()))
            self._emit("settings", cycle=cycle, changes=diff)
        self.in_force = desired
        return None

    # -- the loop ----------------------------------------------------------------------------

    def run_cycles(self) -> PipelineResult:
        running = running_pid(self.files.read_events())
        if running is not None:
            raise FaceganError(f"a pipeline is already running on {self.run.path} (pid "
                               f"{running}); stop it first, or watch it with facegan pipeline "
                               f"status {self.run.path}")
        self._emit("start", pid=os.getpid(), config=str(self.config_path),
                   pipeline=str(self.pipeline_path) if self.pipeline_path else None,
                   overrides=list(self.overrides), epochs=self.epochs)
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            result = self._loop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self._emit("stop", status=result.status, epoch=result.epoch, message=result.message,
                   log=str(result.log) if result.log else None)
        return result

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._stop_signal = signum
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signum)  # the cycle saves a checkpoint and exits

    def _loop(self) -> PipelineResult:
        attempt, last_cycle = 0, None
        while True:
            cycle = self._next_cycle()
            done = cycle - 1
            self.refresh(cycle)
            final = self.final_epoch()
            if done >= final:
                return self._result("finished", done, f"{done} epochs done")
            if self._stop_signal is not None:
                return self._stopped(done)
            attempt = attempt + 1 if cycle == last_cycle else 1
            last_cycle = cycle
            code, seconds, cpu, log_path = self._spawn(cycle, attempt, final)
            outcome = {0: "done", EXIT_USER_ERROR: "error", EXIT_STOPPED: "stopped"}.get(
                code, "crashed")
            self._emit("cycle", cycle=cycle, attempt=attempt, outcome=outcome, returncode=code,
                       seconds=round(seconds, 3), cpu_seconds=round(cpu, 3), final_epoch=final)
            if outcome == "done":
                result = json.loads(self.files.cycle_result(cycle).read_text())
                if result["budget_spent"]:
                    return self._result("finished", result["epoch"],
                                        f"train.max_images reached after {result['epoch']} "
                                        "epochs")
                self._report(cycle, final, seconds)
                continue
            if outcome == "stopped" or self._stop_signal is not None:
                return self._stopped(done)
            if outcome == "error":
                return self._result("failed", done, f"cycle {cycle}: {_last_error(log_path)}",
                                    log_path)
            retries = self.in_force.pipeline["retries"]
            if attempt > retries:
                return self._result(
                    "failed", done, f"cycle {cycle} crashed {attempt} times; see {log_path}; "
                    "fix the cause and run the same command again to continue", log_path)
            log.warning("cycle %d crashed (exit %d); retrying from the last checkpoint "
                        "(%d of %d retries)", cycle, code, attempt, retries)

    def _next_cycle(self) -> int:
        """The cycle to run: after the newest checkpoint's epoch, or that epoch again when its
        cycle saved the checkpoint but did not finish its post-epoch stages."""
        epoch = (newest_epoch(self.run) or {}).get("epoch", 0)
        attempted = any(e["event"] == "cycle" and e["cycle"] == epoch
                        for e in self.files.read_events())
        if epoch >= 1 and attempted and not self.files.cycle_result(epoch).is_file():
            return epoch
        return epoch + 1

    def _stopped(self, done: int) -> PipelineResult:
        return self._result("stopped", done, f"stopped after epoch {done}; run the same command "
                            "again to continue")

    def _result(self, status: str, epoch: int, message: str,
                log_path: Path | None = None) -> PipelineResult:
        return PipelineResult(status, self.run.path, epoch, message, log_path)  # type: ignore

    def _spawn(self, cycle: int, attempt: int, final: int) -> tuple[int, float, float, Path]:
        """Run one cycle process; its output goes to cycle_NNN.log (beside the run until the
        first cycle has created it)."""
        config = {**self.in_force.config,
                  "train": {**self.in_force.config["train"], "epochs": cycle}}
        spec = {"cycle": cycle, "final_epoch": final, "config": config,
                "pipeline": self.in_force.pipeline}
        inside = self.run.path.is_dir()
        log_path = (self.files.log(cycle) if inside
                    else self.run.path.with_name(f"{self.run.path.name}.cycle_{cycle:03d}.log"))
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if inside:
            self._write_stages_in_force()
        env = dict(os.environ)
        # The cycle must run this very facegan, not another installed copy.
        source = str(Path(facegan.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
        started, used = time.perf_counter(), _children_cpu()
        with log_path.open("a") as out, tempfile.TemporaryDirectory() as scratch:
            out.write(f"=== cycle {cycle} (epoch {cycle}/{final}), attempt {attempt}, "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S')} ===\n")
            out.flush()
            spec["spawned_at"] = time.time()
            command = [sys.executable, "-m", "facegan.pipelines"]
            status = Path(scratch) / "status"
            if self.nproc_per_node > 1:  # the spec in a file every process reads; the main
                # process's exit status in another (torchrun's own is 1 for any failure)
                (Path(scratch) / "spec.json").write_text(json.dumps(spec))
                command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                           f"--nproc_per_node={self.nproc_per_node}", "-m",
                           "facegan.pipelines", "--spec", str(Path(scratch) / "spec.json"),
                           "--status", str(status)]
            alone = self.nproc_per_node == 1
            self._child = subprocess.Popen(
                command, stdin=subprocess.PIPE if alone else subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, env=env, start_new_session=True)
            self._child.communicate(json.dumps(spec).encode() if alone else None)
            code = self._child.returncode
            if code != 0 and status.is_file():
                code = int(status.read_text())
            self._child = None
        seconds, cpu = time.perf_counter() - started, _children_cpu() - used
        if not inside and self.run.path.is_dir():
            self.files.folder.mkdir(exist_ok=True)
            log_path = log_path.replace(self.files.log(cycle))
            self._write_stages_in_force()
        self._flush_events()
        return code, seconds, cpu, log_path

    def _write_stages_in_force(self) -> None:
        self.files.folder.mkdir(exist_ok=True)
        atomic_write_text(self.files.stages_in_force,
                          yaml.safe_dump(self.in_force.pipeline, sort_keys=False))

    def _report(self, cycle: int, final: int, seconds: float) -> None:
        records = read_metrics(self.run.metrics_file)
        losses = {k.rpartition("/")[0][:1].upper() + "/" + k.rpartition("/")[2]: v
                  for k, v in (records[-1] if records else {}).items()
                  if k.endswith("/loss") and isinstance(v, float)}
        remaining = (final - cycle) * seconds
        log.info("epoch %d/%d done in %.1f s (%s); about %s left", cycle, final, seconds,
                 ", ".join(f"{k}={v:.3g}" for k, v in losses.items()), format_seconds(remaining))


def running_pid(events: list[dict[str, Any]]) -> int | None:
    """The pid of the orchestrator that started last, if it is still running."""
    starts = [i for i, e in enumerate(events) if e["event"] == "start"]
    if not starts or any(e["event"] == "stop" for e in events[starts[-1]:]):
        return None
    pid = events[starts[-1]]["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _last_error(log_path: Path) -> str:
    lines = [line for line in log_path.read_text().splitlines() if line.startswith("error: ")]
    return lines[-1].removeprefix("error: ") if lines else f"failed; see {log_path}"


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def run_pipeline(config_path: Path, *, overrides: tuple[str, ...] = (),
                 pipeline_path: Path | None = None, epochs: int | None = None,
                 nproc_per_node: int = 1) -> PipelineResult:
    """Train ``config_path`` as one-epoch cycles until ``epochs`` (default ``train.epochs``),
    each cycle a torchrun job of ``nproc_per_node`` processes when that is above 1."""
    if epochs is not None and epochs < 1:
        raise FaceganError(f"--epochs must be at least 1 (got {epochs})")
    if nproc_per_node < 1:
        raise FaceganError(f"--nproc-per-node must be at least 1 (got {nproc_per_node})")
    pipeline = Pipeline(config_path, overrides=overrides, pipeline_path=pipeline_path,
                        epochs=epochs, nproc_per_node=nproc_per_node)
    return pipeline.run_cycles()
