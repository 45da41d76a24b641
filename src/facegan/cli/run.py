"""``facegan train``, ``generate``, ``report`` and ``compare``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from facegan.cli.app import MAX_SEED, Overrides, app, device_option
from facegan.errors import FaceganError


@app.command()
def train(
    config: Annotated[Path, typer.Argument(help="YAML recipe, e.g. configs/mnist_wgan_gp.yaml")],
    overrides: Overrides = None,
    resume: Annotated[bool, typer.Option(help="Continue the run from its last checkpoint.")]
    = False,
    dry_run: Annotated[bool, typer.Option(help="Print the resolved config and run directory, "
                                               "then exit.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train a model; files go to models/<Dataset>/<Model>/. Ctrl+C saves a checkpoint."""
    from facegan.config import load_config
    from facegan.runs import RunDir

    cfg = load_config(config, overrides or [])  # validates without importing torch
    run = RunDir.for_config(cfg)
    if dry_run:
        typer.echo(cfg.to_yaml().rstrip())
        typer.echo(f"# run directory: {run.path}")
        return
    from tqdm.contrib.logging import logging_redirect_tqdm

    from facegan.training.trainer import Trainer

    with logging_redirect_tqdm():
        result = Trainer(cfg, resume=resume, progress=progress).fit()
    if result.interrupted_by:
        raise typer.Exit(130)
    if not result.is_main:  # the other processes of a torchrun job
        return
    c = result.counters
    typer.echo(f"trained {c.epoch} epochs ({c.step} steps, {c.images_seen} images) in "
               f"{c.elapsed:.0f} s; run directory: {result.run_dir}")


@app.command()
def generate(
    path: Annotated[Path, typer.Argument(help="Run directory, checkpoint or generator folder.")],
    mode: Annotated[str, typer.Option(
        help="grid: n images; per-label: the same n noise vectors under every label; "
             "change-attr: one attribute from 0 to 1 (--attr); interpolate: n paths between "
             "two seeds (also a GIF); embedding: a row of n faces per embedding (--embedding)."
    )] = "grid",
    n: Annotated[Optional[int], typer.Option(
        "-n", min=1, help="Images (grid, default 64), images per row (per-label, embedding; "
                          "default 64) or rows (change-attr, interpolate; default 8).")] = None,
    grid: Annotated[Optional[Path], typer.Option(help="Write the picture here (default "
                                                      "samples.png, or <mode>.png).")] = None,
    out_dir: Annotated[Optional[Path], typer.Option(help="grid mode: write each image as a "
                                                         "PNG here.")] = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED,
                                      help="Noise seed; the same seed gives the same images.")]
    = 0,
    label: Annotated[Optional[list[str]], typer.Option(
        help="A label name (repeatable): the class of every image, or the attributes switched "
             "on; per-label: the labels to show (default all).")] = None,
    attr: Annotated[Optional[str], typer.Option(help="change-attr: the attribute to change.")]
    = None,
    steps: Annotated[int, typer.Option(help="change-attr / interpolate: columns.")] = 8,
    end_seed: Annotated[Optional[int], typer.Option(min=0, max=MAX_SEED,
                                                    help="interpolate: seed of the end noise "
                                                         "(default --seed + 1).")] = None,
    method: Annotated[str, typer.Option(help="interpolate: slerp (stays on the Gaussian "
                                             "shell) or lerp (straight line).")] = "slerp",
    gif: Annotated[Optional[Path], typer.Option(help="interpolate: the animation (default "
                                                     "next to the picture, .gif).")] = None,
    embedding: Annotated[Optional[Path], typer.Option(
        help="embedding: a .npy or .pt file of shape (E, D) or (D,).")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda.", callback=device_option)] = "cpu",
    sampling_steps: Annotated[Optional[int], typer.Option(
        help="diffusion: denoising steps (default: the model's, e.g. 50).")] = None,
    sampler: Annotated[Optional[str], typer.Option(help="diffusion: ddim or ddpm.")] = None,
    guidance: Annotated[Optional[float], typer.Option(
        help="diffusion, conditional: classifier-free guidance weight (1: none, e.g. 3).")]
    = None,
) -> None:
    """Generate images from a trained generator, in one of several modes."""
    import torch

    from facegan.conditions import load_embeddings
    from facegan.runs import atomic_file
    from facegan.sampling import generation, load_model
    from facegan.viz.grids import check_picture_path
    from facegan.viz.modes import draw_rows, save_interpolation_gif

    _check_generate_options(generation.MODES, mode, method, out_dir, device)
    for option, target in (("--grid", grid), ("--gif", gif)):
        if target is not None:
            check_picture_path(target, option)
    n = generation.default_count(mode) if n is None else n
    model = load_model(path)[0].with_options(steps=sampling_steps, sampler=sampler,
                                              guidance=guidance)
    labels, dev = label or [], torch.device(device)
    if mode == "grid":
        images = generation.grid(model, n, seed, dev, labels)
        _write_grid(images, grid if grid or out_dir else Path("samples.png"), out_dir)
        return
    rows = generation.mode_rows(model, mode, n, seed, dev, labels=labels, attribute=attr,
                                steps=steps, end_seed=end_seed, method=method,  # type: ignore
                                embeddings=load_embeddings(embedding) if embedding else None)
    picture = grid or Path(f"{mode}.png")
    picture.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(picture) as tmp:
        draw_rows(rows).save(tmp)
    typer.echo(f"wrote {len(rows.row_labels)} rows of {rows.images.shape[1]} images to "
               f"{picture}")
    if mode == "interpolate":
        gif = gif or picture.with_suffix(".gif")
        typer.echo(f"wrote a {save_interpolation_gif(rows, gif)}-frame animation to {gif}")


def _check_generate_options(modes: tuple[str, ...], mode: str, method: str,
                            out_dir: Path | None, device: str) -> None:
    import torch

    if mode not in modes:
        raise FaceganError(f"unknown --mode {mode!r}; valid modes: {', '.join(modes)}")
    if method not in ("slerp", "lerp"):
        raise FaceganError(f"unknown --method {method!r}; valid methods: slerp, lerp")
    if out_dir is not None and mode != "grid":
        raise FaceganError("--out-dir works with --mode grid only; other modes write one picture "
                           "(--grid FILE)")
    if device == "cuda" and not torch.cuda.is_available():
        raise FaceganError("--device cuda but no CUDA device is available; use --device cpu")


def _write_grid(images, grid: Path | None, out_dir: Path | None) -> None:
    from facegan.viz.grids import save_grid, save_individual

    for target, save, what in ((grid, save_grid, f"a grid of {len(images)} images"),
                               (out_dir, save_individual, f"{len(images)} images")):
        if target is not None:
            save(images, target)
            typer.echo(f"wrote {what} to {target}")


@app.command()
def report(
    run: Annotated[Path, typer.Argument(help="Run directory, e.g. models/MNIST/WGAN_GP.")],
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED,
                                      help="Seed of the generated pictures.")] = 0,
    device: Annotated[str, typer.Option(help="cpu or cuda.", callback=device_option)] = "cpu",
) -> None:
    """Write RUN/report.html: config, metrics, curves, samples, all pictures embedded."""
    import torch

    from facegan.viz.report import write_report

    if device == "cuda" and not torch.cuda.is_available():
        raise FaceganError("--device cuda but no CUDA device is available; use --device cpu")
    typer.echo(f"wrote {write_report(run, torch.device(device), seed)}")


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Two or more run directories.")],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("comparison.html"),
) -> None:
    """Write a page comparing runs: overlaid curves, last metrics, config differences, grids."""
    from facegan.viz.compare import write_comparison

    typer.echo(f"wrote {write_comparison(runs, out)}")
