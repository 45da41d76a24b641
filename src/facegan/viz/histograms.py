"""Weight and gradient histograms of every layer of the generator and the discriminator."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import MaxNLocator
from torch import nn

BINS = 50
Of = Literal["weights", "gradients"]


def histograms(module: nn.Module, of: Of = "weights"
               ) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(name, counts (BINS,), edges (BINS + 1,))`` of each weight matrix or kernel, or of its
    gradient (``.grad`` as the last backward pass left it; skipped where there is none).
    Biases and norm scales are skipped: they say little per epoch."""
    result = []
    for name, param in module.named_parameters():
        if not (name.endswith("weight") and param.dim() > 1):
            continue
        tensor = param if of == "weights" else param.grad
        if tensor is None:
            continue
        values = tensor.detach().float().cpu().flatten()
        low, high = values.min().item(), values.max().item()
        if high <= low:
            high = low + 1e-6
        counts = torch.histc(values, bins=BINS, min=low, max=high)
        result.append((name, counts, torch.linspace(low, high, BINS + 1)))
    return result


def plot_weight_histograms(models: dict[str, nn.Module], out: Path, title: str = "") -> None:
    """One column per model for weights, and one for gradients where the models have them
    (at the end of an epoch: the gradients of its last step); one row per weight tensor.

    Counts come from torch.histc and are drawn as one step artist per panel: matplotlib's own
    ``hist`` makes a patch per bin and is ten times slower, which matters once per epoch.
    """
    columns = {}
    for name, module in models.items():
        columns[f"{name} weights"] = histograms(module, "weights")
        gradients = histograms(module, "gradients")
        if gradients:
            columns[f"{name} gradients"] = gradients
    rows = max(len(tensors) for tensors in columns.values())
    fig, axes = plt.subplots(rows, len(columns), figsize=(3.2 * len(columns), 1.3 * rows + 0.8),
                             squeeze=False)
    colours = {"weights": ("tab:blue", "tab:orange"), "gradients": ("tab:cyan", "tab:red")}
    model_names = list(models)
    for col, (column_name, column) in enumerate(columns.items()):
        model_name, kind = column_name.rsplit(" ", 1)
        colour = colours[kind][model_names.index(model_name) % 2]
        axes[0, col].annotate(column_name, (0.5, 1), xytext=(0, 18), xycoords="axes fraction",
                              textcoords="offset points", ha="center", fontsize=9,
                              fontweight="bold")
        for row in range(rows):
            ax = axes[row, col]
            if row >= len(column):
                ax.axis("off")
                continue
            name, counts, edges = column[row]
            ax.stairs(counts.numpy(), edges.numpy(), fill=True, color=colour)
            ax.set_title(name, fontsize=7, pad=2)
            ax.tick_params(labelsize=6, length=2)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
            ax.xaxis.get_offset_text().set_fontsize(6)
            ax.set_yticks([])
    fig.suptitle(title or "weight histograms", fontsize=10)
    height = 1.3 * rows + 0.8
    fig.subplots_adjust(left=0.03, right=0.97, top=1 - 0.75 / height, bottom=0.4 / height,
                        hspace=0.9, wspace=0.12)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
