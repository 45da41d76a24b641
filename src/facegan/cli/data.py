"""``facegan data ...`` and ``facegan features train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from facegan.cli.app import Overrides, app

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
    n: Annotated[int, typer.Option("-n", min=1, help="Images in the grid.")] = 64,
) -> None:
    """Print counts, image sizes, channels, label statistics and skipped files; save a grid.

    The dataset is built as training builds it, so its decoded-image cache is written too.
    """
    from facegan.data.base import build_dataset
    from facegan.data.inspect import data_section_for, describe
    from facegan.viz.grids import check_picture_path, save_real_grid

    check_picture_path(grid, "--grid")
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



features_app = typer.Typer(help="Feature extractors for evaluation (train the classifier or "
                                 "the SynthFaces identity extractor).",
                            no_args_is_help=True)
app.add_typer(features_app, name="features")


@features_app.command("train")
def features_train(
    config: Annotated[Path, typer.Argument(help="YAML recipe whose data section is used.")],
    overrides: Overrides = None,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs.")] = 3,
    width: Annotated[int, typer.Option(min=1, help="Channels of the first convolution.")] = 16,
    feature_dim: Annotated[int, typer.Option(min=1, help="Feature dimension (FID needs more "
                                                         "images than this).")] = 128,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default models/<Dataset>/"
                                                     "features/classifier or "
                                                     "synthfaces_identity).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train the `classifier` on a config's labelled dataset, or the `synthfaces_identity`
    extractor when its labels are SynthFaces identity vectors (data.identity_embedding)."""
    from facegan.config import load_config
    from facegan.metrics.classifier_training import train_classifier

    report = train_classifier(load_config(config, overrides or []), out_dir=out, epochs=epochs,
                              width=width, feature_dim=feature_dim, progress=progress)
    score = ("mean cosine of read and true identities" if report.kind != "classifier"
             else "validation accuracy")
    typer.echo(f"{report.kind}: {score} {report.validation_accuracy:.4f} on "
               f"{report.num_validation} held-out images ({report.num_train} trained on, "
               f"{report.seconds:.0f} s); saved to {report.directory}")
