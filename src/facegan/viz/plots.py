"""Loss curves, drawn from metrics.jsonl so any run can be re-plotted later."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib.pyplot as plt

from facegan.training.stats import COUNTER_KEYS, read_metrics


def plot_losses(metrics_file: Path, out: Path) -> bool:
    """One panel per phase (``discriminator/...``, ``generator/...``) against images seen.

    Returns False (and writes nothing) when there is nothing to plot yet.
    """
    records = read_metrics(metrics_file)
    series: dict[str, dict[str, tuple[list[float], list[float]]]] = defaultdict(dict)
    for record in records:
        for key, value in record.items():
            if key in COUNTER_KEYS or not isinstance(value, (int, float)):
                continue
            group, _, name = key.rpartition("/")
            xs, ys = series[group or "other"].setdefault(name, ([], []))
            xs.append(record["images_seen"])
            ys.append(value)
    if not series:
        return False
    fig, axes = plt.subplots(len(series), 1, figsize=(8, 3 * len(series)), squeeze=False)
    for ax, (group, curves) in zip(axes[:, 0], sorted(series.items()), strict=True):
        for name, (xs, ys) in sorted(curves.items()):
            ax.plot(xs, ys, label=name, linewidth=1)
        ax.set_title(group)
        ax.set_xlabel("images seen")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return True
