"""A conditional GAN (ACGAN on MNIST digits) through the one trainer, and generation by label."""

import json

import pytest
import torch
from PIL import Image

from facegan.cli import main
from facegan.config import load_config
from facegan.errors import FaceganError
from facegan.runs import RunDir
from facegan.sampling import generate_images, load_model
from facegan.training.trainer import Trainer
from tests.conftest import REPO, TINY
from tests.training.test_trainer import assert_same_state, state_of

ACGAN_CONFIG = REPO / "configs" / "mnist_acgan.yaml"


@pytest.fixture
def acgan_config(tmp_path, mnist_dir):
    def make(*overrides: str, name: str = "ACGAN"):
        return load_config(ACGAN_CONFIG, [*TINY, "model.condition_dim=4", "data.limit=32",
                                          "log.histograms=false", "log.tensorboard=false",
                                          f"data.root={mnist_dir}",
                                          f"run.root={tmp_path / 'models'}",
                                          f"run.name={name}", *overrides])

    return make


def test_acgan_run_leaves_its_files_resumes_exactly_and_generates_by_label(acgan_config,
                                                                           tmp_path):
    straight = Trainer(acgan_config(name="straight"), progress=False).fit()
    assert straight.counters.step == 8  # 2 epochs of 32 digits in batches of 8
    run = RunDir.for_config(acgan_config(name="straight"))
    records = [json.loads(line) for line in run.metrics_file.read_text().splitlines()]
    for key in ("discriminator/loss", "discriminator/aux_real", "discriminator/aux_accuracy",
                "generator/loss", "generator/aux", "generator/aux_accuracy"):
        assert key in records[-1]
    # 16 fixed samples, one digit per column: 10 columns, 2 rows of 34 px (32 + padding 2).
    grid = Image.open(run.samples / "epoch_002.png")
    assert grid.size == (10 * 34 + 2, 2 * 34 + 2)
    meta = json.loads((run.saved_models / "generator" / "generator.json").read_text())
    assert meta["model"]["d_condition"] == "aux" and meta["data"]["label_kind"] == "class"

    Trainer(acgan_config("train.epochs=1", name="split"), progress=False).fit()
    torch.manual_seed(12345)
    resumed = Trainer(acgan_config(name="split"), resume=True, progress=False).fit()
    assert_same_state(state_of(straight.run_dir), state_of(resumed.run_dir))

    generator, meta = load_model(straight.run_dir)
    assert generator.conditional
    sevens = generate_images(generator, 4, 0, torch.device("cpu"), labels=torch.full((4,), 7))
    ones = generate_images(generator, 4, 0, torch.device("cpu"), labels=torch.full((4,), 1))
    assert sevens.shape == (4, 1, 32, 32) and not torch.allclose(sevens, ones)
    with pytest.raises(FaceganError, match="this generator is conditional"):
        generate_images(generator, 4, 0, torch.device("cpu"))

    out = tmp_path / "sevens"
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", str(straight.run_dir), "-n", "4", "--label", "7",
              "--out-dir", str(out)])
    assert exit_info.value.code == 0 and len(list(out.glob("*.png"))) == 4
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", str(straight.run_dir), "-n", "4", "--label", "eleven",
              "--grid", str(tmp_path / "x.png")])
    assert exit_info.value.code == 2


def test_acgan_without_an_auxiliary_head_fails_before_the_run_starts(acgan_config):
    cfg = acgan_config("model.g_condition=none", "model.d_condition=none", name="no_head")
    with pytest.raises(FaceganError, match="acgan needs a conditional model"):
        Trainer(cfg, progress=False)
    assert not RunDir.for_config(cfg).exists()  # nothing left to block a corrected rerun
