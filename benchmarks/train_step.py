"""Seconds per training step (critic step, generator step) of a recipe on this machine.

    python benchmarks/train_step.py configs/mnist_wgan_gp.yaml --steps 10 [--set model.g_width=64]

Runs the recipe's method (its phases on its networks) on random data of the recipe's shape; no
files are written.
"""

from __future__ import annotations

import argparse
import time

import torch

from facegan.config import load_config
from facegan.datainfo import DataInfo
from facegan.methods import Batch, StepContext, build_method
from facegan.randomness import BatchRandom


def phase_seconds(cfg, steps: int = 10, channels: int | None = None
                  ) -> dict[str, tuple[float, int]]:
    """Mean seconds of each phase of ``cfg``'s method on random data of its shape, and how
    often the phase runs (every k batches)."""
    channels = channels or (1 if cfg.data.name == "mnist" else 3)
    info = DataInfo("bench", cfg.data.image_size, channels)
    method = build_method(cfg, info)
    networks = method.build_networks()
    n = cfg.train.batch_size
    batch = Batch(torch.rand(n, channels, info.image_size, info.image_size) * 2 - 1,
                  torch.zeros(n, dtype=torch.long))
    rng = BatchRandom.seeded(0)
    optimizers = {name: torch.optim.Adam(networks[name].parameters(), lr=spec.lr,
                                         betas=spec.betas)
                  for name, spec in method.optimizers().items()}
    seconds = {}
    for phase in method.phases:
        timings = []
        for step in range(steps + 1):
            start = time.perf_counter()
            optimizers[phase.updates].zero_grad(set_to_none=True)
            method.compute(phase, networks, batch, StepContext(rng))["loss"].backward()
            optimizers[phase.updates].step()
            if step:  # the first step warms up the allocator and kernels
                timings.append(time.perf_counter() - start)
        seconds[phase.name] = (sum(timings) / len(timings), phase.every)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--channels", type=int, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()

    cfg = load_config(args.config, args.overrides)
    print(f"{args.config}: {cfg.data.image_size} px, batch {cfg.train.batch_size}, "
          f"{torch.get_num_threads()} threads")
    for name, (mean, every) in phase_seconds(cfg, args.steps, args.channels).items():
        print(f"  {name:<14} {mean:.3f} s/step  (runs every {every} batch(es))")


if __name__ == "__main__":
    main()
