"""`facegan data inspect`: what a dataset holds, before any training.

A path is a YAML recipe (its ``data`` section is used) or a data folder, whose handler is guessed
from its layout: CelebA (``img_align_celeba/``), a face folder with embeddings (``manifest.csv``
and ``embeddings.npy``), a labelled image folder (``labels.csv``, as ``facegan data synth``
writes) or a plain image folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from facegan.config import apply_overrides, read_yaml, validate_section
from facegan.errors import FaceganError
from facegan.registry import DATASETS

MAX_LISTED = 10  # skipped files and labels printed in full


def data_section_for(path: Path, overrides: list[str]) -> Any:
    """The validated ``data`` config for a recipe or a data folder, with ``data.*`` overrides."""
    if path.is_file() and path.suffix in (".yaml", ".yml"):
        raw = read_yaml(path)
    elif path.is_dir():
        raw = {"data": guess_data_section(path)}
    else:
        raise FaceganError(f"{path} is neither a YAML recipe nor a data folder; pass one of them")
    raw = apply_overrides({"data": raw.get("data") or {}}, overrides)
    body = raw["data"]
    if "name" not in body:
        raise FaceganError(f"{path} has no data.name; valid choices: {', '.join(DATASETS.names())}")
    return validate_section(DATASETS.get(str(body["name"])).config_class, body, "data")


def guess_data_section(folder: Path) -> dict[str, Any]:
    name = folder.resolve().name or "data"
    if (folder / "img_align_celeba").is_dir():
        return {"name": "celeba", "root": str(folder), "split": "all"}
    if (folder / "manifest.csv").is_file() and (folder / "embeddings.npy").is_file():
        return {"name": "embedding_folder", "root": str(folder), "display_name": name}
    if (folder / "labels.csv").is_file():
        return {"name": "image_folder", "root": str(folder), "labels_csv": "labels.csv",
                "display_name": name}
    return {"name": "image_folder", "root": str(folder), "display_name": name}


def describe(dataset: Any, data_config: Any) -> list[str]:
    """Lines of text: counts, sizes, channels, label statistics, skipped files, cache."""
    info = dataset.info
    report = getattr(dataset, "report", None)
    lines = [f"dataset: {data_config.name} ({info.name})"
             + (f" from {report.source}" if report and report.source else "")]
    if report is not None:
        lines.append(f"images: {len(dataset)} of {report.num_files} files "
                     f"({len(report.skipped)} skipped as unreadable)")
        sizes = ", ".join(f"{size} x{count}" for size, count in
                          list(report.source_sizes.items())[:5])
        more = " ..." if len(report.source_sizes) > 5 else ""
        lines.append(f"source image sizes: {sizes or 'none'}{more}")
    else:
        lines.append(f"images: {len(dataset)}")
    lines.append(f"served as: {info.channels} channel(s), {info.image_size}x{info.image_size} px")
    lines += _label_lines(dataset)
    if report is not None:
        for path, reason in report.skipped[:MAX_LISTED]:
            lines.append(f"skipped: {path} ({reason})")
        if len(report.skipped) > MAX_LISTED:
            lines.append(f"skipped: ... and {len(report.skipped) - MAX_LISTED} more")
        lines += [f"note: {note}" for note in report.notes]
        lines.append(f"cache: {report.cache or 'none (decoded into memory)'}")
    return lines


def _label_lines(dataset: Any) -> list[str]:
    info, labels = dataset.info, getattr(dataset, "labels", None)
    if info.label_kind == "none" or labels is None:
        return ["labels: none"]
    if info.label_kind == "embedding":
        norms = labels.norm(dim=1)
        return [f"labels: {info.embedding_dim}-d embeddings, norm {norms.mean():.3g} "
                f"(min {norms.min():.3g}, max {norms.max():.3g})"]
    if info.label_kind == "class":
        counts = torch.bincount(labels, minlength=info.num_labels).tolist()
    else:
        counts = labels.sum(dim=0).round().long().tolist()
    total = len(labels)
    lines = [f"labels: {info.label_kind}, {info.num_labels} names"]
    for name, count in list(zip(info.label_names, counts, strict=True))[:4 * MAX_LISTED]:
        lines.append(f"  {name}: {count} ({100 * count / max(total, 1):.1f}%)")
    if info.num_labels > 4 * MAX_LISTED:
        lines.append(f"  ... and {info.num_labels - 4 * MAX_LISTED} more")
    return lines
