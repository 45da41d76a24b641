"""``facegan serve`` and ``facegan export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from facegan.cli.app import app, device_option
from facegan.errors import FaceganError


@app.command()
def serve(
    path: Annotated[Optional[Path], typer.Argument(
        help="Run directory, checkpoint, generator folder or .onnx export.")] = None,
    model: Annotated[Optional[list[str]], typer.Option(
        "--model", "-m", metavar="NAME=PATH", help="Serve several models (repeatable).")] = None,
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes the server to "
                                           "the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    queue_limit: Annotated[int, typer.Option(help="Generation requests allowed to wait at "
                                                  "once; more get 503.")] = 16,
    device: Annotated[str, typer.Option(help="cpu or cuda (PyTorch models).",
                                        callback=device_option)] = "cpu",
    workers: Annotated[int, typer.Option(min=1, help="Server processes, each with the models "
                                                     "loaded (for machines with more cores).")]
    = 1,
) -> None:
    """Serve a web page and REST API that generate images (needs the serve extra)."""
    import torch

    from facegan.serve import require_serve
    from facegan.serve.models import parse_model_option

    require_serve()
    from facegan.serve.runner import load_models, run_server, run_workers

    named = [(path.stem, path)] if path is not None else []
    named += [parse_model_option(option) for option in model or []]
    if not named:
        raise FaceganError("nothing to serve; pass a run directory (facegan serve "
                           "models/MNIST/WGAN_GP) or --model NAME=PATH")
    if device == "cuda" and not torch.cuda.is_available():
        raise FaceganError("--device cuda but no CUDA device is available; use --device cpu")
    if queue_limit < 1:
        raise FaceganError(f"--queue-limit must be at least 1 (got {queue_limit})")
    if workers > 1:
        run_workers(named, torch.device(device), host, port, queue_limit, workers)
    else:
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
