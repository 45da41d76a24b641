"""Streaming images through measuring networks in batches, with a progress bar.

Only one batch of images exists at a time; what is kept is each network's output per image
(features ``(N, D)``, logits ``(N, L)``), so memory grows with N times the output size, never
with N times the image size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel

Heads = Callable[[torch.Tensor], dict[str, torch.Tensor]]  # images -> named (N, ...) outputs


def real_indices(dataset: Dataset, n: int, seed: int) -> list[int]:
    """``n`` distinct images of ``dataset``, chosen by ``seed`` (the same for every epoch)."""
    if n > len(dataset):
        raise FaceganError(f"asked for {n} real images but the dataset has {len(dataset)}; "
                           "lower --num-real")
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    return order[:n].tolist()


def real_batches(dataset: Dataset, indices: list[int],
                 batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(images (B, C, H, W) in [-1, 1], labels)`` batches of the chosen real images."""
    # an explicit generator: a DataLoader would otherwise draw its seed from the global RNG,
    # and evaluating during training must not change the training's random stream
    yield from DataLoader(Subset(dataset, indices), batch_size=batch_size, shuffle=False,
                          generator=torch.Generator())


def generated_batches(model: SamplingModel, n: int, batch_size: int, seed: int,
                      conditions: torch.Tensor | None = None) -> Iterator[torch.Tensor]:
    """``n`` generated images in batches ``(B, C, H, W)`` in [-1, 1] on the model's device;
    noise drawn batch by batch on the CPU from ``seed``. ``conditions[i]`` (a class index,
    multi-hot row or embedding) is the ``c`` of image ``i``."""
    noise_rng = torch.Generator().manual_seed(seed)
    for start in range(0, n, batch_size):
        count = min(batch_size, n - start)
        c = None if conditions is None else conditions[start:start + count]
        yield model.decode(model.noise(count, noise_rng), c)


@torch.no_grad()
def collect(batches: Iterable[torch.Tensor], total: int, heads: Heads, *, desc: str,
            progress: bool) -> dict[str, torch.Tensor]:
    """Run every batch through ``heads`` and concatenate each named output on the CPU."""
    outputs: dict[str, list[torch.Tensor]] = defaultdict(list)
    with tqdm(total=total, desc=desc, unit="img", leave=False, disable=not progress) as bar:
        for images in batches:
            for name, value in heads(images).items():
                outputs[name].append(value.detach().float().cpu())
            bar.update(len(images))
    return {name: torch.cat(values) for name, values in outputs.items()}
