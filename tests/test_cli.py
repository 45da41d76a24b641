import subprocess
import sys

import pytest
from PIL import Image

from facegan.cli import main
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG


def run_cli(*args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, mnist_dir):
    from facegan.config import load_config
    from tests.conftest import TINY

    root = tmp_path_factory.mktemp("runs")
    cfg = load_config(MNIST_CONFIG, [*TINY, f"data.root={mnist_dir}", f"run.root={root}",
                                     "train.epochs=1", "log.histograms=false",
                                     "log.tensorboard=false"])
    return Trainer(cfg, progress=False).fit().run_dir


def test_generate_is_deterministic_for_a_seed(trained_run, tmp_path):
    assert run_cli("generate", str(trained_run), "-n", "6", "--seed", "7",
                   "--grid", str(tmp_path / "a.png")) == 0
    assert run_cli("generate", str(trained_run / "saved_models"), "-n", "6", "--seed", "7",
                   "--grid", str(tmp_path / "b.png")) == 0
    assert run_cli("generate", str(trained_run), "-n", "6", "--seed", "8",
                   "--grid", str(tmp_path / "c.png")) == 0
    a, b, c = (Image.open(tmp_path / f"{x}.png").tobytes() for x in "abc")
    assert a == b
    assert a != c
    assert Image.open(tmp_path / "a.png").size == (3 * 34 + 2, 2 * 34 + 2)


def test_generate_individual_images_from_a_checkpoint(trained_run, tmp_path):
    checkpoint = next((trained_run / "saved_models").glob("checkpoint_*"))
    out = tmp_path / "out"
    assert run_cli("generate", str(checkpoint), "-n", "5", "--seed", "7",
                   "--out-dir", str(out)) == 0
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"sample_{i:04d}.png" for i in range(5)]
    assert Image.open(files[0]).size == (32, 32)
    # the checkpoint and the saved generator are the same weights after the last epoch
    assert run_cli("generate", str(trained_run), "-n", "5", "--seed", "7",
                   "--out-dir", str(tmp_path / "again")) == 0
    assert files[3].read_bytes() == (tmp_path / "again" / "sample_0003.png").read_bytes()


def test_labels_for_an_unconditional_generator_are_refused(trained_run, tmp_path, capsys):
    # MNIST has class labels, but this WGAN-GP's generator never saw them
    assert run_cli("generate", str(trained_run), "-n", "2", "--label", "7",
                   "--grid", str(tmp_path / "x.png")) == 2
    assert "this generator is unconditional" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_user_mistakes_are_one_line_errors(tmp_path, capsys):
    assert run_cli("train", str(MNIST_CONFIG), "--set", "train.epoch=1") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown config key 'train.epoch'; valid keys in 'train':")
    assert err.count("\n") == 1 and "Traceback" not in err

    assert run_cli("generate", str(tmp_path / "nowhere")) == 2
    assert "does not exist" in capsys.readouterr().err

    (tmp_path / "empty").mkdir()
    assert run_cli("generate", str(tmp_path / "empty")) == 2
    assert "no saved generator found" in capsys.readouterr().err


def test_dry_run_prints_config_and_run_dir(capsys):
    assert run_cli("train", str(MNIST_CONFIG), "--dry-run", "--set", "run.name=X") == 0
    out = capsys.readouterr().out
    assert "gp_weight: 10.0" in out
    assert "# run directory: models/MNIST/X" in out


def test_python_dash_m_facegan_help():
    result = subprocess.run([sys.executable, "-m", "facegan", "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0
    assert "train" in result.stdout and "generate" in result.stdout


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(bytes(range(256)) * 4), "is not UTF-8 text (a binary file?)"),
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: p.write_text("train: [1, 2\n"), "is not valid YAML at line"),
    (lambda p: p.write_text("- a list\n- not sections\n"), "must be a mapping of sections"),
])
def test_a_bad_config_file_is_one_line(tmp_path, capsys, make, message):
    config = tmp_path / "recipe.yaml"
    make(config)
    with pytest.raises(SystemExit) as stopped:
        main(["train", str(config), "--set", f"run.root={tmp_path / 'models'}"])
    err = capsys.readouterr().err.strip()
    assert stopped.value.code == 2 and message in err and "\n" not in err, err
    assert not (tmp_path / "models").exists()


def test_an_unforeseen_error_is_one_line_with_the_traceback_under_verbose(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("something broke\nin a second line")

    monkeypatch.setattr("facegan.config.load_config", broken)
    with pytest.raises(SystemExit) as stopped:
        main(["train", str(MNIST_CONFIG)])
    err = capsys.readouterr().err.strip()
    assert stopped.value.code == 1
    assert err == ("error: unexpected RuntimeError: something broke (a facegan bug, or a "
                   "problem it does not recognise yet: run again with --verbose for the "
                   "traceback, and report it)")
    with pytest.raises(SystemExit):
        main(["--verbose", "train", str(MNIST_CONFIG)])
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in broken" in err
