import math

import pytest
import torch

from facegan.errors import FaceganError
from facegan.metrics.distances import frechet_distance, kernel_distance


def with_moments(n: int, mean: torch.Tensor, std: torch.Tensor, seed: int) -> torch.Tensor:
    """``n`` points whose sample mean and (unbiased) covariance are exactly mean, diag(std^2)."""
    x = torch.randn(n, len(mean), generator=torch.Generator().manual_seed(seed),
                    dtype=torch.float64)
    x = x - x.mean(0)
    cov = x.T @ x / (n - 1)
    x = x @ torch.linalg.inv(torch.linalg.cholesky(cov)).T  # whitened: covariance = identity
    return x * std + mean


def test_fid_of_a_set_against_itself_is_zero():
    features = torch.randn(300, 16, generator=torch.Generator().manual_seed(0))
    assert abs(frechet_distance(features, features)) < 1e-3


def test_fid_between_gaussians_matches_the_closed_form():
    mean_a, std_a = torch.zeros(8, dtype=torch.float64), torch.full((8,), 1.0, dtype=torch.float64)
    mean_b = torch.tensor([1.0, -2, 0, 0, 0.5, 0, 0, 3], dtype=torch.float64)
    std_b = torch.tensor([2.0, 1, 0.5, 1, 3, 1, 1, 0.25], dtype=torch.float64)
    a, b = with_moments(400, mean_a, std_a, 1), with_moments(500, mean_b, std_b, 2)
    # diagonal covariances: ||mu_a - mu_b||^2 + sum (sigma_a - sigma_b)^2
    closed_form = float(((mean_a - mean_b) ** 2).sum() + ((std_a - std_b) ** 2).sum())
    assert closed_form == pytest.approx(14.25 + 1 + 0.25 + 4 + 0.5625)
    assert frechet_distance(a.float(), b.float()) == pytest.approx(closed_form, rel=1e-3)


def test_fid_refuses_fewer_images_than_feature_dimensions():
    few, many = torch.randn(16, 16), torch.randn(100, 16)
    with pytest.raises(FaceganError, match=r"FID needs more real images than feature "
                                           r"dimensions \(16 <= 16\); raise --num-samples"):
        frechet_distance(few, many)
    with pytest.raises(FaceganError, match="more generated images"):
        frechet_distance(many, few)


def test_kid_is_near_zero_for_the_same_distribution_and_large_when_shifted():
    rng = torch.Generator().manual_seed(0)
    real = torch.randn(400, 8, generator=rng)
    same = torch.randn(400, 8, generator=rng)
    shifted = same + 1.0
    identical, _, size = kernel_distance(real, real)
    same_dist, std, _ = kernel_distance(real, same)
    far, _, _ = kernel_distance(real, shifted)
    assert size == 400  # subsets of at most 1000, never more than there are images
    assert abs(identical) < 0.05 and abs(same_dist) < 0.05
    # shifting by 1 in each of 8 dimensions: the cubic kernel's MMD^2 grows to about 3
    assert far > 2.0 and far > 40 * abs(same_dist)
    assert kernel_distance(real, same) == kernel_distance(real, same)  # seeded subsets
    assert math.isfinite(std)


def test_kid_needs_two_images_per_set():
    with pytest.raises(FaceganError, match="KID needs at least 2"):
        kernel_distance(torch.randn(1, 4), torch.randn(10, 4))
