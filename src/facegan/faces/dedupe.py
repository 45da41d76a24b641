"""Near-duplicate removal: keep the sharpest face of each group of look-alikes.

Two measures of "alike", both scaled so that a threshold in (0, 1) makes sense:
- perceptual hash: the fraction of differing bits between 64-bit DCT hashes of the crops
  (0 = identical; unrelated images sit near 0.5);
- embedding distance: Euclidean distance between 128-d dlib face descriptors (one photo seen
  twice is typically < 0.3 apart, two photos of one person < 0.6).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

HASH_BITS = 64
_BLOCK = 1024  # faces compared per step; bounds memory at ~_BLOCK x _REF_CHUNK floats
_REF_CHUNK = 8192

Distance = Callable[[np.ndarray, np.ndarray], np.ndarray]


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian of the luma of a uint8 (H, W, 3) image (0-255 scale).

    Higher is sharper. Only comparable between images of the same size, which is why it is
    measured on the output crops.
    """
    luma = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    laplacian = (
        luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * luma[1:-1, 1:-1]
    )
    return float(laplacian.var())


def face_sharpness(crop: np.ndarray) -> float:
    """`sharpness` of the central half of a face crop (eyes to mouth in FFHQ-style crops).

    Leaving out the border keeps a busy background (grass, text) from outranking a sharper
    face on a plain one.
    """
    height, width = crop.shape[:2]
    return sharpness(crop[height // 4 : height - height // 4, width // 4 : width - width // 4])


def perceptual_hash(image: np.ndarray) -> str:
    """64-bit DCT perceptual hash (imagehash.phash) of a uint8 image, as 16 hex digits."""
    import imagehash  # optional extra `faces`; imported here so the rest works without it

    return str(imagehash.phash(Image.fromarray(image)))


def hashes_to_array(hashes: list[str]) -> np.ndarray:
    """Hex hashes from `perceptual_hash` -> uint64 array (N,)."""
    return np.array([int(h, 16) for h in hashes], dtype=np.uint64)


def hash_distances(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Fraction of differing bits between uint64 hashes: (B,) x (K,) -> float32 (B, K)."""
    differing = np.bitwise_count(query[:, None] ^ reference[None, :])
    return differing.astype(np.float32) / HASH_BITS


def embedding_distances(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distances between float (B, D) and (K, D) embeddings -> float32 (B, K)."""
    query = query.astype(np.float32)
    reference = reference.astype(np.float32)
    squared = (
        (query**2).sum(axis=1)[:, None]
        + (reference**2).sum(axis=1)[None, :]
        - 2.0 * query @ reference.T
    )
    return np.sqrt(np.maximum(squared, 0.0))


def greedy_dedupe(
    features: np.ndarray, distance: Distance, threshold: float, sharpness: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep faces from sharpest to blurriest, dropping any within `threshold` of a kept one.

    `features` (N, ...) are hashes or embeddings that `distance` compares; `sharpness` (N,).
    Greedy rather than connected components, so a chain of small differences cannot merge two
    clearly different faces. Returns (keep bool (N,), duplicate_of int (N,) = index of the
    kept face it duplicates or -1, distance float32 (N,) to that face or NaN).
    """
    count = len(features)
    duplicate_of = np.full(count, -1, dtype=np.int64)
    nearest_distance = np.full(count, np.nan, dtype=np.float32)
    order = np.argsort(-np.asarray(sharpness, dtype=np.float64), kind="stable")
    kept: list[int] = []
    for start in range(0, count, _BLOCK):
        block = order[start : start + _BLOCK]
        block_dup = np.full(len(block), -1, dtype=np.int64)
        block_dist = np.full(len(block), np.nan, dtype=np.float32)
        kept_array = np.array(kept, dtype=np.int64)
        for chunk_start in range(0, len(kept_array), _REF_CHUNK):
            chunk = kept_array[chunk_start : chunk_start + _REF_CHUNK]
            d = distance(features[block], features[chunk])
            nearest = d.argmin(axis=1)
            nearest_d = d[np.arange(len(block)), nearest]
            better = (nearest_d <= threshold) & ~(block_dist <= nearest_d)
            block_dup[better] = chunk[nearest[better]]
            block_dist[better] = nearest_d[better]
        within = distance(features[block], features[block])
        accepted: list[int] = []
        for i in range(len(block)):
            if block_dup[i] >= 0:
                continue
            if accepted:
                d = within[i, accepted]
                j = int(d.argmin())
                if d[j] <= threshold:
                    block_dup[i] = block[accepted[j]]
                    block_dist[i] = d[j]
                    continue
            accepted.append(i)
        kept.extend(int(block[i]) for i in accepted)
        duplicate_of[block] = block_dup
        nearest_distance[block] = block_dist
    return duplicate_of < 0, duplicate_of, nearest_distance
