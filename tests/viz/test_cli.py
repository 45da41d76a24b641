"""The report, compare and generate --mode commands on a tiny run."""

import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from facegan.cli import main
from facegan.config import config_dataclass
from facegan.datainfo import DataInfo
from facegan.methods.gan.sampler import save_gan_generator
from facegan.models.base import GANModels
from facegan.registry import MODELS, register_model
from facegan.viz.compose import LINE, PAD

TILE = 64


def run_cli(*args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    return info.value.code


def test_per_label_mode_draws_one_row_per_class(tiny_run, tmp_path, capsys):
    out = tmp_path / "labels.png"
    assert run_cli("generate", tiny_run, "--mode", "per-label", "-n", 4, "--grid", out) == 0
    assert "wrote 10 rows of 4 images" in capsys.readouterr().out
    assert Image.open(out).height == LINE + 10 * (TILE + PAD) + PAD  # title, digits 0-9
    assert run_cli("generate", tiny_run, "--mode", "per-label", "-n", 4, "--label", "3",
                   "--label", "5", "--grid", out) == 0
    assert Image.open(out).height == LINE + 2 * (TILE + PAD) + PAD


def test_interpolate_mode_writes_a_grid_and_a_looping_gif(tiny_run, tmp_path):
    out = tmp_path / "walk.png"
    assert run_cli("generate", tiny_run, "--mode", "interpolate", "-n", 2, "--steps", 4,
                   "--method", "lerp", "--grid", out) == 0
    assert Image.open(out).height == 2 * LINE + 2 * (TILE + PAD) + PAD  # title, t captions
    gif = Image.open(tmp_path / "walk.gif")
    assert gif.n_frames == 4 + 2  # forth, then back without repeating the ends


def test_grid_mode_with_a_label_is_deterministic(tiny_run, tmp_path):
    for name in ("a", "b"):
        assert run_cli("generate", tiny_run, "-n", 4, "--label", "7", "--seed", 3,
                       "--grid", tmp_path / f"{name}.png") == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["--mode", "sideways"], "unknown --mode 'sideways'; valid modes: grid, per-label"),
    (["--mode", "change-attr", "--attr", "3"], "use --mode per-label to change the class"),
    (["--mode", "change-attr"], "needs --attr NAME"),
    (["--mode", "embedding"], "needs --embedding FILE"),
    (["--label", "eleven"], "unknown label 'eleven'; valid labels: 0, 1,"),
    (["--mode", "interpolate", "--method", "cubic"], "unknown --method 'cubic'"),
])
def test_mode_mistakes_are_one_line_errors(tiny_run, tmp_path, capsys, args, message):
    assert run_cli("generate", tiny_run, *args, "--grid", tmp_path / "x.png") == 2
    assert message in capsys.readouterr().err


def test_embedding_mode_refuses_a_model_without_embeddings(tiny_run, tmp_path, capsys):
    np.save(tmp_path / "e.npy", np.zeros((2, 8), dtype=np.float32))
    assert run_cli("generate", tiny_run, "--mode", "embedding", "--embedding",
                   tmp_path / "e.npy") == 2
    assert "needs a model conditioned on embeddings" in capsys.readouterr().err


def test_report_and_compare_commands(tiny_run, tmp_path, capsys):
    assert run_cli("report", tiny_run) == 0
    assert (tiny_run / "report.html").is_file()
    out = tmp_path / "cmp.html"
    assert run_cli("compare", tiny_run, tiny_run.parent.parent / "MNIST" / tiny_run.name,
                   "--out", out) == 2  # the same run twice
    assert "the same run is given twice" in capsys.readouterr().err
    assert run_cli("compare", tiny_run, tmp_path, "--out", out) == 2
    assert "is not a run directory" in capsys.readouterr().err
    other = tmp_path / "other" / tiny_run.name
    shutil.copytree(tiny_run, other)
    assert run_cli("compare", tiny_run, other, "--out", out) == 0
    assert out.read_text().count("<img src=\"data:image/png;base64,") == 3


@config_dataclass
class ToyAttributesConfig:
    name: str = "toy_attributes"
    latent_dim: int = 3


class ToyAttributesGenerator(nn.Module):
    """``G(z, c)`` for 8 px grey images: brightness from ``z[:, 0]`` plus the attributes on."""

    def __init__(self, cfg, info):
        super().__init__()
        self.latent_dim = cfg.latent_dim
        self.scale = nn.Linear(1, 1)

    def forward(self, z, c):
        level = torch.tanh(z[:, :1] + c.sum(1, keepdim=True))  # (N, 1)
        return level[:, :, None, None].expand(-1, 1, 8, 8)


if "toy_attributes" not in MODELS:
    register_model("toy_attributes", config=ToyAttributesConfig)(
        lambda cfg, info: GANModels(ToyAttributesGenerator(cfg, info), nn.Identity()))


@pytest.fixture
def attribute_generator(tmp_path):
    """A saved generator conditioned on two attributes, as a trained one would be saved."""
    folder = tmp_path / "generator"
    folder.mkdir()
    info = DataInfo("Faces", image_size=8, channels=1, label_names=("smile", "hat"),
                    label_kind="multilabel")
    save_gan_generator(folder, ToyAttributesGenerator(ToyAttributesConfig(), info),
                   ToyAttributesConfig(), info)
    return folder


def test_attribute_modes_from_a_saved_conditional_generator(attribute_generator, tmp_path,
                                                            capsys):
    out = tmp_path / "attr.png"
    assert run_cli("generate", attribute_generator, "--mode", "change-attr", "--attr", "smile",
                   "--label", "hat", "--steps", 3, "-n", 2, "--grid", out) == 0
    assert "wrote 2 rows of 3 images" in capsys.readouterr().out
    picture = Image.open(out)
    assert picture.height == 2 * LINE + 2 * (TILE + PAD) + PAD  # 8 px tiles drawn at 64 px
    assert run_cli("generate", attribute_generator, "--mode", "change-attr", "--attr", "smile",
                   "--steps", 3, "--grid", out) == 0  # without -n: 8 rows, not 64
    assert "wrote 8 rows of 3 images" in capsys.readouterr().out
    assert Image.open(out).height == 2 * LINE + 8 * (TILE + PAD) + PAD
    assert run_cli("generate", attribute_generator, "--mode", "per-label", "-n", 5,
                   "--grid", out) == 0
    assert Image.open(out).height == LINE + 2 * (TILE + PAD) + PAD  # smile, hat
    assert run_cli("generate", attribute_generator, "--mode", "change-attr", "--attr", "wings",
                   "--grid", out) == 2
    assert "unknown label 'wings'; valid labels: smile, hat" in capsys.readouterr().err
