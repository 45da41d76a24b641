"""How fast SynthFaces draws, on one core: prints images/s for `generate` and for writing PNGs.

python benchmarks/synthfaces_speed.py [--n 500] [--sizes 32 64 128 256]
"""

import argparse
import tempfile
import time

from facegan.data.synthfaces import generate, write_image_folder


def images_per_second(n: int, size: int, repeats: int = 3) -> float:
    """Best of `repeats`: the machine may be shared, and the best run is the least disturbed."""
    best = float("inf")
    for repeat in range(repeats):
        started = time.perf_counter()
        generate(n, size, seed=repeat)
        best = min(best, time.perf_counter() - started)
    return n / best


def folder_images_per_second(n: int, size: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_image_folder(f"{folder}/synth", n, size, progress=False)
        return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    args = parser.parse_args()
    generate(4, 64)  # warm caches and imports before timing
    for size in args.sizes:
        in_memory = images_per_second(args.n, size)
        to_disk = folder_images_per_second(args.n, size)
        print(
            f"{size:>4} px: generate {in_memory:6.0f} images/s, write_image_folder {to_disk:6.0f}"
        )


if __name__ == "__main__":
    main()
