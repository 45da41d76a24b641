"""Weight histograms of every layer of the generator and the discriminator."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

BINS = 50


def weight_histograms(module: nn.Module) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(name, counts (BINS,), edges (BINS + 1,))`` of each weight matrix or kernel (biases and
    norm scales are skipped: they say little per epoch)."""
    result = []
    for name, param in module.named_parameters():
        if name.endswith("weight") and param.dim() > 1:
            values = param.detach().float().cpu().flatten()
            low, high = values.min().item(), values.max().item()
            if high <= low:
                high = low + 1e-6
            counts = torch.histc(values, bins=BINS, min=low, max=high)
            result.append((name, counts, torch.linspace(low, high, BINS + 1)))
    return result


def plot_weight_histograms(models: dict[str, nn.Module], out: Path, title: str = "") -> None:
    """One column per model, one row per weight tensor.

    Counts come from torch.histc and are drawn as one step artist per panel: matplotlib's own
    ``hist`` makes a patch per bin and is ten times slower, which matters once per epoch.
    """
    columns = {name: weight_histograms(module) for name, module in models.items()}
    rows = max(len(tensors) for tensors in columns.values())
    fig, axes = plt.subplots(rows, len(columns), figsize=(4 * len(columns), 1.3 * rows + 0.6),
                             squeeze=False)
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for col, (model_name, histograms) in enumerate(columns.items()):
        for row in range(rows):
            ax = axes[row, col]
            if row >= len(histograms):
                ax.axis("off")
                continue
            name, counts, edges = histograms[row]
            ax.stairs(counts.numpy(), edges.numpy(), fill=True, color=colours[col % 4])
            ax.set_title(f"{model_name}.{name}", fontsize=7, pad=2)
            ax.tick_params(labelsize=6, length=2)
            ax.set_yticks([])
    fig.suptitle(title or "weight histograms", fontsize=9)
    fig.subplots_adjust(left=0.03, right=0.97, top=1 - 0.5 / (1.3 * rows + 0.6), bottom=0.04,
                        hspace=0.9, wspace=0.1)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
