"""FID and KID between two sets of features, computed by torchmetrics.

Features are extracted once per image set (streams.py) and handed to torchmetrics through a
pass-through module: one extraction then feeds FID, KID and precision/recall, and the real-image
features can be cached on disk. The maths stays torchmetrics' own.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from facegan.errors import FaceganError

KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000  # the usual size (Binkowski et al. 2018); smaller when fewer images
CHUNK = 4096  # rows fed to a metric at once


class PassThrough(nn.Module):
    """The "feature extractor" torchmetrics sees: the features are already extracted."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def _check(real: torch.Tensor, fake: torch.Tensor) -> None:
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"features must be (N, D) with the same D, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """FID between real ``(N, D)`` and generated ``(M, D)`` features.

    With N or M not above D the covariance is singular and FID is not meaningful, so that is an
    error rather than a number.
    """
    _check(real, fake)
    dim = real.shape[1]
    for name, count in (("real", len(real)), ("generated", len(fake))):
        if count <= dim:
            raise FaceganError(f"FID needs more {name} images than feature dimensions "
                               f"({count} <= {dim}); raise --num-samples above {dim}, or use "
                               "features with fewer dimensions")
    # sync_on_compute=False: the features given are all there is; under torchrun only the main
    # process measures, and torchmetrics' default all-gather would wait for the others forever
    metric = FrechetInceptionDistance(feature=PassThrough(dim), sync_on_compute=False)
    for chunk in real.split(CHUNK):
        metric.update(chunk, real=True)
    for chunk in fake.split(CHUNK):
        metric.update(chunk, real=False)
    return float(metric.compute())


def kernel_distance(real: torch.Tensor, fake: torch.Tensor, seed: int = 0,
                    subsets: int = KID_SUBSETS) -> tuple[float, float, int]:
    """KID mean and standard deviation over ``subsets`` random subsets, and the subset size.

    The subsets are drawn from ``seed``, so the same features give the same KID.
    """
    _check(real, fake)
    subset_size = min(KID_SUBSET_SIZE, len(real), len(fake))
    if subset_size < 2:
        raise FaceganError(f"KID needs at least 2 real and 2 generated images (got "
                           f"{len(real)} and {len(fake)}); raise --num-samples")
    with warnings.catch_warnings():  # "saves all features in a buffer": they are small here
        warnings.simplefilter("ignore", UserWarning)
        metric = KernelInceptionDistance(feature=PassThrough(real.shape[1]), subsets=subsets,
                                         subset_size=subset_size, sync_on_compute=False)
    for chunk in real.split(CHUNK):
        metric.update(chunk, real=True)
    for chunk in fake.split(CHUNK):
        metric.update(chunk, real=False)
    with torch.random.fork_rng(devices=[]):  # torchmetrics draws subsets from the global RNG
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std), subset_size
