"""One tiny 2-epoch run shared by the viz tests (training it once keeps them fast)."""

from __future__ import annotations

import pytest

from facegan.config import load_config
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG, TINY


@pytest.fixture(scope="package")
def tiny_run(tmp_path_factory, mnist_dir):
    """The run directory of a finished 2-epoch tiny MNIST WGAN-GP run (16 fixed samples) whose
    generator and critic are conditioned on the digit, so the label pictures have labels."""
    root = tmp_path_factory.mktemp("viz_runs")
    cfg = load_config(MNIST_CONFIG, [*TINY, f"data.root={mnist_dir}", f"run.root={root}",
                                     "log.tensorboard=false", "model.g_condition=onehot",
                                     "model.d_condition=projection"])
    return Trainer(cfg, progress=False).fit().run_dir
