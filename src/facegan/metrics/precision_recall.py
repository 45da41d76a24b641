"""Improved precision and recall (Kynkaanniemi et al. 2019, "Improved Precision and Recall
Metric for Assessing Generative Models").

Each set of features approximates its manifold by the union of balls around its points, the
radius of each ball being the distance to that point's k-th nearest neighbour in its own set.
Precision is the fraction of generated points inside the real manifold; recall the fraction of
real points inside the generated manifold.

Written here in torch because no maintained library provides it (torchmetrics has no such
metric; the authors' reference code is TensorFlow). Distances are computed in float64 in
blocks, so memory stays bounded by ``BLOCK_ELEMENTS`` whatever the number of points.
"""

from __future__ import annotations

import torch

from facegan.errors import FaceganError

DEFAULT_K = 3  # the paper's choice
BLOCK_ELEMENTS = 1 << 24  # distances held at once (128 MiB in float64)


def _row_blocks(rows: int, columns: int) -> int:
    return max(1, BLOCK_ELEMENTS // max(columns, 1))


def manifold_radii(features: torch.Tensor, k: int = DEFAULT_K) -> torch.Tensor:
    """Distance from each point ``(N, D)`` to its k-th nearest other point -> ``(N,)``."""
    if len(features) <= k:
        raise FaceganError(f"precision/recall with k={k} needs more than {k} images per set "
                           f"(got {len(features)}); raise --num-samples")
    points = features.double()
    radii = []
    for block in points.split(_row_blocks(len(points), len(points))):
        distances = torch.cdist(block, points)  # (B, N); each point's own distance 0 is first
        radii.append(distances.topk(k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(radii)


def fraction_inside(queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor) -> float:
    """Fraction of ``queries (M, D)`` within ``radii[i]`` of some ``points[i]`` ``(N, D)``."""
    points, radii = points.double(), radii.double()
    inside = 0
    for block in queries.double().split(_row_blocks(len(queries), len(points))):
        distances = torch.cdist(block, points)  # (B, N)
        inside += int((distances <= radii[None, :]).any(dim=1).sum())
    return inside / len(queries)


def precision_recall(real: torch.Tensor, fake: torch.Tensor,
                     k: int = DEFAULT_K) -> tuple[float, float]:
    """Precision and recall of generated features ``fake (M, D)`` against ``real (N, D)``."""
    precision = fraction_inside(fake, real, manifold_radii(real, k))
    recall = fraction_inside(real, fake, manifold_radii(fake, k))
    return precision, recall
