"""Benchmark: training images per second with 1, 2, ... processes under torchrun.

    python benchmarks/ddp_scaling.py                                # CPU: 1 and 2 processes
    python benchmarks/ddp_scaling.py --processes 1 2 4 8 --device cuda   # one GPU each

Each count trains the same recipe (default configs/mnist_wgan_gp.yaml on the offline MNIST
sample) for one epoch with ``train.batch_size`` images per process, as ``torchrun --standalone
--nproc_per_node=N -m facegan train``; images/s is read from the run's metrics.jsonl between its
first and last line, so start-up and data loading are not counted. Scaling efficiency is
images/s over N times the one-process figure with a GPU per process; on a CPU the cores are
shared out (each process gets cores/N threads, ``OMP_NUM_THREADS``, so the one-process run uses
all of them too) and the ideal is the one-process figure itself.
Prints, never asserts; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def images_per_second(metrics: Path) -> tuple[float, int]:
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    steps = [r for r in records if "time" in r and "images_seen" in r]
    first, last = steps[0], steps[-1]
    seconds = last["time"] - first["time"]
    return (last["images_seen"] - first["images_seen"]) / seconds, last["step"]


def train(processes: int, args: argparse.Namespace, root: Path) -> tuple[float, int]:
    name = f"p{processes}"
    settings = [f"run.root={root}", f"run.name={name}", "train.epochs=1",
                "train.max_images=null", f"train.batch_size={args.batch_size}",
                f"train.device={args.device}", "log.tensorboard=false", "log.histograms=false",
                "log.every=10", "log.num_samples=16", *args.set]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={processes}", "-m", "facegan", "train", str(args.recipe),
               "--no-progress", *(item for s in settings for item in ("--set", s))]
    env = dict(os.environ)
    if args.device == "cpu":
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // processes))
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{processes} processes failed:\n{result.stdout[-3000:]}"
                         f"{result.stderr[-3000:]}")
    dataset = next((root).glob(f"*/{name}"))
    return images_per_second(dataset / "metrics.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=REPO / "configs" / "mnist_wgan_gp.yaml")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="more config overrides (repeatable)")
    args = parser.parse_args()
    print(f"{args.recipe.name}, batch {args.batch_size} per process, {args.device}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    baseline = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.processes:
            rate, steps = train(n, args, Path(tmp))
            baseline = baseline or (rate, n)
            speedup = rate / baseline[0]
            # the ideal: N times the rate with a GPU each; on a CPU the same cores are shared
            ideal = n / baseline[1] if args.device == "cuda" else 1.0
            print(f"{n} process(es): {rate:8.1f} images/s over {steps} steps, "
                  f"{speedup:.2f}x the first, scaling efficiency {speedup / ideal:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
