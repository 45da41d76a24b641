"""``facegan compare RUN1 RUN2 ...``: one self-contained page setting runs side by side.

Curves are overlaid (one colour per run, against images seen so runs of different batch sizes
line up), the last logged value of every metric is tabulated per run (a dash where a run does
not have it), the config values that differ are listed, and each run's latest fixed-noise grid
is shown next to the others.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facegan.errors import FaceganError
from facegan.runs import RunDir, atomic_write_text
from facegan.viz import html
from facegan.viz.plots import metric_series, plot_curves
from facegan.viz.runfiles import epoch_files, open_run, raw_config, records

MISSING = "—"


def run_names(runs: Sequence[RunDir]) -> list[str]:
    """Short names that tell the runs apart: the last path parts that differ."""
    paths = [run.path.resolve().parts for run in runs]
    for depth in range(1, max(len(p) for p in paths) + 1):
        names = ["/".join(p[-depth:]) for p in paths]
        if len(set(names)) == len(names):
            return names
    raise FaceganError("the same run is given twice; pass each run directory once")


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def config_differences(configs: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """``[key, value in run 1, value in run 2, ...]`` for each config key whose values differ."""
    flat = [flatten(c) for c in configs]
    keys = sorted({key for f in flat for key in f})
    rows = []
    for key in keys:
        values = [f.get(key, MISSING) for f in flat]
        if any(v != values[0] for v in values):
            rows.append([key, *(str(v) for v in values)])
    return rows


def final_metrics(all_records: Sequence[list[dict[str, Any]]]) -> list[list[Any]]:
    """``[key, last value in run 1, ...]``: the counters first, then every metric key."""
    rows = []
    for counter in ("epoch", "step", "images_seen", "time"):
        rows.append([counter, *(next((r[counter] for r in reversed(records) if counter in r),
                                     MISSING) for records in all_records)])
    series = [metric_series(r) for r in all_records]
    for key in sorted({key for s in series for key in s}):
        rows.append([key, *(s[key][1][-1] if key in s else MISSING for s in series)])
    return rows


def write_comparison(paths: Sequence[Path], out: Path) -> Path:
    """Write the comparison page of the runs at ``paths`` to ``out``."""
    if len(paths) < 2:
        raise FaceganError("compare needs at least two run directories")
    runs = [open_run(p) for p in paths]
    names = run_names(runs)
    all_records = [records(run) for run in runs]
    sections = []
    with tempfile.TemporaryDirectory() as tmp:
        curves = Path(tmp) / "curves.png"
        if plot_curves(dict(zip(names, all_records, strict=True)), curves):
            sections.append(html.section("Training and evaluation curves", html.image(curves)))
    sections.append(html.section("Last logged values",
                                 html.table(["", *names], final_metrics(all_records))))
    differences = config_differences([raw_config(run) for run in runs])
    sections.append(html.section(
        "Config differences", html.table(["key", *names], differences) if differences
        else html.note("the configs are identical")))
    grids = []
    for name, run in zip(names, runs, strict=True):
        samples = epoch_files(run.samples)
        grids.append(html.image(samples[-1][1], f"{name}, epoch {samples[-1][0]}", pixels=True,
                                width=360) if samples else html.note(f"{name}: no samples yet"))
    sections.append(html.section("Latest fixed-noise samples", *grids))
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, html.page("facegan comparison", " vs ".join(names), sections))
    return out
