"""A run killed with SIGKILL -- in a step, while writing a checkpoint, while drawing the
end-of-epoch plots, before its first checkpoint -- resumes to the weights of a run that was
never interrupted, and never picks a half-written checkpoint."""

import os
import subprocess
import sys

import pytest
import torch

from facegan.config import load_config
from facegan.training.checkpoint import list_checkpoints
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG, REPO, TINY
from tests.training.test_trainer import assert_same_state, state_of

SETTINGS = ("train.epochs=3", "log.histograms=false", "log.tensorboard=false")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, mnist_dir):
    root = tmp_path_factory.mktemp("straight")
    config = load_config(MNIST_CONFIG, [*TINY, *SETTINGS, f"data.root={mnist_dir}",
                                        f"run.root={root}", "run.name=straight"])
    return state_of(Trainer(config, progress=False).fit().run_dir)


@pytest.mark.parametrize("point, checkpoints_left", [
    ("step:5", 0),  # in the first epoch: no checkpoint yet, --resume starts again
    ("step:20", 1),  # step 14 of 24 (3 phase runs every 2 steps): epoch 1's checkpoint
    ("checkpoint", 1),  # the 2nd checkpoint half-written: only a hidden temporary folder
    ("plots", 1),  # epoch 2's loss plot: its checkpoint comes after the plots
])
def test_a_killed_run_resumes_to_the_uninterrupted_weights(uninterrupted, tmp_path, mnist_dir,
                                                           point, checkpoints_left):
    settings = [*TINY, *SETTINGS, f"data.root={mnist_dir}", f"run.root={tmp_path}",
                "run.name=killed"]
    # the threads of this process: other thread counts sum floats in other orders
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"),
           "OMP_NUM_THREADS": str(torch.get_num_threads()), "KILL_AT": point}
    killed = subprocess.run(
        [sys.executable, str(REPO / "tests" / "training" / "kill_at.py"), "train",
         str(MNIST_CONFIG), "--no-progress", *(x for s in settings for x in ("--set", s))],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    run_dir = tmp_path / "MNIST" / "killed"
    assert len(list_checkpoints(run_dir / "saved_models")) == checkpoints_left

    config = load_config(MNIST_CONFIG, settings)
    resumed = Trainer(config, resume=True, progress=False).fit()
    assert resumed.counters.step == 24
    assert_same_state(uninterrupted, state_of(resumed.run_dir))
