"""Reading what a run directory holds, for pictures and reports drawn after the fact."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from facegan.config import read_yaml
from facegan.errors import FaceganError
from facegan.methods.io import is_saved_model, read_meta
from facegan.runs import RunDir
from facegan.training.stats import read_metrics

EPOCH_FILE = re.compile(r"epoch_(\d+)\.png$")


def open_run(path: Path) -> RunDir:
    """A run directory (holding config.yaml), or a one-line error saying what to pass."""
    run = RunDir(Path(path))
    if not run.config_file.is_file():
        raise FaceganError(f"{path} is not a run directory (no config.yaml); pass a folder such "
                           "as models/MNIST/WGAN_GP")
    return run


def raw_config(run: RunDir) -> dict[str, Any]:
    """config.yaml as a plain mapping (not validated: a report shows whatever the run used)."""
    return read_yaml(run.config_file, "run config", "restore it from a checkpoint's copy "
                     f"({run.saved_models}/checkpoint_*/config.yaml)")


def records(run: RunDir) -> list[dict[str, Any]]:
    return read_metrics(run.metrics_file)


def epoch_files(folder: Path) -> list[tuple[int, Path]]:
    """``(epoch, path)`` of each ``epoch_NNN.png`` in ``folder``, by epoch."""
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = EPOCH_FILE.search(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found)


def generator_meta(run: RunDir) -> dict[str, Any]:
    """generator.json of the run's latest saved model."""
    if not is_saved_model(run.saved_model):
        raise FaceganError(f"{run.path} has no saved generator yet ({run.saved_model}); train "
                           "at least one epoch first")
    return read_meta(run.saved_model)


def num_fixed_samples(run: RunDir) -> int:
    return int(raw_config(run).get("log", {}).get("num_samples", 64))


def sample_image_size(run: RunDir) -> int:
    """The side of one generated image, from the run's config (grids of conditional models
    have one column per class, so the grid's width alone does not tell it)."""
    return int(raw_config(run).get("data", {}).get("image_size", 64))
