"""Images per second from a folder of JPEGs: facegan's decoded-image cache vs torchvision.

    python benchmarks/data_throughput.py [--folder DIR] [--count 3000] [--size 64] [--epochs 3]
                                         [--workers 0] [--batch-size 64] [--path-sizes 32 64 128]
                                         [--path-workers 0 2] [--set KEY=VALUE ...]

Without --folder it writes ``--count`` 178 x 218 JPEGs (CelebA's size; smooth random colours
plus noise, quality 90) into a temporary folder. Both loaders apply the same transforms
(centre square, resize to ``--size``, random horizontal flip, [-1, 1]) and feed a DataLoader of
the same batch size and workers; each epoch reads every image once in a shuffled order. The
first facegan epoch includes building the cache; the ratio compares the later epochs.

Then the path training takes (`facegan.data.batches.training_batches`: one read per batch,
flips and the conversion to [-1, 1] on the batch) at ``--path-sizes`` (32, 64 and 128 px) with
``--path-workers`` (0 and 2) workers, its ratio to ImageFolder at ``--size``, and the share of a
training step's time that data loading takes for the MNIST recipe (the offline 5,000-digit
sample) and the CelebA-64 recipe (these JPEGs at 64 px; the step timed on random data as
benchmarks/train_step.py does); ``--set`` overrides both recipes (model widths, batch size,
``data.limit``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.transforms import v2

from facegan.conditions import drawn_labels
from facegan.config import load_config, validate_section
from facegan.data.base import build_dataset
from facegan.data.batches import training_batches
from facegan.data.image_folder import ImageFolderConfig
from facegan.data.transforms import ImageTransform
from facegan.randomness import BatchRandom

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_step import phase_seconds  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def write_jpegs(folder: Path, count: int, seed: int = 0) -> None:
    """``count`` 178 x 218 JPEGs in ``folder/faces/`` (ImageFolder wants a class folder)."""
    rng = np.random.default_rng(seed)
    (folder / "faces").mkdir(parents=True)
    for index in range(count):
        coarse = rng.integers(0, 256, (7, 6, 3), np.uint8)
        image = Image.fromarray(coarse).resize((178, 218), Image.Resampling.BICUBIC)
        noisy = np.asarray(image, np.int16) + rng.integers(-12, 13, (218, 178, 3))
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(
            folder / "faces" / f"{index:06d}.jpg", quality=90)


def images_per_second(loader: DataLoader) -> float:
    start, seen = time.perf_counter(), 0
    for images, _ in loader:
        seen += len(images)
    return seen / (time.perf_counter() - start)


def training_path_rate(dataset, batch_size: int, workers: int, epochs: int = 3) -> float:
    """Images/s of the training path over ``epochs`` shuffled epochs (the median)."""
    rates = []
    random = BatchRandom.seeded(0)
    for epoch in range(epochs):
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(epoch))
        batches = [order[i:i + batch_size].tolist()
                   for i in range(0, len(order) - batch_size + 1, batch_size)]
        start, seen = time.perf_counter(), 0
        for images, _ in training_batches(dataset, batches, device=torch.device("cpu"),
                                          random=random, num_workers=workers):
            seen += len(images)
        rates.append(seen / (time.perf_counter() - start))
    return float(np.median(rates))


def folder_dataset(folder: Path, size: int, cache: Path):
    cfg = validate_section(ImageFolderConfig, {
        "name": "image_folder", "root": str(folder), "image_size": size, "crop": "center",
        "hflip": True, "cache_dir": str(cache)}, "data")
    return build_dataset(cfg)


def step_share(recipe: Path, dataset, overrides: list[str]) -> None:
    """The share of a training step of ``recipe`` that reading its batch takes."""
    cfg = load_config(recipe, overrides)
    n = cfg.train.batch_size
    per_image = 1 / training_path_rate(dataset, n, 0)
    labels = drawn_labels(dataset, n, seed=0)
    step = sum(seconds / every for seconds, every, _ in
               phase_seconds(cfg, dataset.info, labels, steps=5).values())
    load = per_image * n
    print(f"{recipe.name:<22} batch {n:3d}: data {1000 * load:6.2f} ms, step "
          f"{1000 * step:7.1f} ms: data loading is {100 * load / (load + step):.2f}% of a step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--path-sizes", type=int, nargs="+", default=[32, 64, 128],
                        help="image sizes of the training-path table")
    parser.add_argument("--path-workers", type=int, nargs="+", default=[0, 2],
                        help="worker counts of the training-path table")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override of both recipes of the step share (repeatable)")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="facegan-bench-"))
    try:
        folder = args.folder
        if folder is None:
            folder = scratch / "jpegs"
            print(f"writing {args.count} JPEGs (178 x 218) to {folder} ...", flush=True)
            write_jpegs(folder, args.count)
        transform = ImageTransform(image_size=args.size, crop="center", hflip=True)
        loader_options = {"batch_size": args.batch_size, "shuffle": True,
                          "num_workers": args.workers}
        print(f"{args.size} px, batch {args.batch_size}, {args.workers} workers, "
              f"{torch.get_num_threads()} torch threads")

        same_transforms = v2.Compose([transform.decode_stage(), v2.RandomHorizontalFlip(0.5),
                                      v2.ToDtype(torch.float32, scale=True),
                                      v2.Normalize([0.5] * 3, [0.5] * 3)])
        baseline = ImageFolder(str(folder), transform=same_transforms)
        torchvision_rates = [images_per_second(DataLoader(baseline, **loader_options))
                             for _ in range(args.epochs)]
        for epoch, rate in enumerate(torchvision_rates, start=1):
            print(f"torchvision ImageFolder  epoch {epoch}: {rate:9.0f} images/s")

        cfg = validate_section(ImageFolderConfig, {
            "name": "image_folder", "root": str(folder), "image_size": args.size,
            "crop": "center", "hflip": True, "cache_dir": str(scratch / "cache")}, "data")
        start = time.perf_counter()
        dataset = build_dataset(cfg)
        build_seconds = time.perf_counter() - start
        first = images_per_second(DataLoader(dataset, **loader_options))
        first_epoch = len(dataset) / (build_seconds + len(dataset) / first)
        print(f"facegan cache build      {build_seconds:6.1f} s "
              f"({len(dataset) / build_seconds:.0f} images/s decoded)")
        print(f"facegan cache            epoch 1: {first_epoch:9.0f} images/s (with the build)")
        later = []
        for epoch in range(2, args.epochs + 1):
            later.append(images_per_second(DataLoader(dataset, **loader_options)))
            print(f"facegan cache            epoch {epoch}: {later[-1]:9.0f} images/s")
        start = time.perf_counter()
        build_dataset(cfg)
        print(f"facegan cache reopen     {time.perf_counter() - start:6.2f} s (a later run)")
        if later:
            ratio = np.median(later) / np.median(torchvision_rates)
            print(f"ratio after the first epoch (median facegan / median torchvision): "
                  f"{ratio:.1f}x")

        print(f"training path (whole batches of {args.batch_size}, flips, [-1, 1]), after "
              "the cache is built:")
        for size in args.path_sizes:
            sized = folder_dataset(folder, size, scratch / "cache")
            for workers in args.path_workers:
                rate = training_path_rate(sized, args.batch_size, workers)
                extra = (f"  ({rate / np.median(torchvision_rates):.0f}x ImageFolder at "
                         f"{args.size} px)" if size == args.size else "")
                print(f"  {size:3d} px, {workers} workers: {rate:9.0f} images/s{extra}",
                      flush=True)
        mnist_recipe = REPO / "configs" / "mnist_wgan_gp.yaml"
        mnist_overrides = ["data.download=false", *args.set]
        mnist = build_dataset(load_config(mnist_recipe, mnist_overrides).data)
        step_share(mnist_recipe, mnist, mnist_overrides)
        step_share(REPO / "configs" / "celeba64_dcgan.yaml",
                   folder_dataset(folder, 64, scratch / "cache"), args.set)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
