"""The real-face path end to end: photos -> `facegan data faces --embed` -> an
embedding-conditioned run on the embedding_folder -> `facegan evaluate --metrics id --features
face`, on the faces dlib can read (the astronaut and Grace Hopper, pasted into scenes)."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facegan.cli import main
from facegan.config import load_config
from facegan.training.trainer import Trainer

RECIPE = Path(__file__).parents[2] / "configs" / "faces128_embedding.yaml"


def run_cli(args: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_code:
        main(args)
    captured = capsys.readouterr()
    assert exit_code.value.code == 0, captured.err
    return captured.out


def test_photos_to_embedding_folder_to_a_trained_run_scored_by_identity(
        tmp_path, capsys, astronaut, hopper, compose_scene, make_background):
    photos, faces = tmp_path / "photos", tmp_path / "faces"
    photos.mkdir()
    layouts = [("noise", 140, (150, 150), 0), ("grass", 120, (160, 140), -6),
               ("gradient", 130, (140, 160), 5)]
    for person, source in (("astronaut", astronaut), ("hopper", hopper)):
        for i, (kind, size, center, angle) in enumerate(layouts):
            scene = compose_scene(source, make_background(kind, 300, 300, seed=i), size, center,
                                  angle)
            Image.fromarray(scene.image).save(photos / f"{person}{i}.png")
    run_cli(["data", "faces", "--src", str(photos), "--out", str(faces), "--size", "64",
             "--align", "--embed", "--workers", "1"], capsys)
    embeddings = np.load(faces / "embeddings.npy")
    assert embeddings.shape == (6, 128)

    config = load_config(RECIPE, [
        f"data.root={faces}", "data.image_size=64", "model.g_width=8", "model.d_width=8",
        "train.epochs=1", "train.batch_size=3", f"run.root={tmp_path / 'models'}",
        "log.num_samples=4", "log.histograms=false", "log.tensorboard=false"])
    run_dir = Trainer(config, progress=False).fit().run_dir
    out = tmp_path / "id.json"
    table = run_cli(["evaluate", str(run_dir), "--metrics", "id", "--features", "face",
                     "--num-samples", "12", "--json", str(out), "--no-progress"], capsys)
    assert "identity_score" in table
    records = {r["metric"]: r for r in json.loads(out.read_text())["results"]}
    assert set(records) == {"identity_similarity", "identity_score", "identity_verification"}
    score = records["identity_score"]
    assert score["features"] == "face" and score["num_real"] == 12
    # dlib reads the 64 px crops back close to the descriptors of the full-size faces, and
    # closer than to other photos' (dlib's descriptors all have cosines near 0.85, and the
    # unrelated pairs here include the same person's other photos, so the gap is small); an
    # untrained generator's score is whatever it is, but finite
    assert score["ceiling"] > 0.8 and score["ceiling"] > score["floor"]
    assert np.isfinite(score["value"])
