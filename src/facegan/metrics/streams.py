"""Streaming images through measuring networks in batches, with a progress bar.

Only one batch of images exists at a time; what is kept is each network's output per image
(features ``(N, D)``, logits ``(N, L)``), so memory grows with N times the output size, never
with N times the image size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from facegan.errors import FaceganError

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


def draw_labels(dataset: Dataset, n: int, seed: int) -> torch.Tensor:
    """Labels of ``n`` real images drawn with replacement: conditions for a label-conditioned
    generator that follow the data's own label distribution. ``(n,)`` or ``(n, L)``."""
    picks = torch.randint(len(dataset), (n,), generator=torch.Generator().manual_seed(seed))
    labels = getattr(dataset, "labels", None)
    if isinstance(labels, torch.Tensor):
        return labels[picks]
    return torch.stack([torch.as_tensor(dataset[i][1]) for i in picks.tolist()])


def generated_batches(generator: nn.Module, n: int, batch_size: int, seed: int,
                      device: torch.device,
                      conditions: torch.Tensor | None = None) -> Iterator[torch.Tensor]:
    """``n`` generated images in batches ``(B, C, H, W)`` in [-1, 1]; noise drawn on the CPU
    from ``seed``. ``conditions[i]`` (a class index, multi-hot row or embedding) is passed as
    ``c`` for image ``i``; None calls ``generator(z)``."""
    noise_rng = torch.Generator().manual_seed(seed)
    for start in range(0, n, batch_size):
        count = min(batch_size, n - start)
        z = torch.randn(count, generator.latent_dim, generator=noise_rng).to(device)
        if conditions is None:
            yield generator(z)
        else:
            yield generator(z, conditions[start:start + count].to(device))


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
