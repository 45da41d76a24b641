"""How fast SynthFaces draws, on one core: prints images/s for `generate` and for writing PNGs.

Rates are per second of this process's CPU time, so another job sharing the machine does not
halve them; wall-clock rates are printed beside them.

python benchmarks/synthfaces_speed.py [--n 500] [--sizes 32 64 128 256]
"""

import argparse
import tempfile
import time

from facegan.data.synthfaces import generate, write_image_folder


def images_per_second(n: int, size: int, repeats: int = 3) -> tuple[float, float]:
    """(CPU-time rate, wall-clock rate), each the best of `repeats` runs."""
    best_cpu = best_wall = float("inf")
    for repeat in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        generate(n, size, seed=repeat)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return n / best_cpu, n / best_wall


def folder_images_per_second(n: int, size: int) -> tuple[float, float]:
    """(CPU-time rate, wall-clock rate) of write_image_folder, PNG encoding included."""
    with tempfile.TemporaryDirectory() as folder:
        cpu, wall = time.process_time(), time.perf_counter()
        write_image_folder(f"{folder}/synth", n, size, progress=False)
        return n / (time.process_time() - cpu), n / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    args = parser.parse_args()
    generate(4, 64)  # warm caches and imports before timing
    print("images/s per CPU second (per wall second)")
    for size in args.sizes:
        memory_cpu, memory_wall = images_per_second(args.n, size)
        disk_cpu, disk_wall = folder_images_per_second(args.n, size)
        print(
            f"{size:>4} px: generate {memory_cpu:5.0f} ({memory_wall:5.0f}), "
            f"write_image_folder {disk_cpu:5.0f} ({disk_wall:5.0f})"
        )


if __name__ == "__main__":
    main()
