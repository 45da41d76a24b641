import csv

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from facegan.cli import app, main
from facegan.config import validate_section
from facegan.data.base import build_dataset
from facegan.data.image_folder import ImageFolderConfig
from facegan.data.synthfaces import ATTRIBUTE_NAMES, generate
from tests.conftest import REPO
from tests.data.conftest import write_corrupt_files, write_solid_images

runner = CliRunner()


def test_synth_writes_a_folder_that_loads_with_its_labels(tmp_path):
    out = tmp_path / "synthfaces"
    result = runner.invoke(app, ["data", "synth", "--n", "12", "--size", "16", "--out", str(out),
                                 "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "wrote 12 SynthFaces images" in result.output
    with (out / "labels.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 12
    cfg = validate_section(ImageFolderConfig, {
        "name": "image_folder", "root": str(out), "image_size": 16, "labels_csv": "labels.csv",
        "label_columns": ["Smiling", "Male"]}, "data")
    dataset = build_dataset(cfg)
    reference = generate(12, 16, seed=2)
    assert dataset.info.label_names == ("Smiling", "Male")
    columns = [ATTRIBUTE_NAMES.index("Smiling"), ATTRIBUTE_NAMES.index("Male")]
    assert dataset.labels.tolist() == reference.attributes[:, columns].tolist()
    stored = dataset.uint8_images(list(range(12))).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(stored, reference.images)  # PNG is lossless


def test_inspect_a_folder_prints_counts_labels_skipped_and_saves_a_grid(tmp_path):
    data = tmp_path / "pets"
    write_solid_images(data / "cat", [(255, 0, 0)] * 3)
    write_solid_images(data / "dog", [(0, 0, 255)])
    write_corrupt_files(data / "dog")
    grid = tmp_path / "grid.png"
    result = runner.invoke(app, ["data", "inspect", str(data), "--set", "data.class_folders=true",
                                 "--set", "data.image_size=8", "--grid", str(grid)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "images: 4 of 7 files (3 skipped as unreadable)" in out
    assert "source image sizes: 24x20 x4" in out
    assert "served as: 3 channel(s), 8x8 px" in out
    assert "labels: class, 2 names" in out and "cat: 3 (75.0%)" in out and "dog: 1 (25.0%)" in out
    assert "skipped: dog/truncated.jpg" in out and "cache: " in out
    assert Image.open(grid).size == (2 * 10 + 2, 2 * 10 + 2)  # 4 images of 8 px, padding 2


def test_inspect_a_recipe_uses_its_data_section(tmp_path):
    grid = tmp_path / "grid.png"
    result = runner.invoke(app, ["data", "inspect", str(REPO / "configs" / "synthfaces_dcgan.yaml"),
                                 "--set", "data.n=9", "--set", "data.image_size=16",
                                 "--set", f"data.cache_dir={tmp_path}", "--set",
                                 "data.attributes=[Smiling]", "--grid", str(grid), "-n", "4"])
    assert result.exit_code == 0, result.output
    assert "dataset: synthfaces (SynthFaces)" in result.output
    assert "labels: multilabel, 1 names" in result.output and "Smiling: " in result.output
    assert grid.is_file()


def test_data_mistakes_are_one_line_errors(tmp_path, capsys):
    cases = [
        (["data", "inspect", str(tmp_path / "nothing")], "neither a YAML recipe nor a data folder"),
        (["data", "inspect", str(tmp_path)], "no images (jpg, png, webp, bmp) found in"),
        (["train", str(REPO / "configs" / "celeba64_dcgan.yaml"), "--set",
          f"data.root={tmp_path / 'celeba'}", "--set", f"run.root={tmp_path}"],
         "does not exist; download Align&Cropped Images"),
        (["train", str(REPO / "configs" / "animefaces_dcgan.yaml"), "--set",
          f"data.root={tmp_path / 'anime'}", "--set", f"run.root={tmp_path}"],
         "kaggle.com/datasets/splcher/animefacedataset"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as info:
            main(args)
        err = capsys.readouterr().err
        assert info.value.code == 2 and message in err, err
        assert err.startswith("error: ") and err.count("\n") == 1


def test_the_faces_command_joins_the_data_commands():
    result = runner.invoke(app, ["data", "faces", "--help"])
    assert result.exit_code == 0 and "--embed" in result.output
