"""Labelled image layouts: rows of tiles with row and column captions, panels side by side.

Every generation mode, the progression and the real-vs-generated collage are drawn here so they
look alike. Inputs are ``uint8`` images ``(..., C, H, W)`` (use `to_uint8` on model outputs);
outputs are RGB PIL images whose geometry is fixed by `TileLayout`, so callers and tests can
compute their exact size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from facegan.runs import atomic_file

BACKGROUND = (255, 255, 255)
TEXT = (34, 34, 34)
PAD = 2  # pixels between tiles, as in the sample grids
MIN_TILE = 64  # small images (MNIST) are enlarged to at least this many pixels
LINE = 20  # height of one caption line
CAPTION_SIZE, TITLE_SIZE = 13, 14  # font sizes in pixels
MARGIN = 4  # pixels a caption line leaves free across its tile or the picture
BREAK_AFTER = "_=-/,"  # where a word wider than its line may break, as in hair_color=red


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """``[-1, 1]`` floats ``(..., C, H, W)`` -> uint8 ``[0, 255]`` of the same shape."""
    return images.detach().cpu().float().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)


@lru_cache(maxsize=8)
def font(size: int = CAPTION_SIZE) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def text_width(text: str, size: int = CAPTION_SIZE) -> int:
    return int(font(size).getlength(text))


def tile_scale(image_size: int) -> int:
    """Integer enlargement so a tile is at least `MIN_TILE` pixels (nearest neighbour)."""
    return max(1, -(-MIN_TILE // image_size))


def to_pil(image: torch.Tensor, scale: int = 1) -> Image.Image:
    """One uint8 image ``(C, H, W)`` (C = 1 or 3) -> an RGB PIL image enlarged ``scale`` times."""
    array = image.permute(1, 2, 0).numpy()
    pil = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).convert("RGB")
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.Resampling.NEAREST)
    return pil


@dataclass(frozen=True)
class TileLayout:
    """Geometry of a labelled grid: ``rows x columns`` tiles of ``tile`` pixels."""

    rows: int
    columns: int
    tile: int
    left: int  # width of the row-caption margin (0 without captions)
    top: int  # height of the title and column-caption band (0 without them)
    title_lines: tuple[str, ...] = ()  # the title, wrapped to the picture's width
    column_lines: tuple[tuple[str, ...], ...] = ()  # each column caption, wrapped to a tile

    @property
    def size(self) -> tuple[int, int]:
        return (self.left + self.columns * (self.tile + PAD) + PAD,
                self.top + self.rows * (self.tile + PAD) + PAD)

    def origin(self, row: int, column: int) -> tuple[int, int]:
        step = self.tile + PAD
        return self.left + PAD + column * step, self.top + PAD + row * step

    def header(self) -> list[tuple[tuple[int, int], str, int]]:
        """``((x, y), line, font size)`` of every line of the title and of the column captions,
        each centred (anchor ``mm``) on ``(x, y)``; a column's caption sits on its tile."""
        lines = [((self.size[0] // 2, LINE * i + LINE // 2), line, TITLE_SIZE)
                 for i, line in enumerate(self.title_lines)]
        for k, caption in enumerate(self.column_lines):
            x = self.origin(0, k)[0] + self.tile // 2
            lines += [((x, self.top - LINE * (len(caption) - i) + LINE // 2), line, CAPTION_SIZE)
                      for i, line in enumerate(caption)]
        return lines


def wrap(text: str, width: int, size: int = CAPTION_SIZE) -> list[str]:
    """``text`` as lines no wider than ``width`` pixels: broken at spaces, then after
    `BREAK_AFTER` characters, then between any two characters as a last resort."""
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(joined, size) <= width:
            lines[-1] = joined
        else:
            lines += _break_word(word, width, size)
    return lines


def _break_word(word: str, width: int, size: int) -> list[str]:
    pieces = re.findall(f"[^{re.escape(BREAK_AFTER)}]*[{re.escape(BREAK_AFTER)}]|.+$", word)
    lines: list[str] = []
    for piece in pieces:
        if lines and text_width(lines[-1] + piece, size) <= width:
            lines[-1] += piece
            continue
        while text_width(piece, size) > width and len(piece) > 1:
            fits = 1  # the longest head that fits, one character at least
            while fits + 1 < len(piece) and text_width(piece[:fits + 1], size) <= width:
                fits += 1
            lines.append(piece[:fits])
            piece = piece[fits:]
        lines.append(piece)
    return lines


def plan_layout(rows: int, columns: int, tile: int, row_labels: Sequence[str] | None,
                column_labels: Sequence[str] | None, title: str | None) -> TileLayout:
    """The geometry of `labelled_grid`: a row-caption margin as wide as the widest row label,
    column captions wrapped to their tile's width, the title to the picture's, and a band
    above the tiles as high as the most lines they take."""
    left = max((text_width(t) for t in row_labels), default=0) + 12 if row_labels else 0
    column_lines = tuple(tuple(wrap(label, tile - 2 * MARGIN) or [""])
                         for label in column_labels or ())
    width = left + columns * (tile + PAD) + PAD
    title_lines = tuple(wrap(title, width - 2 * MARGIN, TITLE_SIZE)) if title else ()
    top = LINE * (len(title_lines) + max((len(lines) for lines in column_lines), default=0))
    return TileLayout(rows, columns, tile, left, top, title_lines, column_lines)


def labelled_grid(images: torch.Tensor, row_labels: Sequence[str] | None = None,
                  column_labels: Sequence[str] | None = None, title: str | None = None,
                  scale: int | None = None) -> Image.Image:
    """Draw uint8 ``images (R, K, C, S, S)`` as R rows of K tiles with optional captions.

    Row captions go in a left margin, column captions and the title in a band above the tiles,
    wrapped onto more lines where they are wider than a tile or the picture (`plan_layout`).
    Tiles are enlarged by `tile_scale` unless ``scale`` is given.
    """
    if images.dim() != 5 or images.dtype != torch.uint8:
        raise ValueError(f"expected uint8 (R, K, C, H, W), got {images.dtype} "
                         f"{tuple(images.shape)}")
    rows, columns, _, height, width = images.shape
    if row_labels is not None and len(row_labels) != rows:
        raise ValueError(f"{len(row_labels)} row labels for {rows} rows")
    if column_labels is not None and len(column_labels) != columns:
        raise ValueError(f"{len(column_labels)} column labels for {columns} columns")
    scale = scale or tile_scale(max(height, width))
    layout = plan_layout(rows, columns, max(height, width) * scale, row_labels, column_labels,
                         title)
    canvas = Image.new("RGB", layout.size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for r in range(rows):
        for k in range(columns):
            canvas.paste(to_pil(images[r, k], scale), layout.origin(r, k))
        if row_labels:
            x, y = layout.origin(r, 0)
            draw.text((x - 8, y + layout.tile // 2), row_labels[r], fill=TEXT, font=font(),
                      anchor="rm")
    for xy, line, size in layout.header():
        draw.text(xy, line, fill=TEXT, font=font(size), anchor="mm")
    return canvas


def side_by_side(panels: Sequence[Image.Image], titles: Sequence[str],
                 gap: int = 16) -> Image.Image:
    """Panels next to each other, top-aligned, each under its title."""
    width = sum(p.width for p in panels) + gap * (len(panels) - 1)
    height = LINE + max(p.height for p in panels)
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    x = 0
    for panel, title in zip(panels, titles, strict=True):
        canvas.paste(panel, (x, LINE))
        draw.text((x + panel.width // 2, LINE // 2), title, fill=TEXT, font=font(14), anchor="mm")
        x += panel.width + gap
    return canvas


def split_grid(grid: Image.Image, image_size: int, count: int | None = None) -> torch.Tensor:
    """Cut a torchvision sample grid (padding 2) back into uint8 tiles ``(N, 3, S, S)``.

    ``count`` keeps the first ``count`` tiles (the unused slots of a last row are padding).
    """
    array = torch.from_numpy(np.array(grid.convert("RGB"))).permute(2, 0, 1)
    step = image_size + PAD
    columns, rows = (grid.width - PAD) // step, (grid.height - PAD) // step
    tiles = [array[:, PAD + r * step: PAD + r * step + image_size,
                   PAD + c * step: PAD + c * step + image_size]
             for r in range(rows) for c in range(columns)]
    return torch.stack(tiles[:count])


def titled(image: Image.Image, title: str, scale: int = 1) -> Image.Image:
    """``image`` enlarged ``scale`` times (nearest neighbour) under a one-line title band whose
    text grows with the width, so it stays readable when a page shrinks a big frame."""
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale),
                             Image.Resampling.NEAREST)
    size = max(14, image.width // 24)
    band = size + 8
    canvas = Image.new("RGB", (image.width, image.height + band), BACKGROUND)
    canvas.paste(image.convert("RGB"), (0, band))
    ImageDraw.Draw(canvas).text((image.width // 2, band // 2), title, fill=TEXT,
                                font=font(size), anchor="mm")
    return canvas


def save_gif(frames: Sequence[Image.Image], path, frame_ms: int, hold_last_ms: int = 0) -> None:
    """An endlessly looping animated GIF; the last frame can stay longer (``hold_last_ms``)."""
    durations = [frame_ms] * len(frames)
    durations[-1] = max(frame_ms, hold_last_ms)
    with atomic_file(path) as tmp:
        frames[0].save(tmp, save_all=True, append_images=list(frames[1:]), duration=durations,
                       loop=0, optimize=False, disposal=1)
