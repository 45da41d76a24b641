"""Wall time of the pictures the trainer draws at the end of every epoch: the loss curves
(``plot_losses``) and the weight and gradient histograms (``plot_weight_histograms``).

    python benchmarks/epoch_artifacts.py [--config configs/mnist_wgan_gp.yaml] [--lines 400]
                                         [--repeats 5] [--out DIR]

The networks are the recipe's (MNIST: 32 px, one channel, ten digit classes), with a random
gradient on every parameter as the last step of an epoch leaves one. metrics.jsonl is
synthetic: ``--lines`` lines logged every 20 steps of 64 images, with the counters and the
WGAN-GP recipe's four values, epochs of 5,000 images (the offline MNIST sample). Prints the
first call (fonts and caches warm up once per process) and the median wall and CPU time of
``--repeats`` calls after it. Other processes on the machine slow it down; torch's thread pool
most of all.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import torch

from facegan.config import load_config
from facegan.datainfo import DataInfo
from facegan.models.base import build_models
from facegan.viz.histograms import plot_weight_histograms
from facegan.viz.plots import plot_losses

BATCH, EVERY, EPOCH_IMAGES = 64, 20, 5000


def write_metrics(path: Path, lines: int, seed: int = 0) -> None:
    """``lines`` metrics.jsonl records shaped like a WGAN-GP run's."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(lines, 4, generator=g).tolist()
    with path.open("w") as f:
        for i in range(lines):
            step = EVERY * (i + 1)
            images = step * BATCH
            decay = math.exp(-i / (lines / 4))
            wd = 8 * decay + 0.5 + 0.3 * noise[i][0]
            f.write(json.dumps({
                "step": step, "epoch": images // EPOCH_IMAGES + 1, "images_seen": images,
                "time": round(0.4 * step, 3),
                "discriminator/loss": -wd + 10 * 0.05 * abs(noise[i][1]),
                "generator/loss": 3 * decay + 0.4 * noise[i][2],
                "discriminator/wasserstein_distance": wd,
                "discriminator/gradient_penalty": 0.05 * abs(noise[i][3]) + 0.2 * decay,
            }) + "\n")


def recipe_models(config: Path) -> dict[str, torch.nn.Module]:
    cfg = load_config(config)
    info = DataInfo("MNIST", 32, 1, tuple(str(i) for i in range(10)), "class")
    torch.manual_seed(0)
    models = build_models(cfg.model, info)._asdict()
    for module in models.values():
        for param in module.parameters():
            param.grad = torch.randn_like(param) * 1e-3
    return models


def timed(call, repeats: int) -> tuple[float, float, float]:
    """(first call, median wall time and median process CPU time of the ``repeats`` calls
    after it) in seconds. CPU time counts every thread of this process."""
    walls, cpus = [], []
    for _ in range(repeats + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls[0], statistics.median(walls[1:]), statistics.median(cpus[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/mnist_wgan_gp.yaml"))
    parser.add_argument("--lines", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="keep the pictures here (default: a temp dir)")
    args = parser.parse_args()

    models = recipe_models(args.config)
    tensors = sum(1 for m in models.values() for n, p in m.named_parameters()
                  if n.endswith("weight") and p.dim() > 1)
    values = sum(p.numel() for m in models.values() for p in m.parameters())
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        run = out / "run"
        run.mkdir(parents=True, exist_ok=True)
        write_metrics(run / "metrics.jsonl", args.lines)
        print(f"{args.lines} metrics lines; {tensors} weight tensors, {values:,} parameters "
              f"(weights and gradients drawn)")
        for name, call in [
            ("plot_losses", lambda: plot_losses(run / "metrics.jsonl", out / "losses.png")),
            ("plot_weight_histograms",
             lambda: plot_weight_histograms(models, out / "histograms.png", title="epoch 1")),
        ]:
            first, wall, cpu = timed(call, args.repeats)
            print(f"{name:24s} first {first:6.3f} s   median of {args.repeats}: "
                  f"wall {wall:6.3f} s, cpu {cpu:6.3f} s")


if __name__ == "__main__":
    main()
