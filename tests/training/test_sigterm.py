import json
import os
import signal
import subprocess
import sys
import time

from typer.testing import CliRunner

from facegan.cli import app
from tests.conftest import MNIST_CONFIG, REPO, TINY


def facegan_train(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "facegan", "train", str(MNIST_CONFIG),
                             "--no-progress", *args], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_sigterm_saves_a_checkpoint_like_ctrl_c_and_resume_finishes(tmp_path, mnist_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    overrides = [item for o in (*TINY, f"data.root={mnist_dir}", f"run.root={tmp_path}",
                                "train.epochs=500", "log.histograms=false",
                                "log.tensorboard=false") for item in ("--set", o)]
    run_dir = tmp_path / "MNIST" / "WGAN_GP"
    metrics = run_dir / "metrics.jsonl"

    process = facegan_train(*overrides, env=env)
    deadline = time.monotonic() + 400  # generous: torch imports are slow on a loaded machine
    while not (metrics.is_file() and metrics.stat().st_size > 0):  # training has started
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "training did not start within 400 s"
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert "SIGTERM: saved" in output and "continue with --resume" in output

    checkpoints = sorted(run_dir.glob("saved_models/checkpoint_*"))
    assert len(checkpoints) >= 1
    counters = json.loads((checkpoints[-1] / "checkpoint.json").read_text())
    assert counters["step"] >= 2
    for name in ("generator.safetensors", "discriminator.safetensors", "training_state.pt"):
        assert (checkpoints[-1] / name).is_file()

    # Resuming in this process spares a second start-up of Python and torch.
    finish = counters["epoch"] + 1
    resumed = CliRunner().invoke(app, ["train", str(MNIST_CONFIG), "--no-progress", *overrides,
                                       "--set", f"train.epochs={finish}", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert f"trained {finish} epochs ({finish * 8} steps, {finish * 64} images)" in resumed.output
