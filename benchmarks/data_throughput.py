"""Images per second from a folder of JPEGs: facegan's decoded-image cache vs torchvision.

    python benchmarks/data_throughput.py [--folder DIR] [--count 3000] [--size 64] [--epochs 3]
                                         [--workers 0] [--batch-size 64]

Without --folder it writes ``--count`` 178 x 218 JPEGs (CelebA's size; smooth random colours
plus noise, quality 90) into a temporary folder. Both loaders apply the same transforms
(centre square, resize to ``--size``, random horizontal flip, [-1, 1]) and feed a DataLoader of
the same batch size and workers; each epoch reads every image once in a shuffled order. The
first facegan epoch includes building the cache; the ratio compares the later epochs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.transforms import v2

from facegan.config import validate_section
from facegan.data.base import build_dataset
from facegan.data.image_folder import ImageFolderConfig
from facegan.data.transforms import ImageTransform


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
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
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
