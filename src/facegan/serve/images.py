"""Seeds -> latent noise -> images -> PNG bytes, all in memory.

The noise is drawn exactly as `facegan.methods.base.SamplingModel.noise` draws it, so a seed
gives the same images here as ``facegan generate --seed``; truncation only redraws the entries
that fall outside ``[-truncation, truncation]``.
"""

from __future__ import annotations

import base64
import io

import torch
from PIL import Image

from facegan.sampling import generation
from facegan.viz.grids import grid_columns, tile


def latent_noise(n: int, shape: int | tuple[int, ...], rng: torch.Generator,
                 truncation: float | None) -> torch.Tensor:
    """``(n, *shape)`` standard normal noise drawn from ``rng`` (a latent vector of ``shape``
    numbers, or a diffusion model's noise image), optionally truncated."""
    z = torch.randn(n, *((shape,) if isinstance(shape, int) else shape), generator=rng)
    if truncation is not None:
        outside = z.abs() > truncation
        while outside.any():
            z[outside] = torch.randn(int(outside.sum()), generator=rng)
            outside = z.abs() > truncation
    return z


def seeded(seed: int) -> torch.Generator:
    """The CPU generator that `facegan.sampling.generate_images` draws its noise from."""
    return torch.Generator().manual_seed(seed)


def slerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points from ``a`` to ``b`` (both of one shape, e.g. ``(D,)``) along the great
    circle, ``(steps, *shape)`` (`facegan.sampling.generation.slerp`, as ``facegan generate
    --mode interpolate``)."""
    path = generation.slerp(a.flatten()[None], b.flatten()[None], torch.linspace(0, 1, steps))
    return path[0].reshape(steps, *a.shape)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """``(N, C, H, W)`` in [-1, 1] -> uint8, rounded as torchvision's save_image rounds."""
    return ((images + 1) * 127.5 + 0.5).clamp_(0, 255).to(torch.uint8)


def png_bytes(images: torch.Tensor, nrow: int | None = None) -> bytes:
    """One PNG: the image itself when ``N == 1``, else a grid (square-ish unless ``nrow``)."""
    pixels = to_uint8(images)
    if len(pixels) > 1:
        pixels = tile(pixels, nrow=nrow or grid_columns(len(pixels)), padding=2)
    else:
        pixels = pixels[0]
    array = pixels.permute(1, 2, 0).numpy()  # (H, W, C) for PIL
    buffer = io.BytesIO()
    Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(buffer, format="PNG")
    return buffer.getvalue()


def png_base64_list(images: torch.Tensor) -> list[str]:
    return [base64.b64encode(png_bytes(image[None])).decode("ascii") for image in images]
