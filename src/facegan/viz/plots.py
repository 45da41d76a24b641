"""Training curves drawn from metrics.jsonl, so any run can be re-plotted (or compared) later.

Each panel holds one reported value against the number of real images seen (values of different
scales, such as a critic loss near 10 and a generator loss near 0, would flatten each other in a
shared panel): the losses of every phase, then the Wasserstein estimate, the gradient penalty,
any other value, and the evaluation metrics (``eval/...`` keys, drawn as points joined by lines
since they are computed rarely). Logged values are drawn thin and faint, with a smoothed curve
on top (a debiased exponential moving average, as TensorBoard draws it). The epochs are marked
on a secondary axis at the top.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import EngFormatter

Records = list[dict[str, Any]]
Series = dict[str, tuple[np.ndarray, np.ndarray]]  # key -> (images seen, values)

FIRST_PANELS = ("loss", "wasserstein_distance", "gradient_penalty")  # by last name
NAME_TITLES = {"wasserstein_distance": "Wasserstein estimate"}
EVAL_PREFIX = "eval/"
COLOURS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def metric_series(records: Records) -> Series:
    """Every numeric, finite value of metrics.jsonl by key, against images seen."""
    from facegan.training.stats import COUNTER_KEYS  # not at the top: training imports viz

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
    if sparse:
        ax.plot(xs, ys, marker="o", markersize=4, color=colour, label=label)
        return
    weight = smoothing_weight(len(ys))
    if weight > 0:
        ax.plot(xs, ys, color=colour, alpha=0.25, linewidth=0.8)
    ax.plot(xs, smooth(ys, weight), color=colour, linewidth=1.6, label=label)


def _mark_epochs(ax, ends: list[tuple[int, float]]) -> None:
    if not ends:
        return
    shown = ends[:: max(1, math.ceil(len(ends) / 12))]
    top = ax.secondary_xaxis("top")
    top.set_xticks([x for _, x in shown], labels=[str(e) for e, _ in shown])
    top.tick_params(labelsize=7, length=3)
    top.set_xlabel("end of epoch", fontsize=8)
    for _, x in ends:
        ax.axvline(x, color="0.85", linewidth=0.6, zorder=0)


def plot_curves(runs: Mapping[str, Records], out: Path, title: str = "") -> bool:
    """Draw the curves of one run, or of several runs overlaid (one colour per run).

    Returns False (and writes nothing) when no run has anything to plot yet. Epochs are marked
    only for a single run: runs of different lengths do not share epochs.
    """
    series = {name: metric_series(records) for name, records in runs.items()}
    keys = sorted({key for per_run in series.values() for key in per_run})
    if not keys:
        return False
    panels = panel_order(keys)
    several = len(runs) > 1
    columns = 1 if len(panels) == 1 else 2
    rows = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.2 * columns, 3.4 * rows), squeeze=False)
    right = max(xs.max() for per_run in series.values() for xs, _ in per_run.values())
    for p, (ax, panel) in enumerate(zip(axes.flat, panels, strict=False)):
        for r, (name, per_run) in enumerate(series.items()):
            if panel in per_run:
                colour = COLOURS[(r if several else p) % len(COLOURS)]
                _draw(ax, *per_run[panel], label=name if several else None, colour=colour,
                      sparse=panel.startswith(EVAL_PREFIX))
        if several:
            ax.legend(loc="best", fontsize=7, frameon=False)
        else:
            _mark_epochs(ax, epoch_ends(next(iter(runs.values()))))
        ax.set_xlim(0, right * 1.02)  # the same span in every panel, eval points included
        ax.set_title(panel_title(panel), fontsize=10)
        ax.set_xlabel("images seen", fontsize=8)
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return True


def plot_losses(metrics_file: Path, out: Path) -> bool:
    """The curves of one run from its metrics.jsonl (False when nothing is logged yet)."""
    from facegan.training.stats import read_metrics  # not at the top: training imports viz

    return plot_curves({metrics_file.parent.name: read_metrics(metrics_file)}, out)
