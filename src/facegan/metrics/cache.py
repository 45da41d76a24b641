"""On-disk cache of real-image features, so each dataset + extractor is measured once.

Files live in ``models/<Dataset>/.fidcache/`` (beside the runs of that dataset) as
``<extractor>-<num_real>-<key>.safetensors``. The key hashes everything that changes the
features: the data section (source, split, size, limit), the extractor and its weights' SHA-256,
the resize method, the number of images and the seed that picked them. A stale entry therefore
never matches; delete the folder to reclaim the space.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save as safetensors_bytes

from facegan.runs import atomic_file

# /2: data.limit keeps a seeded (stratified) subset, no longer the first N images
CACHE_FORMAT = "facegan.real-features/2"
log = logging.getLogger(__name__)


def cache_file(cache_dir: Path, identity: dict[str, Any]) -> Path:
    text = json.dumps({"format": CACHE_FORMAT, **identity}, sort_keys=True, default=str)
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{identity['features']}-{identity['num_real']}-{key}.safetensors"


def load_cached(path: Path) -> torch.Tensor | None:
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as handle:
            return handle.get_tensor("features")
    except Exception:  # a torn or foreign file is recomputed, never trusted
        return None


def store(path: Path, features: torch.Tensor, identity: dict[str, Any]) -> bool:
    """Write atomically (`facegan.runs.atomic_file`) so readers never see half a file; True
    when stored. The cache only saves time: a full disk or a read-only folder is a warning,
    and the features are measured again next time."""
    data = safetensors_bytes({"features": features.contiguous()},
                             metadata={"identity": json.dumps(identity, sort_keys=True,
                                                              default=str)})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        log.warning("could not cache the real-image features in %s (%s); they will be "
                    "measured again next time", path, exc.strerror or exc)
        return False
    return True
