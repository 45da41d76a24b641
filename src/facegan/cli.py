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
    mode: Annotated[str, typer.Option(
        help="grid: n images; per-label: the same n noise vectors under every label; "
             "change-attr: one attribute from 0 to 1 (--attr); interpolate: n paths between "
             "two seeds (also a GIF); embedding: a row of n faces per embedding (--embedding)."
    )] = "grid",
    n: Annotated[int, typer.Option("-n", help="Images (grid), or images per row.")] = 64,
    grid: Annotated[Optional[Path], typer.Option(help="Write the picture here (default "
                                                      "samples.png, or <mode>.png).")] = None,
    out_dir: Annotated[Optional[Path], typer.Option(help="grid mode: write each image as a "
                                                         "PNG here.")] = None,
    seed: Annotated[int, typer.Option(help="Noise seed; the same seed gives the same images.")]
    = 0,
    label: Annotated[Optional[list[str]], typer.Option(
        help="A label name (repeatable): the class of every image, or the attributes switched "
             "on; per-label: the labels to show (default all).")] = None,
    attr: Annotated[Optional[str], typer.Option(help="change-attr: the attribute to change.")]
    = None,
    steps: Annotated[int, typer.Option(help="change-attr / interpolate: columns.")] = 8,
    end_seed: Annotated[Optional[int], typer.Option(help="interpolate: seed of the end noise "
                                                         "(default --seed + 1).")] = None,
    method: Annotated[str, typer.Option(help="interpolate: slerp (stays on the Gaussian "
                                             "shell) or lerp (straight line).")] = "slerp",
    gif: Annotated[Optional[Path], typer.Option(help="interpolate: the animation (default "
                                                     "next to the picture, .gif).")] = None,
    embedding: Annotated[Optional[Path], typer.Option(
        help="embedding: a .npy or .pt file of shape (E, D) or (D,).")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
) -> None:
    """Generate images from a trained generator, in one of several modes."""
    import torch

    from facegan.conditions import load_embeddings
    from facegan.sampling import generation, load_model
    from facegan.viz.grids import save_grid, save_individual
    from facegan.viz.modes import draw_rows, save_interpolation_gif

    if mode not in generation.MODES:
        raise FaceganError(f"unknown --mode {mode!r}; valid modes: {', '.join(generation.MODES)}")
    if method not in ("slerp", "lerp"):
        raise FaceganError(f"unknown --method {method!r}; valid methods: slerp, lerp")
    if out_dir is not None and mode != "grid":
        raise FaceganError("--out-dir works with --mode grid only; other modes write one picture "
                           "(--grid FILE)")
    if device == "cuda" and not torch.cuda.is_available():
        raise FaceganError("--device cuda but no CUDA device is available; use --device cpu")
    model, _ = load_model(path)
    labels, dev = label or [], torch.device(device)
    if mode == "grid":
        if grid is None and out_dir is None:
            grid = Path("samples.png")
        images = generation.grid(model, n, seed, dev, labels)
        if grid is not None:
            save_grid(images, grid)
            typer.echo(f"wrote a grid of {n} images to {grid}")
        if out_dir is not None:
            save_individual(images, out_dir)
            typer.echo(f"wrote {n} images to {out_dir}/")
        return
    if mode == "per-label":
        rows = generation.per_label(model, n, seed, dev, labels)
    elif mode == "change-attr":
        if attr is None:
            raise FaceganError("--mode change-attr needs --attr NAME (the attribute to change)")
        rows = generation.change_attribute(model, n, seed, dev, attr, labels, steps)
    elif mode == "interpolate":
        rows = generation.interpolate(model, n, seed, dev, steps, end_seed, method, labels)
    else:
        if embedding is None:
            raise FaceganError("--mode embedding needs --embedding FILE (.npy or .pt, shape "
                               "(E, D) or (D,))")
        rows = generation.embedding_rows(model, n, seed, dev, load_embeddings(embedding))
    picture = grid or Path(f"{mode}.png")
    picture.parent.mkdir(parents=True, exist_ok=True)
    draw_rows(rows).save(picture)
    typer.echo(f"wrote {len(rows.row_labels)} rows of {rows.images.shape[1]} images to "
               f"{picture}")
    if mode == "interpolate":
        gif = gif or picture.with_suffix(".gif")
        frames = save_interpolation_gif(rows, gif)
        typer.echo(f"wrote a {frames}-frame animation to {gif}")


@app.command()
def report(
    run: Annotated[Path, typer.Argument(help="Run directory, e.g. models/MNIST/WGAN_GP.")],
    seed: Annotated[int, typer.Option(help="Seed of the generated pictures.")] = 0,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
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
    from facegan.export import export_model
    from facegan.sampling import load_model

    if fmt not in ("onnx", "torchscript"):
        raise FaceganError(f"--format {fmt!r} is not supported; use onnx or torchscript")
    model, meta = load_model(path)
    result = export_model(model, meta, fmt, out)
    typer.echo(f"wrote {result.path} ({fmt}, dynamic batch size); largest difference from "
               f"PyTorch: {result.max_abs_difference:.1e}")


features_app = typer.Typer(help="Feature extractors for evaluation (train the classifier).",
                            no_args_is_help=True)
app.add_typer(features_app, name="features")


@features_app.command("train")
def features_train(
    config: Annotated[Path, typer.Argument(help="YAML recipe whose data section is used.")],
    overrides: Overrides = None,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 3,
    width: Annotated[int, typer.Option(help="Channels of the first convolution.")] = 16,
    feature_dim: Annotated[int, typer.Option(help="Feature dimension (FID needs more images "
                                                  "than this).")] = 128,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default models/<Dataset>/"
                                                     "features/classifier).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train the `classifier` feature extractor on a config's labelled dataset."""
    from facegan.config import load_config
    from facegan.metrics.classifier_training import train_classifier

    report = train_classifier(load_config(config, overrides or []), out_dir=out, epochs=epochs,
                              width=width, feature_dim=feature_dim, progress=progress)
    typer.echo(f"classifier: validation accuracy {report.validation_accuracy:.4f} on "
               f"{report.num_validation} held-out images ({report.num_train} trained on, "
               f"{report.seconds:.0f} s); saved to {report.directory}")


@app.command()
def evaluate(
    path: Annotated[Path, typer.Argument(help="Run directory, checkpoint or generator folder.")],
    metrics: Annotated[str, typer.Option(help="Comma-separated: fid, kid, pr, acc, id.")]
    = "fid,kid,pr",
    features: Annotated[str, typer.Option(help="Feature extractor: classifier, inception, "
                                               "face.")] = "classifier",
    num_samples: Annotated[int, typer.Option(help="Generated images.")] = 1000,
    num_real: Annotated[Optional[int], typer.Option(help="Real images (default: as many as "
                                                         "--num-samples).")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the results here.")]
    = None,
    inception_weights: Annotated[Optional[Path], typer.Option(
        help="Local Inception weights (offline); default: download once to torch's cache.")]
    = None,
    classifier: Annotated[Optional[Path], typer.Option(
        help="Classifier folder (default models/<Dataset>/features/classifier).")] = None,
    face_models: Annotated[Optional[Path], typer.Option(
        help="Folder with dlib's .dat models (default: face-recognition-models).")] = None,
    embedder: Annotated[str, typer.Option(help="Extractor embedding faces for id.")] = "face",
    condition: Annotated[str, typer.Option(help="c passed to the generator: auto, none, "
                                                "labels, embedding.")] = "auto",
    config: Annotated[Optional[Path], typer.Option(help="Config for the real data (default: "
                                                        "the run's config.yaml).")] = None,
    overrides: Overrides = None,
    batch_size: Annotated[int, typer.Option(help="Images per batch.")] = 64,
    seed: Annotated[int, typer.Option(help="Picks real images, noise and conditions.")] = 0,
    cache: Annotated[bool, typer.Option(help="Cache real-image features in "
                                             "models/<Dataset>/.fidcache.")] = True,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Measure a trained generator: FID/KID, precision/recall, conditional scores."""
    import json

    from facegan.metrics.evaluate import EvalSettings, format_table, parse_metrics
    from facegan.metrics.run_evaluation import evaluate_path

    if condition not in ("auto", "none", "labels", "embedding"):
        raise FaceganError(f"--condition {condition!r}: choose auto, none, labels or embedding")
    settings = EvalSettings(metrics=parse_metrics(metrics), num_samples=num_samples,
                            num_real=num_real, batch_size=batch_size, seed=seed,
                            condition=condition, progress=progress)  # type: ignore[arg-type]
    result = evaluate_path(path, settings, features=features,
                           inception_weights=inception_weights, classifier=classifier,
                           face_models=face_models, embedder=embedder, config_path=config,
                           overrides=overrides or [], use_cache=cache, device=device)
    typer.echo(format_table(result))
    typer.echo(f"({result.seconds:.1f} s)")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
        typer.echo(f"wrote {json_out}")


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
