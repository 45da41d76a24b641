"""Seconds per training step (critic step, generator step) of a recipe on this machine.

    python benchmarks/train_step.py configs/mnist_wgan_gp.yaml --steps 10 [--set model.g_width=64]
    python benchmarks/train_step.py configs/celeba64_dcgan.yaml --no-data   # CelebA not here

Runs the recipe's method (its phases on its networks, each phase updating only its own network,
as the trainer does) on random images of the recipe's shape, with labels drawn from the recipe's
dataset: a conditional recipe's networks (ACGAN, a digit-conditional DDPM) take labels of the
data's kind, so the dataset must be there (MNIST falls back to the offline sample with
``--set data.download=false``). ``--no-data`` times an unconditional recipe without its data, on
unlabelled images of its size and channels; a method that needs labels refuses it. No files are
written.
"""

from __future__ import annotations

import argparse
import time

import torch

from facegan.conditions import drawn_labels
from facegan.config import load_config
from facegan.data.base import build_dataset
from facegan.datainfo import DataInfo
from facegan.methods.base import Batch, StepContext, build_method
from facegan.randomness import BatchRandom


def phase_seconds(cfg, info: DataInfo, labels: torch.Tensor,
                  steps: int = 10) -> dict[str, tuple[float, int]]:
    """Mean seconds of each phase of ``cfg``'s method on random images of ``info``'s shape with
    ``labels`` (a batch of the data's: ``(N,)`` classes, ``(N, L)`` or ``(N, E)``, -1 for none),
    and how often the phase runs (every k batches)."""
    method = build_method(cfg, info)
    networks = method.build_networks()
    method.check(networks)
    n = len(labels)
    batch = Batch(torch.rand(n, info.channels, info.image_size, info.image_size) * 2 - 1, labels)
    rng = BatchRandom.seeded(0)
    optimizers = {name: torch.optim.Adam(networks[name].parameters(), lr=spec.lr,
                                         betas=spec.betas)
                  for name, spec in method.optimizers().items()}
    seconds = {}
    for phase in method.phases:
        for name, module in networks.items():  # no gradients for the networks not updated
            module.requires_grad_(name == phase.updates)
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
    parser.add_argument("--no-data", action="store_true",
                        help="unlabelled random images instead of reading the recipe's dataset")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override (repeatable)")
    args = parser.parse_args()

    cfg = load_config(args.config, args.overrides)
    n = cfg.train.batch_size
    if args.no_data:
        # MNIST's data section has no channels: its digits are grey
        info = DataInfo(cfg.data.display_name, cfg.data.image_size,
                        getattr(cfg.data, "channels", 1))
        labels = torch.full((n,), -1)
    else:
        dataset = build_dataset(cfg.data)
        info, labels = dataset.info, drawn_labels(dataset, n, seed=0)
    described = f"{info.num_labels} {info.label_kind} labels" if info.num_labels else "no labels"
    print(f"{args.config}: {info.image_size} px, {info.channels} channel(s), {described}, batch "
          f"{n}, {torch.get_num_threads()} threads")
    for name, (mean, every) in phase_seconds(cfg, info, labels, args.steps).items():
        print(f"  {name:<14} {mean:.3f} s/step  (runs every {every} batch(es))")


if __name__ == "__main__":
    main()
