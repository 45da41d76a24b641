"""Architecture summaries: every layer with its output shape and parameter count, as text.

Shapes come from one forward pass of a batch of two through forward hooks, so they are what
the model really computes, whatever its code looks like.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from facegan.runs import atomic_write_text


def _shape(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "(" + ", ".join(["N", *map(str, value.shape[1:])]) + ")"
    if isinstance(value, (tuple, list)):
        return " ".join(_shape(v) for v in value)
    return type(value).__name__


@torch.no_grad()
def summarize(module: nn.Module, *inputs: Any) -> str:
    """A table of the layers that hold parameters or have no children, in the order their
    forward passes finish (a container holding its own parameters comes after its children)."""
    rows: list[tuple[str, str, str, int]] = []
    names = {m: name for name, m in module.named_modules()}

    def hook(layer: nn.Module, _args: Any, output: Any) -> None:
        own = sum(p.numel() for p in layer.parameters(recurse=False))
        rows.append((names[layer], type(layer).__name__, _shape(output), own))

    def holds_parameters(m: nn.Module) -> bool:
        return next(m.parameters(recurse=False), None) is not None

    def is_leaf(m: nn.Module) -> bool:
        return next(m.children(), None) is None

    watched = [m for m in module.modules()
               if holds_parameters(m) or (m is not module and is_leaf(m))]
    handles = [m.register_forward_hook(hook) for m in watched]
    was_training = module.training
    try:
        output = module.eval()(*inputs)
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    header = ("layer", "type", "output shape", "parameters")
    table = [header, *((n, t, s, f"{p:,}") for n, t, s, p in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in table]
    lines.insert(1, "-" * len(lines[0]))
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    lines += ["-" * len(lines[0]),
              f"inputs {', '.join(_shape(x) for x in inputs if x is not None)} -> output "
              f"{_shape(output)}",
              f"parameters: {total:,} ({trainable:,} trainable)"]
    return "\n".join(lines)


def architecture_summary(networks: Mapping[str, nn.Module],
                         inputs: Mapping[str, tuple[Any, ...]]) -> str:
    """Every network's table, in the method's order; ``inputs[name]`` are its example inputs
    (None entries, e.g. an unconditional model's ``c``, are left out)."""
    parts = []
    for name, network in networks.items():
        args = tuple(x for x in inputs[name] if x is not None)
        parts.append(f"{name} ({type(network).__name__})\n{summarize(network, *args)}\n")
    return "\n".join(parts)


def save_architecture(path: Path, networks: Mapping[str, nn.Module],
                      inputs: Mapping[str, tuple[Any, ...]]) -> None:
    atomic_write_text(path, architecture_summary(networks, inputs))
