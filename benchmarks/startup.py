"""Wall time of the commands a user waits on before any work starts: ``facegan --help``,
``train --dry-run``, ``generate RUN -n 1`` and what one pipeline cycle costs beyond its epoch.

    python benchmarks/startup.py                 # targets: --dry-run < 3 s, generate -n 1 < 5 s
    python benchmarks/startup.py --repeat 1 --skip-pipeline   # the quick smoke run

Each command runs ``--repeat`` times as a fresh process (the median is printed; the first run
also warms the OS file cache). ``generate`` and the pipeline cycle use a tiny MNIST run trained
here first, in a temporary directory, on the offline digits. Measure on a quiet machine:
imports are CPU-bound and a second busy process doubles them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "configs" / "mnist_wgan_gp.yaml"
TINY = ["data.download=false", "data.limit=64", "model.g_width=8", "model.d_width=8",
        "model.latent_dim=16", "train.batch_size=8", "train.epochs=1", "log.num_samples=4",
        "log.histograms=false", "log.tensorboard=false", "train.max_images=null"]
TARGETS = {"train --dry-run": 3.0, "generate -n 1": 5.0}


def facegan(*args: str, cwd: Path) -> float:
    """Seconds one ``facegan`` process takes, start to exit."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "facegan", *args], cwd=cwd,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"facegan {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds


def sets(overrides: list[str]) -> list[str]:
    return [item for value in overrides for item in ("--set", value)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pipeline", action="store_true",
                        help="leave out the pipeline cycle (two more processes)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_set = sets([*TINY, f"run.root={root / 'models'}"])
        commands = {
            "--help": ["--help"],
            "train --dry-run": ["train", str(RECIPE), "--dry-run", *run_set],
            "generate -n 1": None,  # after the tiny run exists
        }
        facegan("train", str(RECIPE), "--no-progress", *run_set, cwd=root)
        run = root / "models" / "MNIST" / "WGAN_GP"
        commands["generate -n 1"] = ["generate", str(run), "-n", "1", "--grid",
                                     str(root / "one.png")]
        print(f"{'command':<18} {'median s':>9} {'runs':>22}  target")
        for name, command in commands.items():
            times = [facegan(*command, cwd=root) for _ in range(args.repeat)]
            target = f"< {TARGETS[name]:.0f} s" if name in TARGETS else ""
            runs = " ".join(f"{t:.2f}" for t in times)
            print(f"{name:<18} {statistics.median(times):>9.2f} {runs:>22}  {target}")
        if not args.skip_pipeline:
            cycle(root)


def cycle(root: Path) -> None:
    """A 2-epoch pipeline: the second cycle's own timings (startup = process start and imports,
    load = dataset and checkpoint) are its cost beyond the epoch."""
    settings = sets([*TINY, "train.epochs=2", f"run.root={root / 'pipe'}", "run.name=P"])
    facegan("pipeline", str(RECIPE), "--epochs", "2", *settings, cwd=root)
    timing = json.loads((root / "pipe" / "MNIST" / "P" / "pipeline" / "cycle_002.json")
                        .read_text())
    seconds = timing["seconds"]
    print(f"pipeline cycle 2: startup {seconds['startup']:.2f} s, load {seconds['load']:.2f} s, "
          f"train {seconds['train']:.2f} s, post {seconds['post']:.2f} s "
          f"(overhead beyond the epoch: {seconds['startup'] + seconds['load']:.2f} s)")


if __name__ == "__main__":
    main()
