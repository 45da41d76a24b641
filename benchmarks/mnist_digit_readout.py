"""Benchmark: how many generated digits the MNIST classifier reads with confidence.

A plain-language companion to FID: the share of generated digits whose most likely class has
probability above 0.9 and 0.5, next to the same shares for real digits, and how the confident
reads spread over the ten classes. Needs a trained run and the classifier features:

    facegan features train configs/mnist_wgan_gp.yaml
    python benchmarks/mnist_digit_readout.py models/MNIST/WGAN_GP --num-samples 1000

Real digits include the ones the classifier was trained on, so their shares are an upper mark.
A digit-conditional model (the DDPM, the ACGAN) is asked for each digit in turn, and the share
of confident reads that are the asked digit is printed too. A classifier is often sure of
what is no digit at all (an untrained generator's blobs read as "8" with p>0.9), so the FID
between real and generated digits in the classifier's features is printed beside the shares:
it is high for blobs and for a model that draws one digit only. ``--sampling-steps`` and
``--guidance`` set a diffusion model's sampling.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from facegan.config import load_config
from facegan.data.base import build_dataset
from facegan.metrics.classifier import load_classifier
from facegan.metrics.distances import frechet_distance
from facegan.sampling import load_model

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "mnist_wgan_gp.yaml"


@torch.no_grad()
def readout(classifier: torch.nn.Module, images: torch.Tensor,
            asked: torch.Tensor | None = None) -> str:
    probabilities = torch.softmax(classifier.features_and_logits(images)[1], dim=1)
    confidence, digit = probabilities.max(dim=1)
    sure = confidence > 0.9
    per_digit = torch.bincount(digit[sure], minlength=10).tolist()
    text = (f"{100 * sure.float().mean():.1f}% read with p>0.9, "
            f"{100 * (confidence > 0.5).float().mean():.1f}% with p>0.5; "
            f"p>0.9 per digit 0-9: {' '.join(map(str, per_digit))}")
    if asked is not None and sure.any():
        hits = (digit[sure] == asked[sure]).float().mean()
        text += f"; {100 * hits:.1f}% of the p>0.9 reads are the asked digit"
    elif asked is not None:
        text += "; no p>0.9 read to compare with the asked digit"
    return text


@torch.no_grad()
def classifier_fid(classifier: torch.nn.Module, real: torch.Tensor,
                   generated: torch.Tensor) -> float:
    """FID between ``real`` and ``generated`` digits in the classifier's features."""
    return frechet_distance(classifier.features_and_logits(real)[0].double(),
                            classifier.features_and_logits(generated)[0].double())


def real_digits(n: int, seed: int) -> torch.Tensor:
    """``n`` MNIST digits drawn from ``seed``: of data/MNIST when its files are there, else of
    the offline sample (never a download)."""
    dataset = build_dataset(load_config(CONFIG, ["data.download=false"]).data)
    picks = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    return torch.stack([dataset[i][0] for i in picks[:n].tolist()])


def generated_digits(model, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` images from the noise of ``seed``; a conditional model asked for 0, 1, ..., 9 in
    turn."""
    asked = torch.arange(n) % 10 if model.conditional else None
    return model.draw(model.seeded_noise(n, seed), asked), asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run directory, checkpoint or generator folder")
    parser.add_argument("--classifier", type=Path, default=Path("models/MNIST/features/classifier"))
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--sampling-steps", type=int, default=None)
    parser.add_argument("--guidance", type=float, default=None)
    args = parser.parse_args()

    classifier, _, _ = load_classifier(args.classifier)
    model = load_model(args.run)[0].with_options(steps=args.sampling_steps,
                                                 guidance=args.guidance)
    generated, asked = generated_digits(model, args.num_samples, args.seed)
    real = real_digits(args.num_samples, args.seed)
    print(f"real:      {readout(classifier, real)}")
    print(f"generated: {readout(classifier, generated, asked)}; "
          f"FID in classifier features {classifier_fid(classifier, real, generated):.1f}")


if __name__ == "__main__":
    main()
