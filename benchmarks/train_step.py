"""Seconds and GFLOP/s per training step (critic step, generator step) of a recipe here.

    python benchmarks/train_step.py configs/mnist_wgan_gp.yaml --steps 10 [--set model.g_width=64]
    python benchmarks/train_step.py configs/celeba64_dcgan.yaml --no-data   # CelebA not here

Runs the recipe's method (its phases on its networks, each phase updating only its own network,
as the trainer does) on random images of the recipe's shape, with labels drawn from the recipe's
dataset: a conditional recipe's networks (ACGAN, a digit-conditional DDPM) take labels of the
data's kind, so the dataset must be there (MNIST falls back to the offline sample with
``--set data.download=false``). ``--no-data`` times an unconditional recipe without its data, on
unlabelled images of its size and channels; a method that needs labels refuses it. No files are
written.

Each phase's floating-point operations are counted once, forward and backward (gradient
penalties' double backward included), by ``torch.utils.flop_counter.FlopCounterMode``, which
counts matrix products and convolutions (not element-wise work, which is small beside them).
The achieved GFLOP/s are put against this machine's float32 matmul peak, measured here with a
``--peak-size`` square ``torch.mm`` (the best of a few).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from facegan.conditions import drawn_labels
from facegan.config import load_config
from facegan.data.base import build_dataset
from facegan.datainfo import DataInfo
from facegan.methods.base import Batch, StepContext, build_method
from facegan.randomness import BatchRandom


class _GlobalOnly(contextlib.nullcontext):
    """A module tracker that tracks nothing: every count goes to FlopCounterMode's total."""

    parents = ("Global",)


class StepFlopCounter(FlopCounterMode):
    """FlopCounterMode without its per-module breakdown, whose backward hooks make
    ``torch.autograd.grad`` on a leaf input fail, as every gradient penalty takes one."""

    def __init__(self) -> None:
        super().__init__(display=False)
        self.mod_tracker = _GlobalOnly()


def matmul_peak_flops(size: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matmul speed in FLOP/s: the best of ``repeats`` ``size x size``
    products (after one to warm up)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def phase_seconds(cfg, info: DataInfo, labels: torch.Tensor,
                  steps: int = 10) -> dict[str, tuple[float, int, int]]:
    """Mean seconds of each phase of ``cfg``'s method on random images of ``info``'s shape with
    ``labels`` (a batch of the data's: ``(N,)`` classes, ``(N, L)`` or ``(N, E)``, -1 for none),
    how often the phase runs (every k batches) and its FLOPs (forward and backward)."""
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
        # the first step warms up the allocator and kernels: untimed, it is the one counted
        counter = StepFlopCounter()
        timings = []
        for step in range(steps + 1):
            start = time.perf_counter()
            with counter if step == 0 else contextlib.nullcontext():
                optimizers[phase.updates].zero_grad(set_to_none=True)
                method.compute(phase, networks, batch, StepContext(rng))["loss"].backward()
                optimizers[phase.updates].step()
            if step:
                timings.append(time.perf_counter() - start)
        seconds[phase.name] = (sum(timings) / len(timings), phase.every,
                               counter.get_total_flops())
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--no-data", action="store_true",
                        help="unlabelled random images instead of reading the recipe's dataset")
    parser.add_argument("--peak-size", type=int, default=2048,
                        help="side of the square float32 matmul that measures the peak")
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
    phases = phase_seconds(cfg, info, labels, args.steps)
    peak = matmul_peak_flops(args.peak_size)
    for name, (mean, every, flops) in phases.items():
        print(f"  {name:<14} {mean:.3f} s/step  (runs every {every} batch(es)), "
              f"{flops / 1e9:.3f} GFLOP, {flops / mean / 1e9:.2f} GFLOP/s, "
              f"{flops / mean / peak:.1%} of peak")
    # a batch on average: each phase weighs 1/every
    seconds = sum(mean / every for mean, every, _ in phases.values())
    flops = sum(flops / every for _, every, flops in phases.values())
    print(f"  training step  {flops / seconds / 1e9:.2f} GFLOP/s, {flops / seconds / peak:.1%} "
          f"of this machine's float32 matmul peak ({peak / 1e9:.1f} GFLOP/s, "
          f"{args.peak_size}x{args.peak_size} torch.mm)")


if __name__ == "__main__":
    main()
