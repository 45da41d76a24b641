import csv

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from facegan.errors import FaceganError
from facegan.faces.command import register


@pytest.fixture()
def data_app():
    app = typer.Typer()

    @app.callback()
    def data() -> None:
        """Stand-in for `facegan data`."""

    register(app)
    return app


def _invoke(app, *args):
    return CliRunner().invoke(app, ["faces", *map(str, args)])


def test_help_lists_the_options(data_app):
    result = _invoke(data_app, "--help")
    assert result.exit_code == 0
    for option in ["--src", "--out", "--size", "--min-face", "--detector", "--align", "--dedupe",
                   "--embed", "--crop", "--workers", "--landmarks", "--max-faces"]:  # fmt: skip
        assert option in result.output


def test_command_runs_in_parallel_and_prints_a_summary(
    data_app, tmp_path, astronaut, hopper, compose_scene, make_background
):
    src, out = tmp_path / "raw", tmp_path / "faces"
    src.mkdir()
    scenes = [
        compose_scene(astronaut, make_background("noise", 300, 300), 140, (150, 150)),
        compose_scene(astronaut, make_background("grass", 300, 360), 120, (200, 150), -7),
        compose_scene(hopper, make_background("brick", 300, 300), 140, (150, 150)),
    ]
    for i, scene in enumerate(scenes):
        Image.fromarray(scene.image).save(src / f"photo{i}.png")
    (src / "bad.jpg").write_bytes(b"garbage")

    result = _invoke(
        data_app, "--src", src, "--out", out, "--size", 64, "--align", "--embed", "--landmarks", 5,
        "--dedupe", 0.3, "--workers", 2,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 found, 2 kept" in result.output
    assert "duplicate 1" in result.output and "1 unreadable" in result.output
    with open(out / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and np.load(out / "embeddings.npy").shape == (2, 128)
    for row in rows:
        with Image.open(out / row["image"]) as image:
            assert image.size == (64, 64)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dedupe", "1.5"], "invalid --dedupe value"),
        (["--crop", "celeba", "--align"], "--crop celeba skips face detection"),
    ],
)
def test_user_mistakes_raise_facegan_error(data_app, tmp_path, args, message):
    (tmp_path / "raw").mkdir()
    result = _invoke(data_app, "--src", tmp_path / "raw", "--out", tmp_path / "out", *args)
    assert isinstance(result.exception, FaceganError)
    assert message in str(result.exception)


def test_missing_source_folder_is_a_user_error(data_app, tmp_path):
    result = _invoke(data_app, "--src", tmp_path / "nope", "--out", tmp_path / "out")
    assert isinstance(result.exception, FaceganError)
    assert "source folder not found" in str(result.exception)


def test_unknown_detector_is_a_usage_error(data_app, tmp_path):
    result = _invoke(data_app, "--src", tmp_path, "--out", tmp_path / "o", "--detector", "yolo")
    assert result.exit_code == 2
