"""SynthFaces in memory: the procedural face set drawn by `facegan.data.synthfaces.generate`.

The images depend only on ``(n, image_size, seed)``, how people are shared and the renderer's
code, so they are drawn once into the decoded-image cache (keyed by those and a hash of the
renderer's source files) and read from there by later runs. ``attributes`` picks the labels:
names from `ATTRIBUTE_NAMES` are 0/1 attributes, ``hair_color`` and ``eye_color`` are tags (a
one-hot group each; alone, a class per image), encoded as `facegan.data.labels` describes. With
``identity_embedding`` each label is instead the image's identity vector (float32 ``(D,)``,
`facegan.data.synthfaces_identity`), for embedding-conditioned models. The dataset's
``identities`` (int64 ``(N,)``) says which person each image shows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import v2
from tqdm import tqdm

from facegan.data import synthfaces
from facegan.data.cache import cached_images, stable_hash
from facegan.data.configs import SynthFacesConfig
from facegan.data.decoded_dataset import DataReport, DecodedImageDataset
from facegan.data.labels import encode_columns
from facegan.data.synthfaces_identity import IDENTITY_FEATURES, identity_vectors
from facegan.data.transforms import ImageTransform
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.registry import register_dataset

CHUNK = 256  # images drawn per call of `generate`: bounds memory at any n
NOT_RENDERER = ("synthfaces_dataset.py", "synthfaces_identity.py")  # labels, not pixels


def renderer_version() -> str:
    """A hash of the renderer's source, so a changed drawing rebuilds cached images."""
    digest = hashlib.sha256()
    here = Path(__file__)
    for module in sorted(here.parent.glob("synthfaces*.py")):  # the renderer's modules
        if module.name not in NOT_RENDERER:
            digest.update(module.name.encode() + module.read_bytes())
    return digest.hexdigest()[:16]


@register_dataset("synthfaces")
def build_synthfaces(cfg: SynthFacesConfig) -> DecodedImageDataset:
    valid = (*synthfaces.ATTRIBUTE_NAMES, *synthfaces.TAG_NAMES)
    unknown = [a for a in cfg.attributes if a not in valid]
    if unknown:
        raise FaceganError(f"unknown SynthFaces attribute {unknown[0]!r}; valid names: "
                           f"{', '.join(valid)}")
    if cfg.identity_embedding and cfg.attributes:
        raise FaceganError("synthfaces: identity_embedding makes each label an identity vector, "
                           "so attributes cannot be labels too; drop data.attributes or set "
                           "data.identity_embedding=false")
    if cfg.num_identities is not None and cfg.images_per_identity is not None:
        raise FaceganError("synthfaces takes data.num_identities or data.images_per_identity, "
                           "not both; drop one of them")
    transform = ImageTransform(image_size=cfg.image_size, channels=cfg.channels, hflip=cfg.hflip)
    recipe = {"n": cfg.n, "seed": cfg.seed, "num_identities": cfg.num_identities,
              "transform": transform.cache_key()}
    if cfg.images_per_identity is not None:  # absent otherwise: older cache entries stay valid
        recipe["images_per_identity"] = cfg.images_per_identity
    shape = (cfg.n, cfg.channels, cfg.image_size, cfg.image_size)
    # A new renderer version replaces the entry of the same recipe; other recipes stay.
    cached = cached_images(Path(cfg.cache_dir) if cfg.cache else None,
                           f"synthfaces-{stable_hash(recipe, 8)}",
                           {"renderer": renderer_version(), **recipe}, shape,
                           lambda images: _draw_into(images, cfg))
    results = cached.results
    identities = np.asarray(results["identities"], np.int64)
    if cfg.identity_embedding:
        values = torch.from_numpy(identity_vectors(cfg.seed, identities))  # (N, D) float32
        info = DataInfo(name=cfg.display_name, image_size=cfg.image_size,
                        channels=cfg.channels, label_kind="embedding",
                        embedding_dim=len(IDENTITY_FEATURES))
    else:
        values, info = _attribute_labels(results, cfg)
    report = DataReport(source=f"SynthFaces (n={cfg.n}, seed={cfg.seed})", num_files=cfg.n,
                        source_sizes={f"{cfg.image_size}x{cfg.image_size}": cfg.n},
                        cache=str(cached.path) if cached.path else None)
    dataset = DecodedImageDataset(cached.images, np.arange(cfg.n), values, info,
                                  item_transform=transform.item_stage(),
                                  images_path=cached.path, report=report)
    dataset.identities = torch.from_numpy(identities)
    return dataset


def _attribute_labels(results: dict[str, np.ndarray],
                      cfg: SynthFacesConfig) -> tuple[torch.Tensor | None, DataInfo]:
    table = {name: results["attributes"][:, i].astype(str)
             for i, name in enumerate(synthfaces.ATTRIBUTE_NAMES)}
    for tag in synthfaces.TAG_NAMES:
        table[tag] = np.asarray(synthfaces.TAG_VALUES[tag])[results[tag]]
    labels = encode_columns({k: v.tolist() for k, v in table.items()}, list(cfg.attributes),
                            "SynthFaces")
    info = DataInfo(name=cfg.display_name, image_size=cfg.image_size, channels=cfg.channels,
                    label_names=labels.names, label_kind=labels.kind)
    return labels.values, info


def _draw_into(images: np.ndarray, cfg: SynthFacesConfig) -> dict[str, np.ndarray]:
    """Draw all images into ``images`` (N, C, S, S); returns their labels and identities."""
    attributes = np.empty((cfg.n, len(synthfaces.ATTRIBUTE_NAMES)), np.int8)
    tags = {tag: np.empty(cfg.n, np.int64) for tag in synthfaces.TAG_NAMES}
    identities = np.empty(cfg.n, np.int64)
    to_gray = v2.Grayscale(num_output_channels=1)
    with tqdm(total=cfg.n, unit="img", desc="SynthFaces", leave=False, disable=None) as bar:
        for start in range(0, cfg.n, CHUNK):
            count = min(CHUNK, cfg.n - start)
            batch = synthfaces.generate(count, cfg.image_size, cfg.seed, cfg.num_identities,
                                        cfg.images_per_identity, start=start)
            pixels = torch.from_numpy(batch.images).permute(0, 3, 1, 2)  # (B, 3, S, S)
            if cfg.channels == 1:
                pixels = to_gray(pixels)
            images[start:start + count] = pixels.numpy()
            attributes[start:start + count] = batch.attributes
            for tag in tags:
                tags[tag][start:start + count] = batch.tags[tag]
            identities[start:start + count] = batch.identities
            bar.update(count)
    return {"attributes": attributes, "identities": identities, **tags}
