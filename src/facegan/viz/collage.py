"""Real versus generated: training images next to generated ones, at the same scale.

For a model trained with labels, the generated images get the labels of the real ones shown, so
each panel holds the same classes or attributes.
"""

from __future__ import annotations

import torch
from PIL import Image

from facegan.config import config_from_dict, read_yaml
from facegan.data.base import build_dataset
from facegan.errors import FaceganError
from facegan.runs import RunDir
from facegan.sampling import load_model
from facegan.viz.compose import labelled_grid, side_by_side, to_uint8
from facegan.viz.modes import square_rows


def real_vs_generated(run: RunDir, n: int = 16, seed: int = 0,
                      device: torch.device = torch.device("cpu")) -> Image.Image:
    """Two near-square grids of ``n`` images: random training images (from the run's
    config.yaml data section), and the run's latest generator's images."""
    config = config_from_dict(read_yaml(run.config_file))
    dataset = build_dataset(config.data)
    n = min(n, len(dataset))
    chosen = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:n]
    real, labels = zip(*(dataset[int(i)] for i in chosen), strict=True)
    model, _ = load_model(run.path)
    cond = model.condition
    conditions = torch.stack(labels) if cond.kind != "none" else None
    if cond.kind == "embedding" and tuple(conditions.shape) != (n, cond.embedding_dim):
        raise FaceganError(f"the dataset's labels {tuple(conditions.shape[1:])} are not the "
                           f"({cond.embedding_dim},) embeddings this generator takes")
    fake = model.to(device).draw(model.seeded_noise(n, seed), conditions)
    panels = [labelled_grid(to_uint8(square_rows(images)))
              for images in (torch.stack(real), fake)]
    titles = ["real", "generated, same labels" if conditions is not None else "generated"]
    return side_by_side(panels, titles)
