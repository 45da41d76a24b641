"""``facegan evaluate`` and ``facegan pipeline``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from facegan.cli.app import MAX_SEED, Overrides, app, device_option
from facegan.errors import FaceganError


@app.command()
def evaluate(
    path: Annotated[Path, typer.Argument(help="Run directory, checkpoint or generator folder.")],
    metrics: Annotated[str, typer.Option(help="Comma-separated: fid, kid, pr, acc, id.")]
    = "fid,kid,pr",
    features: Annotated[str, typer.Option(help="Feature extractor: classifier, inception, "
                                               "face, synthfaces_identity.")] = "classifier",
    num_samples: Annotated[int, typer.Option(min=1, help="Generated images.")] = 1000,
    num_real: Annotated[Optional[int], typer.Option(min=1, help="Real images (default: as many "
                                                                "as --num-samples).")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the results here.")]
    = None,
    inception_weights: Annotated[Optional[Path], typer.Option(
        help="Local Inception weights (offline); default: download once to torch's cache.")]
    = None,
    classifier: Annotated[Optional[Path], typer.Option(
        help="Classifier folder (default models/<Dataset>/features/classifier).")] = None,
    face_models: Annotated[Optional[Path], typer.Option(
        help="Folder with dlib's .dat models (default: face-recognition-models).")] = None,
    embedder: Annotated[Optional[str], typer.Option(
        help="Extractor reading identities for id: face or synthfaces_identity (default: "
             "--features when it is one, else the one for the data).")] = None,
    condition: Annotated[str, typer.Option(help="c passed to the generator: auto, none, "
                                                "labels, embedding.")] = "auto",
    config: Annotated[Optional[Path], typer.Option(help="Config for the real data (default: "
                                                        "the run's config.yaml).")] = None,
    overrides: Overrides = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 64,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED,
                                      help="Picks real images, noise and conditions.")] = 0,
    cache: Annotated[bool, typer.Option(help="Cache real-image features in "
                                             "models/<Dataset>/.fidcache.")] = True,
    device: Annotated[str, typer.Option(help="cpu or cuda.", callback=device_option)] = "cpu",
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    sampling_steps: Annotated[Optional[int], typer.Option(
        help="diffusion: denoising steps (default: the model's).")] = None,
    guidance: Annotated[Optional[float], typer.Option(
        help="diffusion, conditional: classifier-free guidance weight.")] = None,
) -> None:
    """Measure a trained generator: FID/KID, precision/recall, conditional scores."""
    import json

    from facegan.metrics.evaluate import EvalSettings, format_table, parse_metrics
    from facegan.metrics.run_evaluation import evaluate_path
    from facegan.runs import atomic_write_text

    if condition not in ("auto", "none", "labels", "embedding"):
        raise FaceganError(f"--condition {condition!r}: choose auto, none, labels or embedding")
    settings = EvalSettings(metrics=parse_metrics(metrics), num_samples=num_samples,
                            num_real=num_real, batch_size=batch_size, seed=seed,
                            condition=condition, progress=progress)  # type: ignore[arg-type]
    result = evaluate_path(path, settings, features=features,
                           inception_weights=inception_weights, classifier=classifier,
                           face_models=face_models, embedder=embedder, config_path=config,
                           overrides=overrides or [], use_cache=cache, device=device,
                           sampling={"steps": sampling_steps, "guidance": guidance})
    typer.echo(format_table(result))
    typer.echo(f"({result.seconds:.1f} s)")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(json_out, json.dumps(result.to_dict(), indent=2) + "\n")
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
    nproc_per_node: Annotated[int, typer.Option(
        help="Run each cycle under torchrun with this many processes (one per GPU).")] = 1,
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
                          pipeline_path=pipeline_file, epochs=epochs,
                          nproc_per_node=nproc_per_node)
    if result.status == "failed":
        if result.log is not None and result.log.is_file():
            tail = result.log.read_text().splitlines()[-20:]
            typer.echo("\n".join(tail), err=True)
        typer.echo(f"error: {result.message}", err=True)
        raise typer.Exit(1)
    typer.echo(f"pipeline {result.status}: {result.message}; run directory: {result.run_dir}")
    if result.status == "stopped":
        raise typer.Exit(130)
