"""Every script in benchmarks/ runs to the end with its smallest settings and prints its numbers.

The scripts are found by listing the folder, so a new one is covered from the start: it fails
here until `SMALLEST` says how to run it small (tiny widths, a few steps, a few images, the
offline data, the CPU; never a download). Each runs as a fresh process, as a user runs it, in
a temporary working directory, so that whatever a script writes next to it (data caches, runs)
lands there; they run side by side (`AT_ONCE`), and each test waits for its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from facegan.config import load_config
from facegan.training.trainer import Trainer
from tests.conftest import REPO

BENCHMARKS = REPO / "benchmarks"
SCRIPTS = sorted(path.name for path in BENCHMARKS.glob("*.py"))
CONFIGS = REPO / "configs"
TINY_GAN = ["model.latent_dim=8", "model.g_width=4", "model.d_width=4"]
QUIET = ["log.tensorboard=false", "log.histograms=false", "log.num_samples=4"]


def flags(flag: str, *values: str) -> list[str]:
    """``flags("--set", "a=1", "b=2")`` -> ``["--set", "a=1", "--set", "b=2"]``."""
    return [item for value in values for item in (flag, value)]


# script -> (its smallest arguments, a regular expression its output must match: a line with
# its numbers). "{name}" in an argument is a path: {tmp} the script's working directory (a
# temporary one); from `PLACES`, {acgan_run} a tiny trained digit-conditional run and
# {classifier} the MNIST classifier of tests/conftest.py (32 features: an FID in them needs
# more than 32 images a side).
SMALLEST: dict[str, tuple[list[str], str]] = {
    "conditional_accuracy.py": (
        ["{acgan_run}", "-n", "16", "--epochs", "1"],
        r"conditional accuracy on 16 generated images: \d\.\d{3} \(chance 0\.100\)"),
    "data_throughput.py": (
        ["--count", "16", "--size", "16", "--epochs", "2", "--batch-size", "8",
         "--path-sizes", "16", "--path-workers", "0",
         *flags("--set", "data.limit=64", "train.batch_size=8", *TINY_GAN)],
        r"celeba64_dcgan\.yaml +batch +8: data +[\d.]+ ms, step +[\d.]+ ms: data loading is "
        r"[\d.]+% of a step"),
    "ddp_scaling.py": (
        ["--processes", "1", "--batch-size", "8", "--device", "cpu",
         *flags("--set", "data.download=false", "data.limit=64", *TINY_GAN, "log.every=2")],
        r"1 process\(es\): +[\d.]+ images/s over 8 steps"),
    "diffusion_vs_gan.py": (
        ["--minutes", "2", "--root", "{tmp}/runs", "--classifier", "{classifier}",
         "--num-samples", "40", "--sampling-batch", "2",
         *flags("--set", "data.download=false", "data.limit=32", "train.batch_size=8",
                "train.max_images=32", *QUIET),
         *flags("--gan-set", *TINY_GAN, "train.num_critic_steps=2"),
         *flags("--ddpm-set", "model.block_out_channels=[8,8,8]",
                "objective.num_train_timesteps=25", "objective.sampling_steps=2")],
        r"(?s)WGAN-GP +2 CPU-min \(step \d+\): [\d.]+% read with p>0\.9.*FID in classifier "
        r"features [\d.]+.*DDPM +2 CPU-min.*ddim +25 steps: [\d.]+ s per image \(batch of 2\)"),
    "epoch_artifacts.py": (
        ["--config", str(CONFIGS / "mnist_wgan_gp.yaml"), "--lines", "10", "--repeats", "1",
         "--out", "{tmp}/pictures"],
        r"plot_weight_histograms +first +[\d.]+ s +median of 1: wall +[\d.]+ s"),
    "evaluate_mnist.py": (
        ["--root", "{tmp}/bench", "--epochs", "1", "--classifier-epochs", "1",
         "--classifier-width", "4", "--classifier-features", "4", "--width", "4",
         "--num-samples", "16",
         *flags("--set", "data.download=false", "data.limit=64", "train.batch_size=8",
                "model.latent_dim=8", *QUIET)],
        r"(?s)N=16 \(warm real-feature cache\).*real vs real \(8 vs 8 disjoint images\): FID "
        r"[\d.]+, KID -?[\d.]+, precision [\d.]+, recall [\d.]+"),
    "faces_throughput.py": (
        ["--detectors", "hog", "--hog-images", "1", "--height", "256", "--width", "256",
         "--size", "32", "--pipeline", "--workers", "1"],
        r"(?s)detect hog: 1/1 faces found.*pipeline hog --align --embed, 1 worker\(s\): 1 photos"
        r".*per face after detection \(CPU ms\): landmarks [\d.]+"),
    "mnist_digit_readout.py": (
        ["{acgan_run}", "--classifier", "{classifier}", "--num-samples", "40"],
        r"generated: [\d.]+% read with p>0\.9.*FID in classifier features [\d.]+"),
    "pipeline_overhead.py": (
        [str(CONFIGS / "mnist_wgan_gp.yaml"), "--epochs", "1",
         *flags("--set", "data.download=false", "data.limit=32", "train.batch_size=8",
                "train.num_critic_steps=2", "train.max_images=null", *TINY_GAN)],
        r"in-process epoch [\d.]+ s wall / [\d.]+ s CPU; pipeline cycle [\d.]+ s wall"),
    "serve_load.py": (
        ["--requests", "24", "--clients", "3", "--width", "4"],
        r"3 clients +[\d.]+ requests/s +p50 +[\d.]+ ms +p99 +[\d.]+ ms +errors 0"),
    "startup.py": (
        ["--repeat", "1", "--skip-pipeline"],
        r"train --dry-run +[\d.]+ .*\n.*generate -n 1 +[\d.]+"),
    "serve_latency.py": (
        ["--repeats", "1", "--width", "4", "--grid", "4"],
        r"onnx +4-image grid +API: median +[\d.]+ ms"),
    "synthfaces_learnability.py": (
        ["--size", "16", "--train", "32", "--test", "16", "--epochs", "1", "--device", "cpu"],
        r"eye_color +[\d.]+ +[\d.]+"),
    "synthfaces_speed.py": (
        ["--n", "4", "--sizes", "16"],
        r"16 px: generate +\d+ \( *\d+\), write_image_folder +\d+"),
    "train_step.py": (
        [str(CONFIGS / "mnist_acgan.yaml"), "--steps", "1",
         *flags("--set", "data.download=false", "data.limit=16", "train.batch_size=4", *TINY_GAN)],
        r"10 class labels, batch 4.*\n +discriminator +[\d.]+ s/step .*\n +generator +[\d.]+ "
        r"s/step"),
}


@pytest.fixture(scope="module")
def acgan_run(tmp_path_factory, mnist_dir) -> Path:
    """A digit-conditional ACGAN trained for one epoch (8 steps) on 64 digits."""
    config = load_config(CONFIGS / "mnist_acgan.yaml", [
        *TINY_GAN, "model.condition_dim=4", "train.batch_size=8", "train.epochs=1",
        "log.every=2", *QUIET, "data.download=false", f"data.root={mnist_dir}",
        f"run.root={tmp_path_factory.mktemp('runs')}"])
    return Trainer(config, progress=False).fit().run_dir


PLACES = {"acgan_run": lambda request: request.getfixturevalue("acgan_run"),
          "classifier": lambda request: request.getfixturevalue("trained_classifier").directory}
# Scripts run side by side, one per core (up to 4): each of their processes spends seconds on
# one core importing torch and facegan, so on two cores two at a time halve the wall time.
AT_ONCE = max(1, min(4, os.cpu_count() or 1))


def run_script(script: str, places: dict[str, Path],
               cwd: Path) -> tuple[str, subprocess.CompletedProcess]:
    arguments, _ = SMALLEST[script]
    command = [sys.executable, str(BENCHMARKS / script),
               *(argument.format(tmp=cwd, **places) for argument in arguments)]
    # One thread: on a busy machine a second one spins waiting for a core, and a tiny network
    # then runs many times slower (the numbers printed here do not matter).
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return " ".join(command), subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                                             text=True, timeout=300)


@pytest.fixture(scope="module")
def finished(request, tmp_path_factory):
    """script -> the future of its process, for the scripts this session tests (``-k`` may
    pick a few), `AT_ONCE` at a time. The trained models they name are made first, before
    the scripts compete with their training for the cores."""
    chosen = [item.callspec.params["script"] for item in request.session.items
              if item.path == Path(__file__) and hasattr(item, "callspec")]
    scripts = [script for script in chosen if script in SMALLEST]
    named = " ".join(argument for script in scripts for argument in SMALLEST[script][0])
    places = {name: make(request) for name, make in PLACES.items() if f"{{{name}}}" in named}
    pool = ThreadPoolExecutor(AT_ONCE)
    try:
        yield {script: pool.submit(run_script, script, places,
                                   tmp_path_factory.mktemp(Path(script).stem))
               for script in scripts}
    finally:
        pool.shutdown(cancel_futures=True)


def test_the_table_names_only_scripts_that_exist():
    assert sorted(set(SMALLEST) - set(SCRIPTS)) == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_runs_small_and_prints_its_numbers(script, finished):
    if script not in SMALLEST:
        pytest.fail(f"benchmarks/{script} has no smallest settings: add it to SMALLEST in "
                    f"{Path(__file__).name}")
    command, result = finished[script].result()
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{command} failed:\n{output[-4000:]}"
    expected = SMALLEST[script][1]
    assert re.search(expected, result.stdout), f"no line matching {expected!r} in:\n{output}"
