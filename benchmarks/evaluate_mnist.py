"""Benchmark: FID/KID/precision/recall with classifier features on a short MNIST run.

Trains the classifier features and a short WGAN-GP run (both skipped when already there), then
times `facegan evaluate` for each number of samples, first with a cold real-feature cache and
then a warm one. Everything goes under --root (default /tmp/facegan-bench), nothing in models/.

    OMP_NUM_THREADS=2 python benchmarks/evaluate_mnist.py --epochs 1 --num-samples 1000 5000
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import torch

from facegan.config import load_config
from facegan.data.base import build_dataset
from facegan.metrics.classifier_training import features_root_for, train_classifier
from facegan.metrics.distances import frechet_distance, kernel_distance
from facegan.metrics.evaluate import EvalSettings, format_table, parse_metrics
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor
from facegan.metrics.precision_recall import precision_recall
from facegan.metrics.run_evaluation import CACHE_DIR, evaluate_path
from facegan.metrics.streams import collect, real_batches, real_indices
from facegan.runs import RunDir
from facegan.training.trainer import Trainer

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "mnist_wgan_gp.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/facegan-bench"))
    parser.add_argument("--epochs", type=int, default=1, help="GAN training epochs")
    parser.add_argument("--classifier-epochs", type=int, default=3)
    parser.add_argument("--classifier-width", type=int, default=16)
    parser.add_argument("--classifier-features", type=int, default=128,
                        help="feature dimensions (FID needs more images than these)")
    parser.add_argument("--width", type=int, default=32, help="generator/critic width")
    parser.add_argument("--num-samples", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--metrics", default="fid,kid,pr")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. --set data.download=false")
    args = parser.parse_args()

    overrides = [f"run.root={args.root / 'models'}", f"run.name=WGAN_GP_{args.epochs}ep",
                 f"train.epochs={args.epochs}", f"model.g_width={args.width}",
                 f"model.d_width={args.width}", *args.set]
    config = load_config(CONFIG, overrides)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    classifier_dir = features_root_for(config) / "classifier"
    if not (classifier_dir / "classifier.safetensors").is_file():
        report = train_classifier(config, epochs=args.classifier_epochs,
                                  width=args.classifier_width,
                                  feature_dim=args.classifier_features, progress=False)
        print(f"classifier: validation accuracy {report.validation_accuracy:.4f} "
              f"({report.num_train} train / {report.num_validation} held out), "
              f"{report.seconds:.0f} s")

    run = RunDir.for_config(config)
    if not (run.saved_models / "generator").is_dir():
        start = time.perf_counter()
        result = Trainer(config, progress=False).fit()
        print(f"GAN: {result.counters.epoch} epochs, {result.counters.step} steps in "
              f"{time.perf_counter() - start:.0f} s")

    for n in args.num_samples:
        shutil.rmtree(run.path.parent / CACHE_DIR, ignore_errors=True)
        for cache_state in ("cold", "warm"):
            settings = EvalSettings(metrics=parse_metrics(args.metrics), num_samples=n,
                                    progress=False)
            start = time.perf_counter()
            result = evaluate_path(run.path, settings, features="classifier",
                                   overrides=args.set)
            seconds = time.perf_counter() - start
            print(f"\nN={n} ({cache_state} real-feature cache): {seconds:.1f} s in all, "
                  f"{result.seconds:.1f} s measuring (the rest: imports aside, loading data)")
            print(format_table(result))
    print_real_floor(config, max(args.num_samples))


def print_real_floor(config, n: int) -> None:
    """FID/KID/PR between two disjoint halves of n real images: what a perfect generator
    would score with these features and this many images."""
    dataset = build_dataset(config.data)
    extractor = build_feature_extractor(FeaturesConfig("classifier"), dataset.info,
                                        features_root_for(config))
    n = min(n, len(dataset))
    features = collect((x for x, _ in real_batches(dataset, real_indices(dataset, n, 0), 64)),
                       n, lambda x: {"f": extractor(x)}, desc="real", progress=False)["f"]
    a, b = features[: n // 2], features[n // 2:]
    print(f"\nreal vs real ({len(a)} vs {len(b)} disjoint images): FID "
          f"{frechet_distance(a, b):.4f}, KID {kernel_distance(a, b)[0]:.4f}, "
          "precision {:.4f}, recall {:.4f}".format(*precision_recall(a, b)))


if __name__ == "__main__":
    main()
