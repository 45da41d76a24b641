"""Weights & Biases: offline without a login, the same scalars as TensorBoard, epoch pictures."""

import sys

import pytest
import torch
from torch import nn

from facegan.errors import FaceganError
from facegan.training import trainer as trainer_module
from facegan.training.stats import WandbSink
from facegan.training.trainer import Trainer
from facegan.viz.histograms import histograms


def test_without_the_package_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # makes `import wandb` fail
    with pytest.raises(FaceganError, match=r"pip install 'facegan\[wandb\]'"):
        WandbSink(tmp_path, {}, "facegan")


def test_without_a_login_runs_are_written_offline_into_the_run(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    for variable in ("WANDB_API_KEY", "WANDB_MODE", "NETRC"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.netrc, no wandb settings
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    sink = WandbSink(run_dir, {"train": {"epochs": 2}}, "facegan-test")
    assert sink.run.settings.mode == "offline"
    logged = []
    log = sink.run.log

    def recording_log(values, step):
        logged.append((values, step))
        log(values, step=step)

    monkeypatch.setattr(sink.run, "log", recording_log)
    sink.write({"step": 2, "epoch": 1, "images_seen": 16, "time": 0.5,
                "discriminator/loss": 1.5})
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    model(torch.ones(2, 3)).sum().backward()
    sink.log_epoch(2, torch.zeros(4, 1, 8, 8),
                   {f"generator/{of}/{name}": (counts, edges) for of in ("weights", "gradients")
                    for name, counts, edges in histograms(model, of)})
    assert dict(sink.run.config)["train"] == {"epochs": 2}
    first, second = logged
    assert first == ({"epoch": 1, "images_seen": 16, "time": 0.5, "discriminator/loss": 1.5}, 2)
    assert set(second[0]) == {"samples", "generator/weights/0.weight",
                              "generator/weights/1.weight", "generator/gradients/0.weight",
                              "generator/gradients/1.weight"}
    assert second[1] == 2
    sink.close()
    (offline,) = (run_dir / "wandb").glob("offline-run-*")
    assert offline.name.endswith(sink.run.id)
    assert list(offline.glob("*.wandb"))[0].stat().st_size > 0


def test_the_trainer_feeds_wandb_every_scalar_and_each_epochs_pictures(tiny_config,
                                                                       monkeypatch):
    calls = []

    class Recording(WandbSink):
        def __init__(self, run_dir, config, project):
            calls.append(("init", run_dir.name, config["log"]["wandb"], project))

        def write(self, record):
            calls.append(("write", record["step"]))

        def log_epoch(self, step, samples, histograms):
            networks = sorted({name.split("/")[0] for name in histograms})
            calls.append(("epoch", step, tuple(samples.shape), networks))

        def close(self):
            calls.append(("close",))

    monkeypatch.setattr(trainer_module, "WandbSink", Recording)
    cfg = tiny_config("train.epochs=1", "log.wandb=true", "log.wandb_project=digits",
                      "log.histograms=false", "log.tensorboard=false")
    run_dir = Trainer(cfg, progress=False).fit().run_dir
    assert calls == [("init", "WGAN_GP", True, "digits"), ("write", 2), ("write", 4),
                     ("write", 6), ("write", 8), ("epoch", 8, (16, 1, 32, 32),
                                                  ["discriminator", "generator"]), ("close",)]
    # the other pictures training draws every epoch, and the architecture at the start
    for name in ("architecture.txt", "visualizations/progression.png",
                 "visualizations/progression.gif"):
        assert (run_dir / name).is_file()
