"""The ``facegan`` command line: parse, load config, call the library. Nothing else."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from facegan import __version__
from facegan.errors import FaceganError

app = typer.Typer(
    name="facegan",
    help="Train, evaluate and serve generative models of faces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Overrides = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", metavar="KEY=VALUE",
                 help="Override a config value, e.g. --set train.epochs=3 (repeatable)."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"facegan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="facegan: %(message)s", stream=sys.stderr, force=True)
    for noisy in ("matplotlib", "PIL", "urllib3", "onnx_ir", "onnxscript"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


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
    from tqdm.contrib.logging import logging_redirect_tqdm

    from facegan.config import load_config
    from facegan.runs import RunDir
    from facegan.training import Trainer

    cfg = load_config(config, overrides or [])
    run = RunDir.for_config(cfg)
    if dry_run:
        typer.echo(cfg.to_yaml().rstrip())
        typer.echo(f"# run directory: {run.path}")
        return
    with logging_redirect_tqdm():
        result = Trainer(cfg, resume=resume, progress=progress).fit()
    if result.interrupted_by:
        raise typer.Exit(130)
    c = result.counters
    typer.echo(f"trained {c.epoch} epochs ({c.step} steps, {c.images_seen} images) in "
               f"{c.elapsed:.0f} s; run directory: {result.run_dir}")


@app.command()
def generate(
    path: Annotated[Path, typer.Argument(help="Run directory, checkpoint or generator folder.")],
    n: Annotated[int, typer.Option("-n", help="Number of images.")] = 64,
    grid: Annotated[Optional[Path], typer.Option(help="Write all images as one PNG grid.")]
    = None,
    out_dir: Annotated[Optional[Path], typer.Option(help="Write each image as a PNG here.")]
    = None,
    seed: Annotated[int, typer.Option(help="Noise seed; the same seed gives the same images.")]
    = 0,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
) -> None:
    """Generate images from a trained generator."""
    import torch

    from facegan.sampling import generate_images, load_for_generation
    from facegan.viz.grids import save_grid, save_individual

    if grid is None and out_dir is None:
        grid = Path("samples.png")
    if device == "cuda" and not torch.cuda.is_available():
        raise FaceganError("--device cuda but no CUDA device is available; use --device cpu")
    generator, meta = load_for_generation(path)
    images = generate_images(generator, n, seed, torch.device(device))
    if grid is not None:
        save_grid(images, grid)
        typer.echo(f"wrote a grid of {n} images to {grid}")
    if out_dir is not None:
        save_individual(images, out_dir)
        typer.echo(f"wrote {n} images to {out_dir}/")


data_app = typer.Typer(help="Prepare and inspect datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("synth")
def data_synth(
    n: Annotated[int, typer.Option("--n", help="Number of images.")] = 20000,
    size: Annotated[int, typer.Option("--size", help="Side of the square images, px.")] = 64,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("data/synthfaces"),
    seed: Annotated[int, typer.Option(help="The same seed draws the same faces.")] = 0,
    num_identities: Annotated[Optional[int], typer.Option(
        help="Number of people (image i shows person i % K); default: one per image.")] = None,
) -> None:
    """Draw the SynthFaces set as an image folder: images/*.png and labels.csv."""
    from facegan.data.synthfaces import write_image_folder

    folder = write_image_folder(out, n, size, seed, num_identities=num_identities)
    typer.echo(f"wrote {n} SynthFaces images of {size} px to {folder}/images/ with "
               f"{folder}/labels.csv")


@data_app.command("inspect")
def data_inspect(
    path: Annotated[Path, typer.Argument(help="A YAML recipe (its data section) or a data "
                                              "folder.")],
    overrides: Overrides = None,
    grid: Annotated[Path, typer.Option(help="Where to save a grid of real images.")]
    = Path("real_images.png"),
    n: Annotated[int, typer.Option("-n", help="Images in the grid.")] = 64,
) -> None:
    """Print counts, image sizes, channels, label statistics and skipped files; save a grid.

    The dataset is built as training builds it, so its decoded-image cache is written too.
    """
    from facegan.data.base import build_dataset
    from facegan.data.inspect import data_section_for, describe, save_real_grid

    data_config = data_section_for(path, overrides or [])
    dataset = build_dataset(data_config)
    for line in describe(dataset, data_config):
        typer.echo(line)
    count = save_real_grid(dataset, grid, n)
    typer.echo(f"grid: {count} real images in {grid}")


def _register_data_commands() -> None:
    """Commands other packages add to `facegan data` (absent packages add nothing)."""
    try:
        from facegan.faces.command import register as register_faces
    except ModuleNotFoundError as exc:
        if exc.name not in ("facegan.faces", "facegan.faces.command"):
            raise  # the package is there but broken: show why
        return
    register_faces(data_app)


_register_data_commands()


@app.command()
def serve(
    path: Annotated[Optional[Path], typer.Argument(
        help="Run directory, checkpoint, generator folder or .onnx export.")] = None,
    model: Annotated[Optional[list[str]], typer.Option(
        "--model", "-m", metavar="NAME=PATH", help="Serve several models (repeatable).")] = None,
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes the server to "
                                           "the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    queue_limit: Annotated[int, typer.Option(help="Generation requests allowed to wait at "
                                                  "once; more get 503.")] = 16,
    device: Annotated[str, typer.Option(help="cpu or cuda (PyTorch models).")] = "cpu",
) -> None:
    """Serve a web page and REST API that generate images (needs the serve extra)."""
    import torch

    from facegan.serve.models import parse_model_option
    from facegan.serve.runner import load_models, require_serve, run_server

    require_serve()
    named = [(path.stem, path)] if path is not None else []
    named += [parse_model_option(option) for option in model or []]
    if not named:
        raise FaceganError("nothing to serve; pass a run directory (facegan serve "
                           "models/MNIST/WGAN_GP) or --model NAME=PATH")
    if device == "cuda" and not torch.cuda.is_available():
        raise FaceganError("--device cuda but no CUDA device is available; use --device cpu")
    if queue_limit < 1:
        raise FaceganError(f"--queue-limit must be at least 1 (got {queue_limit})")
    run_server(load_models(named, torch.device(device)), host, port, queue_limit)


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="Run directory, checkpoint or generator folder.")],
    out: Annotated[Path, typer.Option(help="File to write, e.g. generator.onnx.")],
    fmt: Annotated[str, typer.Option("--format", help="onnx or torchscript.")] = "onnx",
) -> None:
    """Export a generator with a dynamic batch size, checked against PyTorch."""
    from facegan.export import export_generator
    from facegan.sampling import load_for_generation

    if fmt not in ("onnx", "torchscript"):
        raise FaceganError(f"--format {fmt!r} is not supported; use onnx or torchscript")
    generator, meta = load_for_generation(path)
    result = export_generator(generator, meta, fmt, out)
    typer.echo(f"wrote {result.path} ({fmt}, dynamic batch size); largest difference from "
               f"PyTorch: {result.max_abs_difference:.1e}")


@app.command()
def pipeline(
    config: Annotated[str, typer.Argument(
        help="YAML recipe; or the word 'status' followed by a run directory.")],
    run_dir: Annotated[Optional[Path], typer.Argument(
        metavar="RUN", help="With 'status': the run directory.")] = None,
    overrides: Overrides = None,
    epochs: Annotated[Optional[int], typer.Option(
        help="Train until this epoch (default: train.epochs).")] = None,
    pipeline_file: Annotated[Optional[Path], typer.Option(
        "--pipeline", help="Pipeline file (default: CONFIG's <stem>.pipeline.yaml if present, "
                           "else train_epoch only).")] = None,
) -> None:
    """Train as epoch cycles, each a fresh process; edit the config or pipeline file meanwhile.

    facegan pipeline CONFIG [--epochs 150] runs (or continues) the pipeline;
    facegan pipeline status RUN shows its progress.
    """
    from facegan.pipelines import format_status, read_status, run_pipeline

    if config == "status":
        if run_dir is None:
            raise FaceganError("facegan pipeline status needs a run directory, e.g. "
                               "facegan pipeline status models/MNIST/WGAN_GP")
        typer.echo(format_status(read_status(run_dir)))
        return
    if run_dir is not None:
        raise FaceganError(f"unexpected argument {run_dir}; use facegan pipeline CONFIG, or "
                           "facegan pipeline status RUN")
    result = run_pipeline(Path(config), overrides=tuple(overrides or ()),
                          pipeline_path=pipeline_file, epochs=epochs)
    if result.status == "failed":
        if result.log is not None and result.log.is_file():
            tail = result.log.read_text().splitlines()[-20:]
            typer.echo("\n".join(tail), err=True)
        typer.echo(f"error: {result.message}", err=True)
        raise typer.Exit(1)
    typer.echo(f"pipeline {result.status}: {result.message}; run directory: {result.run_dir}")
    if result.status == "stopped":
        raise typer.Exit(130)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes (FaceganError) print one line and exit 2, no traceback."""
    try:
        app(args=argv, prog_name="facegan")
    except FaceganError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
