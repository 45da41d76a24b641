"""Improved precision and recall (Kynkaanniemi et al. 2019, "Improved Precision and Recall
Metric for Assessing Generative Models"), from feature arrays, by torch-fidelity.

Each set of features approximates its manifold by the union of balls around its points, the
radius of each ball being the distance to that point's k-th nearest neighbour in its own set.
Precision is the fraction of generated points inside the real manifold; recall the fraction of
real points inside the generated manifold.

The maths is torch-fidelity's ``prc_features_to_metric`` (``torch_fidelity.metric_prc``), which
takes the features themselves, so it works with every extractor of `facegan.metrics.extractors`,
not only torch-fidelity's Inception. Features go in as float64: for large sets ``torch.cdist``
takes a matrix-product path that in float32 loses enough digits to move points near a ball's
boundary in or out. torch-fidelity's block-wise mode (``save_cpu_ram``) with blocks of
``BLOCK_ELEMENTS // points`` rows keeps the distances held at once near ``BLOCK_ELEMENTS``
whatever the number of points (its default holds every distance at once).
"""

from __future__ import annotations

import torch
from torch_fidelity.metric_prc import (
    KEY_METRIC_PRECISION,
    KEY_METRIC_RECALL,
    prc_features_to_metric,
)

from facegan.errors import FaceganError

DEFAULT_K = 3  # the paper's choice
BLOCK_ELEMENTS = 1 << 24  # distances held at once (128 MiB in float64)


def precision_recall(real: torch.Tensor, fake: torch.Tensor,
                     k: int = DEFAULT_K) -> tuple[float, float]:
    """Precision and recall of generated features ``fake (M, D)`` against ``real (N, D)``."""
    for features in (real, fake):
        if len(features) <= k:
            raise FaceganError(f"precision/recall with k={k} needs more than {k} images per "
                               f"set (got {len(features)}); raise --num-samples")
    rows = max(1, BLOCK_ELEMENTS // max(len(real), len(fake)))
    # torch-fidelity's convention: features_1 generated, features_2 real
    metric = prc_features_to_metric(fake.double(), real.double(), prc_neighborhood=k,
                                    prc_batch_size=rows, save_cpu_ram=True, verbose=False)
    return metric[KEY_METRIC_PRECISION], metric[KEY_METRIC_RECALL]
