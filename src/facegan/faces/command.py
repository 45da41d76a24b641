"""`facegan data faces`: the CLI face of the preprocessing pipeline (parse, run, print)."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from facegan.faces.job import DEFAULT_MIN_FACE, FaceJob
from facegan.faces.pipeline import format_summary, run_faces_job


class Detector(str, Enum):
    hog = "hog"
    cnn = "cnn"


class CropMode(str, Enum):
    none = "none"
    celeba = "celeba"
    center = "center"


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def faces(
    src: Annotated[Path, typer.Option("--src", help="Folder of photos (searched recursively).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder; re-run to resume.")],
    size: Annotated[int, typer.Option("--size", help="Side of the square output crops, px.")] = 128,
    min_face: Annotated[
        float,
        typer.Option(
            "--min-face",
            help="Smallest face kept, px across (detector box); the summary counts the faces "
            "just below it. Ignored with --crop.",
            show_default="90.5 = 128/sqrt(2)",
        ),
    ] = DEFAULT_MIN_FACE,
    detector: Annotated[
        Detector, typer.Option("--detector", help="hog: fast; cnn: finds more poses, ~50x slower.")
    ] = Detector.hog,
    landmarks: Annotated[
        int, typer.Option("--landmarks", help="Landmark model for cropping: 68 or 5 points.")
    ] = 68,
    align: Annotated[
        bool,
        typer.Option(
            "--align/--no-align",
            help="Rotate so the eyes are level (FFHQ-style); without it crops stay upright.",
        ),
    ] = False,
    dedupe: Annotated[
        Optional[float],
        typer.Option(
            "--dedupe",
            help="Remove near-duplicates closer than this, keeping the sharpest: fraction of "
            "perceptual-hash bits (e.g. 0.1), or embedding distance with --embed (e.g. 0.3).",
        ),
    ] = None,
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="Write 128-d dlib face descriptors.")
    ] = False,
    crop: Annotated[
        CropMode,
        typer.Option("--crop", help="celeba / center: crop already-aligned photos, no detection."),
    ] = CropMode.none,
    max_faces: Annotated[
        int, typer.Option("--max-faces", help="Faces kept per photo, largest first; 0 = all.")
    ] = 1,
    workers: Annotated[
        Optional[int],
        typer.Option("--workers", help="Worker processes.", show_default="all CPU cores"),
    ] = None,
) -> None:
    """Detect, align, de-duplicate and embed faces from a folder of photos."""
    job = FaceJob(
        src=src,
        out=out,
        size=size,
        min_face=min_face,
        detector=detector.value,
        landmarks=landmarks,
        align=align,
        embed=embed,
        crop=crop.value,
        max_faces=max_faces,
        dedupe=dedupe,
        workers=workers if workers is not None else _default_workers(),
    )
    summary = run_faces_job(job)
    typer.echo(format_summary(summary))


def register(data_app: typer.Typer) -> None:
    """Add the `faces` command to the `facegan data` sub-app."""
    data_app.command("faces")(faces)
