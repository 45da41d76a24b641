"""Generation modes: what a trained model can show beyond a random grid.

Every mode draws its noise with the model's own sampler on the CPU from a seed (the same seed
gives the same pictures on any device) and decodes it through `SamplingModel.draw`, the one
sampling path; it returns `ImageRows`: ``(R, K, C, H, W)`` images in [-1, 1] with row and column
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

The conditioning is the model's `facegan.conditions.ConditionSpec`, read from its saved
`DataInfo`: c is ``(N,)`` class indices, ``(N, L)`` multi-hot floats or ``(N, D)`` embeddings.
Interpolation works on the noise, whatever its shape (a latent vector or a noise image).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from facegan.conditions import multi_hot
from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel

MODES = ("grid", "per-label", "change-attr", "interpolate", "embedding")
Method = Literal["slerp", "lerp"]
DEFAULT_COUNT = 64  # -n when it is not given: images of a grid, or images per row
# change-attr's and interpolate's n is their number of rows (of --steps images each): 64 made a
# picture 4000+ px high
DEFAULT_COUNTS = {"change-attr": 8, "interpolate": 8}


def default_count(mode: str) -> int:
    """``n`` for ``mode`` when the user gives none."""
    return DEFAULT_COUNTS.get(mode, DEFAULT_COUNT)


@dataclass
class ImageRows:
    images: torch.Tensor  # (R, K, C, H, W) in [-1, 1]
    row_labels: list[str]
    column_labels: list[str] | None
    title: str


def grid(model: SamplingModel, n: int, seed: int, device: torch.device,
         labels: Sequence[str] = ()) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)``; for an unconditional model the same as
    `facegan.sampling.generate_images` with this seed."""
    _check_count(n)
    cond = model.condition
    z = model.seeded_noise(n, seed)
    return _draw(model, z, cond.for_names(n, seed, labels), device)


def per_label(model: SamplingModel, n: int, seed: int, device: torch.device,
              labels: Sequence[str] = ()) -> ImageRows:
    """One row per label value (all, or those named), the same ``n`` noise vectors in each."""
    _check_count(n)
    cond = model.condition
    if cond.kind not in ("class", "multilabel"):
        raise FaceganError(f"--mode per-label needs a model trained with labels; this generator "
                           f"is {cond.described} (use --mode grid)")
    indices = cond.label_indices(labels) if labels else list(range(len(cond.label_names)))
    z = _tile(model.seeded_noise(n, seed), len(indices))  # (R*n, *noise)
    if cond.kind == "class":
        c = torch.tensor(indices).repeat_interleave(n)  # (R*n,)
    else:
        c = torch.stack([multi_hot([i], len(cond.label_names)) for i in indices])
        c = c.repeat_interleave(n, dim=0)  # (R*n, L)
    images = _draw(model, z, c, device)
    return ImageRows(images.unflatten(0, (len(indices), n)),
                     [cond.label_names[i] for i in indices], None, "same noise, every label")


def change_attribute(model: SamplingModel, n: int, seed: int, device: torch.device,
                     attribute: str, base: Sequence[str] = (),
                     steps: int = 5) -> ImageRows:
    """Rows: ``n`` noise vectors; columns: ``attribute`` from 0 to 1 in ``steps`` steps while
    the other attributes stay at ``base`` (the attributes named there on, the rest off)."""
    _check_count(n)
    cond = model.condition
    if cond.kind != "multilabel":
        hint = " (use --mode per-label to change the class)" if cond.kind == "class" else ""
        raise FaceganError(f"--mode change-attr needs a model trained with attributes; this "
                           f"generator is {cond.described}{hint}")
    if steps < 2:
        raise FaceganError(f"--steps must be at least 2 (got {steps})")
    (index,) = cond.label_indices([attribute])
    values = torch.linspace(0, 1, steps)
    c = multi_hot(cond.label_indices(base), len(cond.label_names)).repeat(n * steps, 1)
    c[:, index] = values.repeat(n)  # row-major: noise i, then every value
    z = model.seeded_noise(n, seed).repeat_interleave(steps, dim=0)
    images = _draw(model, z, c, device)
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


def interpolate(model: SamplingModel, n: int, seed: int, device: torch.device, steps: int = 8,
                end_seed: int | None = None,
                method: Method = "slerp", labels: Sequence[str] = ()) -> ImageRows:
    """``n`` rows, each a path of ``steps`` images from noise drawn with ``seed`` to noise drawn
    with ``end_seed`` (default ``seed + 1``); a conditional model keeps each row's label."""
    _check_count(n)
    cond = model.condition
    if steps < 2:
        raise FaceganError(f"--steps must be at least 2 (got {steps})")
    end_seed = seed + 1 if end_seed is None else end_seed
    if end_seed == seed:
        raise FaceganError("--end-seed must differ from --seed, or there is nothing to "
                           "interpolate")
    start = model.seeded_noise(n, seed)
    end = model.seeded_noise(n, end_seed)
    t = torch.linspace(0, 1, steps)
    path = {"slerp": slerp, "lerp": lerp}[method](start.flatten(1), end.flatten(1), t)
    z = path.flatten(0, 1).reshape(n * steps, *start.shape[1:])  # (n*steps, *noise)
    c = cond.for_names(n, seed, labels)
    if c is not None:
        c = c.repeat_interleave(steps, dim=0)
    images = _draw(model, z, c, device)
    return ImageRows(images.unflatten(0, (n, steps)), [f"#{i}" for i in range(n)],
                     [f"t={v:.2g}" for v in t.tolist()],
                     f"{method} from seed {seed} to seed {end_seed}")


def embedding_rows(model: SamplingModel, n: int, seed: int, device: torch.device,
                   embeddings: torch.Tensor,
                   names: Sequence[str] | None = None) -> ImageRows:
    """One row of ``n`` faces per embedding ``(E, D)``; the same noise in every row."""
    _check_count(n)
    cond = model.condition
    if cond.kind != "embedding":
        raise FaceganError(f"--mode embedding needs a model conditioned on embeddings; this "
                           f"generator is {cond.described}")
    if embeddings.dim() == 1:
        embeddings = embeddings[None]
    if embeddings.dim() != 2 or embeddings.shape[1] != cond.embedding_dim:
        raise FaceganError(f"embeddings of shape {tuple(embeddings.shape)} do not fit this "
                           f"generator; it takes (E, {cond.embedding_dim}) or "
                           f"({cond.embedding_dim},)")
    count = len(embeddings)
    z = _tile(model.seeded_noise(n, seed), count)
    c = embeddings.float().repeat_interleave(n, dim=0)  # (E*n, D)
    images = _draw(model, z, c, device)
    return ImageRows(images.unflatten(0, (count, n)),
                     list(names) if names else [f"embedding {i}" for i in range(count)], None,
                     "one embedding per row, the same noise in each column")


def mode_rows(model: SamplingModel, mode: str, n: int, seed: int, device: torch.device, *,
              labels: Sequence[str] = (), attribute: str | None = None, steps: int = 8,
              end_seed: int | None = None, method: Method = "slerp",
              embeddings: torch.Tensor | None = None) -> ImageRows:
    """The rows of a mode other than ``grid``, with the options ``facegan generate`` takes."""
    if mode == "per-label":
        return per_label(model, n, seed, device, labels)
    if mode == "change-attr":
        if attribute is None:
            raise FaceganError("--mode change-attr needs --attr NAME (the attribute to change)")
        return change_attribute(model, n, seed, device, attribute, labels, steps)
    if mode == "interpolate":
        return interpolate(model, n, seed, device, steps, end_seed, method, labels)
    if mode == "embedding":
        if embeddings is None:
            raise FaceganError("--mode embedding needs --embedding FILE (.npy or .pt, shape "
                               "(E, D) or (D,))")
        return embedding_rows(model, n, seed, device, embeddings)
    raise FaceganError(f"unknown --mode {mode!r}; valid modes: {', '.join(MODES)}")


def _tile(noise: torch.Tensor, times: int) -> torch.Tensor:
    """``(n, *shape)`` -> ``(times * n, *shape)``: the same n noises, ``times`` over."""
    return noise.repeat(times, *([1] * (noise.dim() - 1)))


def _draw(model: SamplingModel, noise: torch.Tensor, c: torch.Tensor | None,
          device: torch.device) -> torch.Tensor:
    return model.to(device).draw(noise, c)


def _check_count(n: int) -> None:
    if n < 1:
        raise FaceganError(f"-n must be at least 1 (got {n})")
