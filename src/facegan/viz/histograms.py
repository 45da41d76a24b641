"""Weight and gradient histograms of every layer of the generator and the discriminator."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import matplotlib
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.lines import TICKDOWN, Line2D
from matplotlib.patches import Rectangle, StepPatch
from matplotlib.ticker import MaxNLocator, ScalarFormatter
from matplotlib.transforms import Bbox, BboxTransform, blended_transform_factory, offset_copy
from torch import nn

BINS = 50
Of = Literal["weights", "gradients"]


def histograms(module: nn.Module, of: Of = "weights"
               ) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(name, counts (BINS,), edges (BINS + 1,))`` of each weight matrix or kernel, or of its
    gradient (``.grad`` as the last backward pass left it; skipped where there is none).
    Biases and norm scales are skipped: they say little per epoch.

    Counted with numpy, binned as torch.histc bins (equal widths from the lowest to the
    highest value, the highest in the last bin): torch's CPU reductions and histc run on its
    thread pool, which is many times slower while other processes keep the cores busy (a
    DataLoader's workers, a second run). Infinite and NaN values are left out of the counts.
    """
    result = []
    for name, param in module.named_parameters():
        if not (name.endswith("weight") and param.dim() > 1):
            continue
        tensor = param if of == "weights" else param.grad
        if tensor is None:
            continue
        counts, low, high = _histogram(tensor.detach().float().cpu().flatten().numpy())
        result.append((name, torch.from_numpy(counts), torch.linspace(low, high, BINS + 1)))
    return result


def _histogram(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(counts (BINS,) float32, low, high)`` of the finite ``values`` (float32)."""
    low = high = 0.0
    if values.size:
        low, high = float(values.min()), float(values.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        values = values[np.isfinite(values)]
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if high <= low:
        high = low + 1e-6
    bins = ((values - np.float32(low)) * np.float32(BINS / (high - low))).astype(np.intp)
    np.minimum(bins, BINS - 1, out=bins)
    return np.bincount(bins, minlength=BINS).astype(np.float32), low, high


# How each panel looks, as an Axes with these settings would draw it: 5 % margins around the
# data (the top one above the highest bar), ticks and labels in points.
MARGIN = 0.05
TICK, TICK_PAD, LABEL_HEIGHT, OFFSET_PAD = 2, 3.5, 7, 3
TITLE_PAD, HEADER_PAD = 2, 18


def _panel(fig: Figure, box: Bbox, counts, edges, colour: str, title: str) -> None:
    """One histogram in ``box`` (figure fraction): the bars, a frame, x ticks with labels in
    scientific notation beyond 1e-2 and 1e3 (the exponent below the right end) and a title.

    Drawn with a handful of figure artists rather than an Axes: an Axes (two Axis objects,
    four spines, a Tick object per tick) costs about ten times more, and the histograms have
    a few dozen panels, each epoch.
    """
    rc = matplotlib.rcParams
    low, high = float(edges[0]), float(edges[-1])
    view = (low - MARGIN * (high - low), high + MARGIN * (high - low))
    top = float(counts.max()) * (1 + MARGIN) or 1.0
    data = BboxTransform(Bbox([[view[0], 0], [view[1], top]]), box) + fig.transFigure
    fig.add_artist(StepPatch(counts, edges, baseline=0, fill=True, facecolor=colour,
                             linewidth=0, transform=data))
    fig.add_artist(Rectangle(box.p0, box.width, box.height, fill=False, zorder=2.5,
                             linewidth=rc["axes.linewidth"], edgecolor=rc["axes.edgecolor"],
                             transform=fig.transFigure))
    locator, formatter = MaxNLocator(nbins=4), ScalarFormatter()
    formatter.set_powerlimits((-2, 3))
    formatter.create_dummy_axis()
    formatter.axis.set_view_interval(*view)
    locs = locator.tick_values(*view)
    labels = formatter.format_ticks(locs)  # all of them, as an Axis formats them
    slack = 1e-9 * (view[1] - view[0])
    shown = [(x, label) for x, label in zip(locs, labels, strict=True)
             if view[0] - slack <= x <= view[1] + slack]
    along = blended_transform_factory(data, fig.transFigure)  # x in data, y in figure
    fig.add_artist(Line2D([x for x, _ in shown], [box.y0] * len(shown), transform=along,
                          linestyle="none", marker=TICKDOWN, markersize=TICK,
                          markeredgewidth=rc["xtick.major.width"], color=rc["xtick.color"]))
    below = offset_copy(along, fig=fig, y=-(TICK + TICK_PAD), units="points")
    for x, label in shown:
        fig.text(x, box.y0, label, transform=below, ha="center", va="top", fontsize=6)
    if offset := formatter.get_offset():
        fig.text(box.x1, box.y0, offset, ha="right", va="top", fontsize=6,
                 transform=offset_copy(fig.transFigure, fig=fig, units="points",
                                       y=-(TICK + TICK_PAD + LABEL_HEIGHT + OFFSET_PAD)))
    fig.text((box.x0 + box.x1) / 2, box.y1, title, ha="center", va="baseline", fontsize=7,
             transform=offset_copy(fig.transFigure, fig=fig, y=TITLE_PAD, units="points"))


def plot_weight_histograms(models: dict[str, nn.Module], out: Path, title: str = "") -> None:
    """One column per model for weights, and one for gradients where the models have them
    (at the end of an epoch: the gradients of its last step); one row per weight tensor.

    Counts come from `histograms` and are drawn as one step artist per panel: matplotlib's own
    ``hist`` makes a patch per bin and is ten times slower, which matters once per epoch. The
    figure is drawn with the Agg canvas, without pyplot (no global figure list: safe to call
    from several threads), and its panels are figure artists, not Axes (see `_panel`).
    """
    columns = {}
    for name, module in models.items():
        columns[f"{name} weights"] = histograms(module, "weights")
        gradients = histograms(module, "gradients")
        if gradients:
            columns[f"{name} gradients"] = gradients
    rows = max(len(tensors) for tensors in columns.values())
    height = 1.3 * rows + 0.8
    fig = Figure(figsize=(3.2 * len(columns), height))
    FigureCanvasAgg(fig)
    grid = GridSpec(rows, len(columns), left=0.03, right=0.97, top=1 - 0.75 / height,
                    bottom=0.4 / height, hspace=0.9, wspace=0.12)
    colours = {"weights": ("tab:blue", "tab:orange"), "gradients": ("tab:cyan", "tab:red")}
    model_names = list(models)
    for col, (column_name, column) in enumerate(columns.items()):
        model_name, kind = column_name.rsplit(" ", 1)
        colour = colours[kind][model_names.index(model_name) % 2]
        first = grid[0, col].get_position(fig)
        fig.text((first.x0 + first.x1) / 2, first.y1, column_name, ha="center", va="baseline",
                 fontsize=9, fontweight="bold",
                 transform=offset_copy(fig.transFigure, fig=fig, y=HEADER_PAD, units="points"))
        for row, (name, counts, edges) in enumerate(column):  # rows past the column: empty
            _panel(fig, grid[row, col].get_position(fig), counts.numpy(), edges.numpy(),
                   colour, name)
    fig.suptitle(title or "weight histograms", fontsize=10)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
