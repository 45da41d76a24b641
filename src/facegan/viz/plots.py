"""Training curves drawn from metrics.jsonl, so any run can be re-plotted (or compared) later.

Each panel holds one reported value against the number of real images seen (values of different
scales, such as a critic loss near 10 and a generator loss near 0, would flatten each other in a
shared panel): the losses of every phase, then the Wasserstein estimate, the gradient penalty,
any other value, and the evaluation metrics (``eval/...`` keys, drawn as points joined by lines
since they are computed rarely, as is a value logged only once). Logged values are drawn thin
and faint, with a smoothed curve on top (a debiased exponential moving average, as TensorBoard
draws it). The epochs are marked on a secondary axis at the top.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import TICKUP, Line2D
from matplotlib.ticker import EngFormatter
from matplotlib.transforms import offset_copy

from facegan.runs import atomic_file
from facegan.training.stats import COUNTER_KEYS, read_metrics

Records = list[dict[str, Any]]
Series = dict[str, tuple[np.ndarray, np.ndarray]]  # key -> (images seen, values)

FIRST_PANELS = ("loss", "wasserstein_distance", "gradient_penalty")  # by last name
NAME_TITLES = {"wasserstein_distance": "Wasserstein estimate"}
EVAL_PREFIX = "eval/"
COLOURS = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]


def metric_series(records: Records) -> Series:
    """Every numeric, finite value of metrics.jsonl by key, against images seen."""
    points: dict[str, list[tuple[float, float]]] = {}
    for record in records:
        x = record.get("images_seen", record.get("step"))
        for key, value in record.items():
            if key in COUNTER_KEYS or x is None or isinstance(value, bool):
                continue
            if isinstance(value, (int, float)) and math.isfinite(value):
                points.setdefault(key, []).append((x, value))
    return {key: tuple(np.array(column, dtype=float) for column in zip(*pairs, strict=True))
            for key, pairs in points.items()}


def panel_order(keys) -> list[str]:
    """Losses, Wasserstein estimates and penalties first, evaluation metrics last."""
    def rank(key: str) -> tuple[int, str]:
        name = key.rpartition("/")[2]
        if key.startswith(EVAL_PREFIX):
            return len(FIRST_PANELS) + 1, key
        return (FIRST_PANELS.index(name) if name in FIRST_PANELS else len(FIRST_PANELS)), key

    return sorted(set(keys), key=rank)


def panel_title(key: str) -> str:
    """``discriminator/wasserstein_distance`` -> ``discriminator: Wasserstein estimate``."""
    group, _, name = key.rpartition("/")
    name = NAME_TITLES.get(name, name.replace("_", " "))
    return f"{group}: {name}" if group else name


def smoothing_weight(num_points: int) -> float:
    """EMA weight averaging over about 1/50 of the curve (none for short curves)."""
    window = num_points / 50
    return 0.0 if window <= 1.5 else min(0.98, 1 - 1 / window)


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard's smoothing)."""
    if weight <= 0:
        return values
    out, average = np.empty_like(values), 0.0
    for i, value in enumerate(values):
        average = weight * average + (1 - weight) * value
        out[i] = average / (1 - weight ** (i + 1))
    return out


def epoch_ends(records: Records) -> list[tuple[int, float]]:
    """``(epoch, images seen at its last logged line)`` for each epoch in metrics.jsonl."""
    ends: dict[int, float] = {}
    for record in records:
        if "epoch" in record and "images_seen" in record:
            ends[int(record["epoch"])] = max(ends.get(int(record["epoch"]), 0),
                                             record["images_seen"])
    return sorted(ends.items())


def _draw(ax, xs: np.ndarray, ys: np.ndarray, label: str | None, colour: str,
          sparse: bool) -> None:
    if sparse or len(ys) == 1:  # a line through one point draws nothing (a 1-epoch run)
        ax.plot(xs, ys, marker="o", markersize=4, color=colour, label=label)
        return
    weight = smoothing_weight(len(ys))
    if weight > 0:
        ax.plot(xs, ys, color=colour, alpha=0.25, linewidth=0.8)
    ax.plot(xs, smooth(ys, weight), color=colour, linewidth=1.6, label=label)


# Fixed margins (inches) instead of tight_layout, which measures every text of the figure
# (about a third of the cost of a call): room for the tick labels and the x label below, the
# title above, and the epoch scale above that.
# LEFT and GAP leave room for y tick labels of 8 characters, such as "-0.00025" (beyond 1e-5
# and 1e6 they are written in scientific notation).
LEFT, RIGHT, BOTTOM, TITLE, EPOCHS, SUPTITLE, GAP = 0.6, 0.15, 0.52, 0.34, 0.34, 0.3, 0.6
# The epoch scale, in points above the top of a panel: tick marks, their labels (7 pt text),
# "end of epoch" (8 pt), then the title.
TICK, TICK_PAD, TICK_LABEL, LABEL_PAD, LABEL = 3, 3.5, 8, 4, 9.5
EPOCH_TITLE_PAD = TICK + TICK_PAD + TICK_LABEL + LABEL_PAD + LABEL + 6


def _mark_epochs(ax, ends: list[tuple[int, float]]) -> None:
    """The epochs' ends as faint vertical lines, and as a scale above the panel.

    Drawn as one line collection, one line of tick marks and a few texts: an ``axvline`` per
    epoch and a secondary axis (an Axes of its own, with a Tick object per label) cost ten
    times more, which matters once per epoch.
    """
    if not ends:
        return
    xs = np.array([x for _, x in ends], dtype=float)
    along = ax.get_xaxis_transform()  # x in data, y in axes fraction
    ax.add_collection(LineCollection(np.stack([np.stack([xs, np.zeros_like(xs)], 1),
                                               np.stack([xs, np.ones_like(xs)], 1)], 1),
                                     colors="0.85", linewidths=0.6, zorder=0,
                                     transform=along), autolim=False)
    shown = ends[:: max(1, math.ceil(len(ends) / 12))]
    ax.add_artist(Line2D([x for _, x in shown], [1.0] * len(shown), transform=along,
                         linestyle="none", marker=TICKUP, markersize=TICK,
                         markeredgewidth=matplotlib.rcParams["xtick.major.width"],
                         color=matplotlib.rcParams["xtick.color"], clip_on=False))
    labels = offset_copy(along, fig=ax.figure, y=TICK + TICK_PAD, units="points")
    for epoch, x in shown:
        ax.text(x, 1.0, str(epoch), transform=labels, ha="center", va="bottom", fontsize=7,
                clip_on=False)
    ax.text(0.5, 1.0, "end of epoch", fontsize=8, ha="center", va="bottom",
            transform=offset_copy(ax.transAxes, fig=ax.figure, units="points",
                                  y=TICK + TICK_PAD + TICK_LABEL + LABEL_PAD))


def plot_curves(runs: Mapping[str, Records], out: Path, title: str = "") -> bool:
    """Draw the curves of one run, or of several runs overlaid (one colour per run).

    Returns False (and writes nothing) when no run has anything to plot yet. Epochs are marked
    only for a single run: runs of different lengths do not share epochs.

    Drawn on a Figure of its own with the Agg canvas (no pyplot: no global figure list, safe to
    call from several threads).
    """
    series = {name: metric_series(records) for name, records in runs.items()}
    keys = sorted({key for per_run in series.values() for key in per_run})
    if not keys:
        return False
    panels = panel_order(keys)
    several = len(runs) > 1
    ends = [] if several else epoch_ends(next(iter(runs.values())))
    columns = 1 if len(panels) == 1 else 2
    rows = math.ceil(len(panels) / columns)
    width, height = 6.2 * columns, 3.4 * rows
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    above = TITLE + (EPOCHS if ends else 0.0)
    top = above + (SUPTITLE if title else 0.0)
    panel_width = (width - LEFT - RIGHT - GAP * (columns - 1)) / columns
    panel_height = (height - top - BOTTOM - (BOTTOM + above) * (rows - 1)) / rows
    fig.subplots_adjust(left=LEFT / width, right=1 - RIGHT / width, bottom=BOTTOM / height,
                        top=1 - top / height, wspace=GAP / panel_width,
                        hspace=(BOTTOM + above) / panel_height)
    axes = fig.subplots(rows, columns, squeeze=False)
    right = max(xs.max() for per_run in series.values() for xs, _ in per_run.values())
    for p, (ax, panel) in enumerate(zip(axes.flat, panels, strict=False)):
        ax.tick_params(labelsize=7)  # before any tick exists: none is restyled
        for r, (name, per_run) in enumerate(series.items()):
            if panel in per_run:
                colour = COLOURS[(r if several else p) % len(COLOURS)]
                _draw(ax, *per_run[panel], label=name if several else None, colour=colour,
                      sparse=panel.startswith(EVAL_PREFIX))
        if several:
            ax.legend(loc="best", fontsize=7, frameon=False)
        else:
            _mark_epochs(ax, ends)
        ax.set_xlim(0, right * 1.02)  # the same span in every panel, eval points included
        # An explicit y: the title is not moved clear of the tick labels at each draw (nothing
        # is above the panel but the epoch scale, which the pad leaves room for).
        ax.set_title(panel_title(panel), fontsize=10, y=1.0,
                     pad=EPOCH_TITLE_PAD if ends else matplotlib.rcParams["axes.titlepad"])
        ax.set_xlabel("images seen", fontsize=8)
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    out.parent.mkdir(parents=True, exist_ok=True)
    # zlib level 3 rather than 6: a third less time to encode, 8 % more bytes (one file per run,
    # rewritten each epoch).
    with atomic_file(out) as tmp:  # a full disk leaves the last plot whole
        fig.savefig(tmp, dpi=100, pil_kwargs={"compress_level": 3})
    return True


def plot_losses(metrics_file: Path, out: Path) -> bool:
    """The curves of one run from its metrics.jsonl (False when nothing is logged yet)."""

    return plot_curves({metrics_file.parent.name: read_metrics(metrics_file)}, out)
