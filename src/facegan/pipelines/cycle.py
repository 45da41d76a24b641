"""One epoch cycle, run as its own process: ``python -m facegan.pipelines < spec.json``, or as
a torchrun job: ``torchrun ... -m facegan.pipelines --spec spec.json --status F``.

The orchestrator writes the cycle's spec (the settings in force) as JSON on stdin, or in the
``--spec`` file that every process of a torchrun job reads. Under torchrun the main process
alone runs the prepare and post-epoch stages and writes the cycle's files (and its exit status
in ``--status``); every process trains, and runs the init stages, after which the main
process's weights are given to all. The process
loads the newest checkpoint (or, on the first cycle of a new run, runs the prepare and init
stages and creates the run), trains one epoch, saves, runs the post-epoch stages, writes
``pipeline/cycle_NNN.json`` (counters and timings) and exits.

Exit status: 0 done, 2 a user mistake (`FaceganError`, not retried), 130 stopped by Ctrl+C or
SIGTERM (the checkpoint is saved), anything else a crash (retried by the orchestrator).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import facegan.training.trainer  # noqa: F401  (imported here so the startup time includes it)
from facegan.config import config_from_dict
from facegan.errors import FaceganError
from facegan.pipelines.files import PipelineFiles
from facegan.pipelines.spec import StageSpec, pipeline_from_dict
from facegan.pipelines.stages import CycleContext, CycleStopped, resolve_stage, stage_options
from facegan.runs import RunDir, atomic_write_text
from facegan.training.checkpoint import list_checkpoints
from facegan.training.distributed import DistributedInfo

EXIT_USER_ERROR = 2
EXIT_STOPPED = 130

log = logging.getLogger("facegan.pipeline")


def run_stage(spec: StageSpec, context: CycleContext) -> None:
    log.info("cycle %d: stage %s", context.cycle, spec.use)
    resolve_stage(spec)(context, **stage_options(spec))


def newest_epoch(run: RunDir) -> dict[str, Any] | None:
    checkpoints = list_checkpoints(run.saved_models)
    if not checkpoints:
        return None
    return json.loads((checkpoints[-1] / "checkpoint.json").read_text())


def run_cycle(spec: dict[str, Any]) -> None:
    # Wall seconds and CPU seconds of each part (the machine may be shared: CPU shows the work)
    seconds = {"startup": time.time() - spec["spawned_at"]}
    cpu = {"startup": time.process_time()}
    config = config_from_dict(spec["config"])
    pipeline = pipeline_from_dict(spec["pipeline"])
    run = RunDir.for_config(config)
    context = CycleContext(config=config, run=run, cycle=spec["cycle"],
                           final_epoch=spec["final_epoch"])
    main_process = DistributedInfo.from_env().is_main
    fresh = newest_epoch(run) is None
    created_here = fresh and not run.exists() and main_process
    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        if fresh:
            for stage in pipeline.stages.prepare if main_process else ():
                run_stage(stage, context)
            if pipeline.stages.init:
                trainer = context.trainer  # build the fresh models the init stages change
                for stage in pipeline.stages.init:
                    run_stage(stage, context)
                for module in trainer.networks.values():
                    trainer.group.broadcast_module(module)
        run_stage(pipeline.stages.epoch, context)
    except BaseException:
        if created_here and newest_epoch(run) is None:
            # This process created the run and it holds no checkpoint: nothing to resume from,
            # so a retry starts it afresh.
            shutil.rmtree(run.path, ignore_errors=True)
        raise
    seconds["load"] = context.state.get("load_seconds", 0.0)
    seconds["train"] = time.perf_counter() - started - seconds["load"]
    cpu["load"] = context.state.get("load_cpu_seconds", 0.0)
    cpu["train"] = time.process_time() - started_cpu - cpu["load"]
    if not main_process:
        return
    counters = newest_epoch(run)
    budget = config.train.max_images
    budget_spent = (counters is not None and budget is not None
                    and counters["images_seen"] >= budget and counters["epoch"] < context.cycle)
    if (counters is None or counters["epoch"] < context.cycle) and not budget_spent:
        raise FaceganError(f"the epoch stage {pipeline.stages.epoch.use!r} left no checkpoint "
                           f"of epoch {context.cycle} in {run.saved_models}")
    started, started_cpu = time.perf_counter(), time.process_time()
    if not budget_spent:
        for stage in pipeline.stages.post_epoch:
            if context.cycle % stage.every == 0 or context.cycle == context.final_epoch:
                run_stage(stage, context)
    seconds["post"] = time.perf_counter() - started
    cpu["post"] = time.process_time() - started_cpu
    files = PipelineFiles(run.path)
    files.folder.mkdir(exist_ok=True)
    atomic_write_text(files.cycle_result(context.cycle), json.dumps(
        {"cycle": context.cycle, **counters, "budget_spent": budget_spent,
         "seconds": {k: round(v, 3) for k, v in seconds.items()},
         "cpu_seconds": {k: round(v, 3) for k, v in cpu.items()}}) + "\n")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="facegan: %(message)s", stream=sys.stderr,
                        force=True)
    for noisy in ("matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m facegan.pipelines")
    parser.add_argument("--spec", type=Path, help="the spec file (default: stdin)")
    parser.add_argument("--status", type=Path, help="where the main process writes its exit "
                                                    "status")
    args = parser.parse_args()
    code = run_guarded(args.spec)
    if args.status is not None and DistributedInfo.from_env().is_main:
        args.status.write_text(f"{code}\n")
    return code


def run_guarded(spec_file: Path | None) -> int:
    try:
        text = spec_file.read_text() if spec_file is not None else sys.stdin.read()
        run_cycle(json.loads(text))
    except FaceganError as exc:  # exit status 1 for a lost peer process: retried as a crash
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (CycleStopped, KeyboardInterrupt):
        print("stopped; the checkpoint is saved", file=sys.stderr)
        return EXIT_STOPPED
    return 0
