"""What one pipeline cycle costs beyond the epoch itself: process start, imports, loading the
checkpoint and data, exit. Trains the same recipe N epochs in this process and as N cycles.

    OMP_NUM_THREADS=1 python benchmarks/pipeline_overhead.py configs/mnist_wgan_gp.yaml \\
        --epochs 3 --set data.download=false --set train.max_images=null

Runs go to a temporary directory. Per cycle it prints the child's own timings (startup =
process start + imports, load = building the trainer and loading the checkpoint, train = the
epoch with its end-of-epoch samples, plots and checkpoint save, post = post-epoch stages) and
the rest of the wall time (interpreter exit, process spawn); the overhead is the difference
between the wall time per cycle and per in-process epoch.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import yaml

from facegan.config import apply_overrides, config_from_dict, read_yaml
from facegan.pipelines import run_pipeline
from facegan.training.trainer import Trainer

QUIET = ["log.tensorboard=false", "log.histograms=false", "log.progress=false"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        raw = apply_overrides(read_yaml(args.config),
                              [*args.overrides, *QUIET, f"run.root={tmp}"])
        config = config_from_dict(apply_overrides(raw, ["run.name=in_process",
                                                        f"train.epochs={args.epochs}"]))
        Trainer(config, progress=False)  # warm-up: imports, data decoding, first allocations
        config = config_from_dict(apply_overrides(raw, ["run.name=in_process2",
                                                        f"train.epochs={args.epochs}"]))
        started, started_cpu = time.perf_counter(), time.process_time()
        Trainer(config, progress=False).fit()
        in_process = (time.perf_counter() - started) / args.epochs
        in_process_cpu = (time.process_time() - started_cpu) / args.epochs

        recipe = Path(tmp) / "recipe.yaml"
        recipe.write_text(yaml.safe_dump(apply_overrides(raw, ["run.name=pipeline"])))
        started = time.perf_counter()
        result = run_pipeline(recipe, epochs=args.epochs)
        per_cycle = (time.perf_counter() - started) / args.epochs
        assert result.status == "finished", result.message

        files = result.run_dir / "pipeline"
        cycles = {e["cycle"]: e for e in map(json.loads, (
            files / "events.jsonl").read_text().splitlines()) if e["event"] == "cycle"}
        print(f"{args.config} {' '.join(args.overrides)}: {args.epochs} epochs, "
              f"{config.train.batch_size} per batch; seconds as wall / CPU")
        print("cycle  total         startup       load          train         post   "
              "exit+spawn")
        cpu_per_cycle = 0.0
        for cycle in range(1, args.epochs + 1):
            timing = json.loads((files / f"cycle_{cycle:03d}.json").read_text())
            wall, cpu = timing["seconds"], timing["cpu_seconds"]
            total_wall, total_cpu = cycles[cycle]["seconds"], cycles[cycle]["cpu_seconds"]
            cpu_per_cycle += total_cpu / args.epochs
            parts = "".join(f"{wall[k]:6.2f}/{cpu[k]:<6.2f} " for k in
                            ("startup", "load", "train", "post"))
            print(f"{cycle:<6} {total_wall:6.2f}/{total_cpu:<6.2f} {parts}"
                  f"{total_wall - sum(wall.values()):6.2f}/"
                  f"{total_cpu - sum(cpu.values()):.2f}")
        print(f"in-process epoch {in_process:.2f} s wall / {in_process_cpu:.2f} s CPU; "
              f"pipeline cycle {per_cycle:.2f} s wall / {cpu_per_cycle:.2f} s CPU; overhead "
              f"{per_cycle - in_process:.2f} s wall / {cpu_per_cycle - in_process_cpu:.2f} s CPU "
              "per cycle")

if __name__ == "__main__":
    main()
