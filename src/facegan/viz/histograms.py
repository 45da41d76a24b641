"""Weight histograms of every layer of the generator and the discriminator."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from torch import nn


def weight_tensors(module: nn.Module) -> list[tuple[str, object]]:
    """Named weight tensors (biases and norm offsets skipped: they say little per epoch)."""
    return [(name, p.detach().cpu().flatten().numpy())
            for name, p in module.named_parameters() if name.endswith("weight") and p.dim() > 1]


def plot_weight_histograms(models: dict[str, nn.Module], out: Path, title: str = "") -> None:
    """One column per model, one row per weight tensor."""
    columns = {name: weight_tensors(module) for name, module in models.items()}
    rows = max(len(tensors) for tensors in columns.values())
    fig, axes = plt.subplots(rows, len(columns), figsize=(4 * len(columns), 1.8 * rows),
                             squeeze=False)
    for col, (model_name, tensors) in enumerate(columns.items()):
        for row in range(rows):
            ax = axes[row, col]
            if row >= len(tensors):
                ax.axis("off")
                continue
            name, values = tensors[row]
            ax.hist(values, bins=50, color="tab:blue" if col == 0 else "tab:orange")
            ax.set_title(f"{model_name}.{name}", fontsize=8)
            ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
