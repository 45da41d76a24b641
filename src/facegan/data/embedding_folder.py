"""Face crops with their face embeddings, as ``facegan data faces --embed`` writes them::

    <root>/images/*.png      the face crops
    <root>/manifest.csv      one row per face; its "image" column is the file, relative to root
    <root>/embeddings.npy    float32 (N, D): row i is the embedding of manifest row i

Each item's label is its embedding, float32 ``(D,)`` (``label_kind "embedding"``,
``DataInfo.embedding_dim = D``), the condition of identity-conditioned models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from facegan.conditions import load_npy
from facegan.data.configs import EmbeddingFolderConfig
from facegan.data.decode import decode_files, resolve_cache_dir
from facegan.data.decoded_dataset import DecodedImageDataset, dataset_from_files
from facegan.data.image_folder import check_root, read_csv_table
from facegan.data.subset import limited_rows
from facegan.data.transforms import ImageTransform
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.registry import register_dataset

MANIFEST_FILE, EMBEDDINGS_FILE, IMAGE_COLUMN = "manifest.csv", "embeddings.npy", "image"
MAKE_HINT = "create it with: facegan data faces --src PHOTOS --out {root} --embed"


@register_dataset("embedding_folder")
def build_embedding_folder(cfg: EmbeddingFolderConfig) -> DecodedImageDataset:
    root = Path(cfg.root)
    hint = MAKE_HINT.format(root=root)
    check_root(root, "face folder", hint)
    manifest_path, embeddings_path = root / MANIFEST_FILE, root / EMBEDDINGS_FILE
    if not manifest_path.is_file():
        raise FaceganError(f"{manifest_path} not found; {hint}")
    if not embeddings_path.is_file():
        raise FaceganError(f"{embeddings_path} not found (the faces were not embedded); re-run "
                           f"facegan data faces with --embed on {root}")
    table = read_csv_table(manifest_path)
    if IMAGE_COLUMN not in table:
        raise FaceganError(f"{manifest_path} has no '{IMAGE_COLUMN}' column; {hint}")
    try:
        embeddings = load_npy(embeddings_path)
    except (OSError, ValueError) as exc:
        raise FaceganError(f"cannot read {embeddings_path} ({exc}); {hint}") from None
    names = table[IMAGE_COLUMN]
    if embeddings.ndim != 2 or len(embeddings) != len(names):
        raise FaceganError(f"{embeddings_path} holds {embeddings.shape} but {manifest_path} "
                           f"lists {len(names)} faces; they are out of step, {hint}")
    rows = [r for r, name in enumerate(names) if (root / name).is_file()]
    rows = [rows[i] for i in limited_rows(len(rows), cfg.limit)]
    if not rows:
        raise FaceganError(f"none of the images listed in {manifest_path} exist; {hint}")
    notes = [f"{len(names) - len(rows)} listed faces are missing or beyond the limit"] \
        if len(rows) < len(names) else []
    transform = ImageTransform(image_size=cfg.image_size, channels=cfg.channels, crop=cfg.crop,
                               crop_size=cfg.crop_size, hflip=cfg.hflip)
    decoded = decode_files([root / names[r] for r in rows], root, transform,
                           resolve_cache_dir(cfg.cache, cfg.cache_dir, root), "embedding_folder")
    info = DataInfo(name=cfg.display_name, image_size=cfg.image_size, channels=cfg.channels,
                    label_kind="embedding", embedding_dim=int(embeddings.shape[1]))
    labels = torch.from_numpy(np.ascontiguousarray(embeddings[rows], dtype=np.float32))
    return dataset_from_files(decoded, labels, info, transform, str(root), notes)
