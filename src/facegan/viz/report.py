"""``facegan report RUN``: one self-contained HTML page about a run, and the pictures it shows.

Everything is drawn again from the run's files (metrics.jsonl, the per-epoch sample grids, the
saved generator, the data named in config.yaml), written under ``RUN/visualizations/`` and
embedded in ``RUN/report.html``, which can be mailed or opened offline.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
import yaml

from facegan.config import config_from_dict, read_yaml
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel, build_method
from facegan.runs import RunDir, atomic_file, atomic_write_text
from facegan.sampling import load_model
from facegan.sampling.generation import interpolate, per_label
from facegan.viz import html
from facegan.viz.architecture import save_architecture
from facegan.viz.collage import real_vs_generated
from facegan.viz.modes import draw_rows, save_interpolation_gif
from facegan.viz.plots import metric_series, plot_losses
from facegan.viz.progression import save_progression
from facegan.viz.runfiles import epoch_files, generator_meta, open_run, raw_config, records

log = logging.getLogger(__name__)

REPORT = "report.html"
SAMPLES_WIDTH = 360  # pixels on the page for a whole sample grid, whatever its image size


def metric_rows(run_records: list[dict[str, Any]]) -> list[list[Any]]:
    """``[key, last, min, max]`` for every numeric key of metrics.jsonl, in key order."""
    return [[key, ys[-1], ys.min(), ys.max()]
            for key, (_, ys) in sorted(metric_series(run_records).items())]


def summary_line(config: dict[str, Any], run_records: list[dict[str, Any]]) -> str:
    last = run_records[-1] if run_records else {}
    parts = [f"data {config.get('data', {}).get('name', '?')}",
             f"model {config.get('model', {}).get('name', '?')}",
             f"objective {config.get('objective', {}).get('name', '?')}"]
    if last:
        parts.append(f"epoch {last.get('epoch', '?')}, step {last.get('step', '?')}, "
                     f"{last.get('images_seen', 0):,} images, {last.get('time', 0):.0f} s")
    return " · ".join(parts)


def ensure_architecture(run: RunDir) -> str:
    """architecture.txt, written from config.yaml and generator.json when the run predates it."""
    if not run.architecture_file.is_file():
        info = DataInfo.from_dict(generator_meta(run)["data"])
        method = build_method(config_from_dict(read_yaml(run.config_file)), info)
        networks = method.build_networks()
        save_architecture(run.architecture_file, networks, method.example_inputs(networks, 2))
    return run.architecture_file.read_text()


def save_picture(image, path: Path) -> None:
    with atomic_file(path) as tmp:  # a full disk leaves the last picture whole
        image.save(tmp)


def draw_generator_pictures(run: RunDir, model: SamplingModel, device: torch.device,
                            seed: int) -> list[str]:
    """Real vs generated, every label, and an interpolation; sections of the report."""
    viz = run.visualizations
    sections = []
    try:
        save_picture(real_vs_generated(run, n=16, seed=seed, device=device),
                     viz / "real_vs_generated.png")
        sections.append(html.section("Real vs generated",
                                     html.image(viz / "real_vs_generated.png")))
    except FaceganError as exc:  # the data may live on another machine: report the rest
        sections.append(html.section("Real vs generated", html.note(f"not drawn: {exc}")))
    cond = model.condition
    if cond.kind in ("class", "multilabel"):
        save_picture(draw_rows(per_label(model, 8, seed, device)), viz / "per_label.png")
        sections.append(html.section("Every label, the same noise",
                                     html.image(viz / "per_label.png")))
    if cond.kind != "embedding":  # an embedding model needs an embedding to interpolate under
        rows = interpolate(model, 4, seed, device, steps=8)
        save_picture(draw_rows(rows), viz / "interpolation.png")
        save_interpolation_gif(rows, viz / "interpolation.gif")
        sections.append(html.section(
            "Latent interpolation (slerp)", html.image(viz / "interpolation.png"),
            html.image(viz / "interpolation.gif", "the same paths, animated", pixels=True,
                       width=SAMPLES_WIDTH // 2)))
    return sections


def write_report(path: Path, device: torch.device = torch.device("cpu"), seed: int = 0) -> Path:
    """Draw every picture of the run at ``path`` and write ``report.html`` there."""
    run = open_run(path)
    config, run_records = raw_config(run), records(run)
    samples = epoch_files(run.samples)
    # a damaged generator is found before any picture is redrawn
    model = load_model(run.path)[0] if samples else None
    viz = run.visualizations
    viz.mkdir(parents=True, exist_ok=True)
    sections = []
    if plot_losses(run.metrics_file, viz / "losses.png"):
        sections.append(html.section("Training curves", html.image(viz / "losses.png")))
    rows = metric_rows(run_records)
    sections.append(html.section("Metrics", html.table(["key", "last", "min", "max"], rows)
                                 if rows else html.note("nothing logged yet")))
    if model is not None:
        epoch, latest = samples[-1]
        png, gif = save_progression(run)
        sections.append(html.section(
            "Samples",
            html.image(latest, f"fixed noise after epoch {epoch}", pixels=True,
                       width=SAMPLES_WIDTH),
            html.image(gif, "the same noise, epoch by epoch", width=SAMPLES_WIDTH),
            html.image(png, "the first samples across epochs")))
        sections += draw_generator_pictures(run, model, device, seed)
        histograms = epoch_files(run.histograms)
        if histograms:
            sections.append(html.section(
                "Weight and gradient histograms",
                html.image(histograms[-1][1], f"after epoch {histograms[-1][0]}")))
        sections.append(html.section("Architecture", html.preformatted(ensure_architecture(run))))
    else:
        sections.append(html.section("Samples", html.note("no epoch has finished yet")))
    sections.append(html.section("Config", html.preformatted(
        yaml.safe_dump(config, sort_keys=False))))
    out = run.path / REPORT
    atomic_write_text(out, html.page(f"facegan run {run.path}", summary_line(config, run_records),
                                     sections))
    return out
