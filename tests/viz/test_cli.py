"""The report, compare and generate --mode commands on a tiny run."""

import shutil

import numpy as np
import pytest
from PIL import Image

from facegan.cli import main
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
