"""Benchmark: DDPM against WGAN-GP on MNIST for equal CPU minutes, and diffusion sampling speed.

    facegan features train configs/mnist_wgan_gp.yaml        # the classifier, once
    python benchmarks/diffusion_vs_gan.py --minutes 10 30     # 4 runs: 80 CPU-minutes
    python benchmarks/diffusion_vs_gan.py --sampling-only models/MNIST/DDPM
    python benchmarks/diffusion_vs_gan.py --minutes 10 --set data.download=false \\
        --ddpm-set model.block_out_channels=[16,32,32]          # offline, a smaller UNet

Each recipe (configs/mnist_wgan_gp.yaml, configs/mnist_ddpm.yaml) is trained from scratch as
``facegan train`` in a fresh process under ``--root`` for each budget; when the process has
used the budget's CPU-minutes (user + system time of all its threads, start-up included: on a
quiet 2-core machine 10 CPU-minutes are 5 wall minutes) it gets Ctrl+C, which saves a
checkpoint, and the MNIST classifier reads
1,000 samples of it (benchmarks/mnist_digit_readout.py's read-out, with the FID between them and
1,000 real digits in the classifier's features). Then the seconds per image
of sampling the DDPM at 25, 50 and 250 DDIM steps (and 250 DDPM steps), in batches of
``--sampling-batch`` (16). Prints, never asserts.
Run it on a quiet machine: other processes change every number. ``--set`` overrides both
recipes, ``--gan-set`` and ``--ddpm-set`` one of them (after ``train.max_images=null``, so a
run given an image budget may end before its CPU-minutes).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from facegan.metrics.classifier import load_classifier
from facegan.sampling import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_digit_readout import classifier_fid, generated_digits, readout, real_digits  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RECIPES = {"WGAN-GP": REPO / "configs" / "mnist_wgan_gp.yaml",
           "DDPM": REPO / "configs" / "mnist_ddpm.yaml"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def train_for(recipe: Path, minutes: float, root: Path, name: str,
              clock: Callable[[int], float] = cpu_seconds, overrides: Sequence[str] = ()) -> Path:
    """Train ``recipe`` (with config ``overrides``) until it has used ``minutes`` CPU-minutes,
    then stop it as Ctrl+C does. Threads wait passively (``OMP_WAIT_POLICY``) so that waiting
    is not counted."""
    settings = [f"run.root={root}", f"run.name={name}", "train.max_images=null", *overrides]
    command = [sys.executable, "-m", "facegan", "train", str(recipe), "--no-progress",
               *(item for setting in settings for item in ("--set", setting))]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=env)
    while process.poll() is None and clock(process.pid) < minutes * 60:
        time.sleep(0.5)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait()
    if process.returncode not in (0, 130):
        raise SystemExit(f"{recipe.name} failed:\n{process.stderr.read()}")
    return root / "MNIST" / name


def sampling_speed(run: Path, n: int = 16) -> None:
    model, meta = load_model(run)
    asked = torch.arange(n) % 10 if model.conditional else None
    trained = meta["sampler"]["num_train_timesteps"]
    for sampler, steps in (("ddim", 25), ("ddim", 50), ("ddim", 250), ("ddpm", 250)):
        if steps > trained:
            continue
        configured = model.with_options(sampler=sampler, steps=steps)
        start = time.perf_counter()
        configured.draw(configured.seeded_noise(n, 0), asked, batch_size=n)
        seconds = (time.perf_counter() - start) / n
        print(f"  {sampler} {steps:>3} steps: {seconds:.3f} s per image (batch of {n})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10, 30])
    parser.add_argument("--root", type=Path, default=Path("runs/diffusion_vs_gan"))
    parser.add_argument("--classifier", type=Path, default=Path("models/MNIST/features/classifier"))
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--sampling-only", type=Path, default=None, metavar="DDPM_RUN")
    parser.add_argument("--sampling-batch", type=int, default=16,
                        help="images per batch of the DDPM sampling timings")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override of both recipes (repeatable)")
    parser.add_argument("--gan-set", action="append", default=[], metavar="KEY=VALUE",
                        help="override of the WGAN-GP recipe (repeatable)")
    parser.add_argument("--ddpm-set", action="append", default=[], metavar="KEY=VALUE",
                        help="override of the DDPM recipe (repeatable)")
    args = parser.parse_args()
    overrides = {"WGAN-GP": [*args.set, *args.gan_set], "DDPM": [*args.set, *args.ddpm_set]}
    print(f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}")
    if args.sampling_only is not None:
        sampling_speed(args.sampling_only, args.sampling_batch)
        return
    classifier, _, _ = load_classifier(args.classifier)
    real = real_digits(args.num_samples, seed=7)
    last_ddpm = None
    for minutes in args.minutes:
        for label, recipe in RECIPES.items():
            run = train_for(recipe, minutes, args.root, f"{label}_{minutes:g}min",
                            overrides=overrides[label])
            model, meta = load_model(run)
            images, asked = generated_digits(model, args.num_samples, seed=123)
            print(f"{label:8} {minutes:g} CPU-min (step {meta['step']}): "
                  f"{readout(classifier, images, asked)}; FID in classifier features "
                  f"{classifier_fid(classifier, real, images):.1f}", flush=True)
            if label == "DDPM":
                last_ddpm = run
    if last_ddpm is not None:
        print("DDPM sampling:")
        sampling_speed(last_ddpm, args.sampling_batch)


if __name__ == "__main__":
    main()
