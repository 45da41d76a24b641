"""``data.limit``: which N items of a source a handler keeps.

The first N of a source sorted by class (MNIST's sample, folders of class sub-folders) would be
the first few classes only, so the kept items are a seeded random subset instead:

- with class labels, stratified: each class keeps a share proportional to its size (largest
  remainder, so the shares add up to N exactly), e.g. 2,000 of MNIST are ~200 of each digit;
- without them (CelebA attributes, embeddings, unlabelled folders), a plain random subset.

The seed is fixed (`LIMIT_SEED`), not the run's: the same source and limit give the same images
in every run and in every command (train, evaluate, the classifier), so runs stay comparable and
caches keyed on the data section stay valid. The kept items keep their original order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LIMIT_SEED = 0


def limited_rows(count: int, limit: int | None, classes: Sequence | np.ndarray | None = None,
                 seed: int = LIMIT_SEED) -> np.ndarray:
    """Indices into ``count`` items of the ``limit`` kept ones, int64 ``(min(count, limit),)``,
    ascending; all of them when ``limit`` is None or not below ``count``.

    ``classes``: the class of each item (ints or strings, ``(count,)``) to stratify by.
    """
    if classes is not None and len(classes) != count:
        raise ValueError(f"{len(classes)} classes for {count} items")
    if limit is None or limit >= count:
        return np.arange(count, dtype=np.int64)
    rng = np.random.default_rng(seed)
    if classes is None:
        return np.sort(rng.choice(count, size=limit, replace=False)).astype(np.int64)
    values, inverse = np.unique(np.asarray(classes), return_inverse=True)
    members = [np.flatnonzero(inverse == k) for k in range(len(values))]
    quotas = class_quotas(np.array([len(m) for m in members]), limit)
    kept = [rng.permutation(m)[:q] for m, q in zip(members, quotas, strict=True)]
    return np.sort(np.concatenate(kept)).astype(np.int64)


def class_quotas(sizes: np.ndarray, limit: int) -> np.ndarray:
    """How many of each class to keep, int64 ``(C,)`` for class sizes ``(C,)``: proportional to
    ``sizes`` and summing to ``limit`` (at most ``sizes.sum()``). The seats left after rounding
    down go to the largest remainders; ties to the larger class, then the earlier one."""
    sizes = np.asarray(sizes, np.int64)
    # Integer arithmetic: quota + remainder / total is the exact share, with no rounding error.
    quotas, remainders = np.divmod(sizes * limit, sizes.sum())
    order = np.lexsort((np.arange(len(sizes)), -sizes, -remainders))
    quotas[order[:limit - quotas.sum()]] += 1
    return quotas
