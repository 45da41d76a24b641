"""Generation modes: what a trained generator can show beyond a random grid.

Every mode draws its noise on the CPU from a seed (the same seed gives the same pictures on any
device) and returns `ImageRows`: ``(R, K, C, H, W)`` images in [-1, 1] with row and column
captions, drawn by `facegan.viz.compose.labelled_grid`.

- ``per-label``: the same K noise vectors under every label value (one row per class, or per
  attribute switched on alone);
- ``change-attr``: K noise vectors (rows) while one attribute goes from 0 to 1 (columns), the
  other attributes held at the base set;
- ``interpolate``: K paths from the noise of ``seed`` to the noise of ``end_seed`` (columns are
  the steps). ``slerp`` (the default) follows the great circle: Gaussian noise in d dimensions
  lies near the sphere of radius sqrt(d), and the straight line (``lerp``) cuts inside it, where
  the generator saw no noise during training (White 2016, "Sampling generative networks");
- ``embedding``: one row of K faces per given embedding, the same K noise vectors in each row.

The conditioning is `facegan.conditions.ConditionSpec`, read from the generator's saved
`DataInfo`: c is ``(N,)`` class indices, ``(N, L)`` multi-hot floats or ``(N, D)`` embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import nn

from facegan.conditions import ConditionSpec
from facegan.errors import FaceganError

MODES = ("grid", "per-label", "change-attr", "interpolate", "embedding")
Method = Literal["slerp", "lerp"]


def label_indices(cond: ConditionSpec, names: Sequence[str]) -> list[int]:
    """Label names -> indices; an unknown name is an error listing the valid ones."""
    if cond.kind not in ("class", "multilabel"):
        raise FaceganError(f"--label needs a model trained with labels; this generator is "
                           f"{described(cond)}")
    unknown = [name for name in names if name not in cond.label_names]
    if unknown:
        raise FaceganError(f"unknown label {unknown[0]!r}; valid labels: "
                           f"{', '.join(cond.label_names)}")
    return [cond.label_names.index(name) for name in names]


def described(cond: ConditionSpec) -> str:
    return {"none": "unconditional", "class": "class-conditional",
            "multilabel": "attribute-conditional", "embedding": "embedding-conditional"}[cond.kind]


@dataclass
class ImageRows:
    images: torch.Tensor  # (R, K, C, H, W) in [-1, 1]
    row_labels: list[str]
    column_labels: list[str] | None
    title: str


def seeded_noise(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """``(n, latent_dim)`` standard normal noise drawn on the CPU from ``seed``."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def default_conditions(cond: ConditionSpec, n: int, seed: int,
                       labels: Sequence[str] = ()) -> torch.Tensor | None:
    """Conditions for ``n`` images when the mode does not vary them.

    class: the named class, else the classes in turn; multilabel: the named attributes on and
    the rest off, else each attribute on with probability 1/2 (drawn from ``seed``).
    """
    if cond.kind == "none":
        if labels:
            label_indices(cond, labels)  # raises: no labels on this model
        return None
    if cond.kind == "embedding":
        raise FaceganError("this generator is conditioned on embeddings: use --mode embedding "
                           "--embedding FILE.npy")
    indices = label_indices(cond, labels)
    if cond.kind == "class":
        if len(indices) > 1:
            raise FaceganError(f"a class-conditional model takes one --label (got {len(indices)})")
        return torch.full((n,), indices[0]) if indices else torch.arange(n) % len(cond.label_names)
    if labels:
        return multi_hot(indices, len(cond.label_names)).expand(n, -1).clone()
    generator = torch.Generator().manual_seed(seed + 1)
    return torch.bernoulli(torch.full((n, len(cond.label_names)), 0.5), generator=generator)


def multi_hot(indices: Sequence[int], size: int) -> torch.Tensor:
    vector = torch.zeros(size)
    vector[list(indices)] = 1.0
    return vector


@torch.no_grad()
def run_generator(generator: nn.Module, z: torch.Tensor, c: torch.Tensor | None,
                  device: torch.device, batch_size: int = 64) -> torch.Tensor:
    """``G(z, c)`` in chunks; returns ``(N, C, H, W)`` on the CPU."""
    generator = generator.to(device).eval()
    chunks = []
    for start in range(0, len(z), batch_size):
        zs = z[start:start + batch_size].to(device)
        cs = None if c is None else c[start:start + batch_size].to(device)
        chunks.append((generator(zs) if cs is None else generator(zs, cs)).cpu())
    return torch.cat(chunks)


def grid(generator: nn.Module, cond: ConditionSpec, n: int, seed: int, device: torch.device,
         labels: Sequence[str] = ()) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)``; for an unconditional model the same as
    `facegan.sampling.generate_images` with this seed."""
    _check_count(n)
    z = seeded_noise(n, generator.latent_dim, seed)
    return run_generator(generator, z, default_conditions(cond, n, seed, labels), device)


def per_label(generator: nn.Module, cond: ConditionSpec, n: int, seed: int, device: torch.device,
              labels: Sequence[str] = ()) -> ImageRows:
    """One row per label value (all, or those named), the same ``n`` noise vectors in each."""
    _check_count(n)
    if cond.kind not in ("class", "multilabel"):
        raise FaceganError(f"--mode per-label needs a model trained with labels; this generator "
                           f"is {described(cond)} (use --mode grid)")
    indices = label_indices(cond, labels) if labels else list(range(len(cond.label_names)))
    z = seeded_noise(n, generator.latent_dim, seed).repeat(len(indices), 1)  # (R*n, latent)
    if cond.kind == "class":
        c = torch.tensor(indices).repeat_interleave(n)  # (R*n,)
    else:
        c = torch.stack([multi_hot([i], len(cond.label_names)) for i in indices])
        c = c.repeat_interleave(n, dim=0)  # (R*n, L)
    images = run_generator(generator, z, c, device)
    return ImageRows(images.unflatten(0, (len(indices), n)),
                     [cond.label_names[i] for i in indices], None, "same noise, every label")


def change_attribute(generator: nn.Module, cond: ConditionSpec, n: int, seed: int,
                     device: torch.device, attribute: str, base: Sequence[str] = (),
                     steps: int = 5) -> ImageRows:
    """Rows: ``n`` noise vectors; columns: ``attribute`` from 0 to 1 in ``steps`` steps while
    the other attributes stay at ``base`` (the attributes named there on, the rest off)."""
    _check_count(n)
    if cond.kind != "multilabel":
        hint = " (use --mode per-label to change the class)" if cond.kind == "class" else ""
        raise FaceganError(f"--mode change-attr needs a model trained with attributes; this "
                           f"generator is {described(cond)}{hint}")
    if steps < 2:
        raise FaceganError(f"--steps must be at least 2 (got {steps})")
    (index,) = label_indices(cond, [attribute])
    values = torch.linspace(0, 1, steps)
    c = multi_hot(label_indices(cond, base), len(cond.label_names)).repeat(n * steps, 1)
    c[:, index] = values.repeat(n)  # row-major: noise i, then every value
    z = seeded_noise(n, generator.latent_dim, seed).repeat_interleave(steps, dim=0)
    images = run_generator(generator, z, c, device)
    kept = ", ".join(base) if base else "no other attribute"
    return ImageRows(images.unflatten(0, (n, steps)), [f"seed {seed} #{i}" for i in range(n)],
                     [f"{attribute} {v:.2g}" for v in values.tolist()],
                     f"{attribute} from 0 to 1, {kept}")


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows of ``a`` and ``b`` ``(N, D)`` at fractions ``t``
    ``(T,)`` -> ``(N, T, D)``; falls back to lerp for (nearly) parallel vectors."""
    a_unit, b_unit = nn.functional.normalize(a, dim=1), nn.functional.normalize(b, dim=1)
    omega = torch.arccos((a_unit * b_unit).sum(1).clamp(-1, 1))[:, None]  # (N, 1)
    sin = torch.sin(omega)
    t = t[None, :]  # (1, T)
    parallel = sin.abs() < 1e-6
    safe = torch.where(parallel, torch.ones_like(sin), sin)
    wa = torch.where(parallel, 1 - t, torch.sin((1 - t) * omega) / safe)  # (N, T)
    wb = torch.where(parallel, t, torch.sin(t * omega) / safe)
    return wa[..., None] * a[:, None] + wb[..., None] * b[:, None]


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Straight-line interpolation ``(N, D), (N, D), (T,) -> (N, T, D)``."""
    t = t[None, :, None]
    return (1 - t) * a[:, None] + t * b[:, None]


def interpolate(generator: nn.Module, cond: ConditionSpec, n: int, seed: int,
                device: torch.device, steps: int = 8, end_seed: int | None = None,
                method: Method = "slerp", labels: Sequence[str] = ()) -> ImageRows:
    """``n`` rows, each a path of ``steps`` images from noise drawn with ``seed`` to noise drawn
    with ``end_seed`` (default ``seed + 1``); a conditional model keeps each row's label."""
    _check_count(n)
    if steps < 2:
        raise FaceganError(f"--steps must be at least 2 (got {steps})")
    end_seed = seed + 1 if end_seed is None else end_seed
    if end_seed == seed:
        raise FaceganError("--end-seed must differ from --seed, or there is nothing to "
                           "interpolate")
    start = seeded_noise(n, generator.latent_dim, seed)
    end = seeded_noise(n, generator.latent_dim, end_seed)
    t = torch.linspace(0, 1, steps)
    z = {"slerp": slerp, "lerp": lerp}[method](start, end, t).flatten(0, 1)  # (n*steps, latent)
    c = default_conditions(cond, n, seed, labels)
    if c is not None:
        c = c.repeat_interleave(steps, dim=0)
    images = run_generator(generator, z, c, device)
    return ImageRows(images.unflatten(0, (n, steps)), [f"#{i}" for i in range(n)],
                     [f"t={v:.2g}" for v in t.tolist()],
                     f"{method} from seed {seed} to seed {end_seed}")


def embedding_rows(generator: nn.Module, cond: ConditionSpec, n: int, seed: int,
                   device: torch.device, embeddings: torch.Tensor,
                   names: Sequence[str] | None = None) -> ImageRows:
    """One row of ``n`` faces per embedding ``(E, D)``; the same noise in every row."""
    _check_count(n)
    if cond.kind != "embedding":
        raise FaceganError(f"--mode embedding needs a model conditioned on embeddings; this "
                           f"generator is {described(cond)}")
    if embeddings.dim() == 1:
        embeddings = embeddings[None]
    if embeddings.dim() != 2 or embeddings.shape[1] != cond.embedding_dim:
        raise FaceganError(f"embeddings of shape {tuple(embeddings.shape)} do not fit this "
                           f"generator; it takes (E, {cond.embedding_dim}) or "
                           f"({cond.embedding_dim},)")
    count = len(embeddings)
    z = seeded_noise(n, generator.latent_dim, seed).repeat(count, 1)
    c = embeddings.float().repeat_interleave(n, dim=0)  # (E*n, D)
    images = run_generator(generator, z, c, device)
    return ImageRows(images.unflatten(0, (count, n)),
                     list(names) if names else [f"embedding {i}" for i in range(count)], None,
                     "one embedding per row, the same noise in each column")


def load_embeddings(path: Path) -> torch.Tensor:
    """Read ``(E, D)`` or ``(D,)`` embeddings from a ``.npy`` or ``.pt`` file."""
    if not path.is_file():
        raise FaceganError(f"embedding file {path} not found")
    if path.suffix == ".npy":
        return torch.from_numpy(np.load(path, allow_pickle=False)).float()
    if path.suffix == ".pt":
        value = torch.load(path, weights_only=True, map_location="cpu")
        if isinstance(value, torch.Tensor):
            return value.float()
    raise FaceganError(f"{path}: pass embeddings as a .npy array or a .pt tensor of shape "
                       "(E, D) or (D,)")


def _check_count(n: int) -> None:
    if n < 1:
        raise FaceganError(f"-n must be at least 1 (got {n})")
