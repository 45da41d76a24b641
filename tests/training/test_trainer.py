import json
import logging
import os
import signal

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from facegan.errors import FaceganError
from facegan.methods.gan.objectives import WGANGPObjective
from facegan.runs import RunDir
from facegan.training.epochs import planned_epochs
from facegan.training.trainer import Trainer


def state_of(run_dir):
    """Weights (with the raw generator when EMA is on) and optimizer state of a run's newest
    checkpoint."""
    saved = run_dir / "saved_models"
    newest = sorted(p for p in saved.iterdir() if p.name.startswith("checkpoint_"))[-1]
    weights = {}
    for prefix, file in (("G", "generator"), ("G_raw", "generator_raw"), ("D", "discriminator")):
        if (newest / f"{file}.safetensors").is_file():
            weights.update({f"{prefix}.{k}": v
                            for k, v in load_file(newest / f"{file}.safetensors").items()})
    state = torch.load(newest / "training_state.pt", weights_only=True)
    return newest.name, weights, state


def assert_same_state(a, b):
    name_a, weights_a, state_a = a
    name_b, weights_b, state_b = b
    assert name_a == name_b
    assert weights_a.keys() == weights_b.keys()
    for key in weights_a:
        assert torch.equal(weights_a[key], weights_b[key]), key
    for model in ("generator", "discriminator"):
        opt_a, opt_b = state_a["optimizers"][model]["state"], state_b["optimizers"][model]["state"]
        for index in opt_a:
            for field in ("exp_avg", "exp_avg_sq", "step"):
                assert torch.equal(opt_a[index][field], opt_b[index][field])
    assert torch.equal(state_a["rng"]["trainer"], state_b["rng"]["trainer"])


def test_end_to_end_run_leaves_every_file(tiny_config):
    cfg = tiny_config("run.keep_checkpoints=2", "train.epochs=3")
    result = Trainer(cfg, progress=False).fit()
    run = RunDir.for_config(cfg)
    assert result.run_dir == run.path and run.path.parts[-2:] == ("MNIST", "WGAN_GP")
    assert result.interrupted_by is None
    assert (result.counters.epoch, result.counters.step) == (3, 24)  # 64 images / batch 8

    assert "name: WGAN_GP" in run.config_file.read_text()
    records = [json.loads(line) for line in run.metrics_file.read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(2, 25, 2))
    for key in ("step", "epoch", "images_seen", "time", "discriminator/loss",
                "discriminator/gradient_penalty", "discriminator/wasserstein_distance",
                "generator/loss"):
        assert key in records[-1]
    assert records[-1]["images_seen"] == 24 * 8 and records[-1]["epoch"] == 3

    viz = run.visualizations
    assert (viz / "losses.png").stat().st_size > 0
    for epoch in (1, 2, 3):
        grid = Image.open(viz / "samples" / f"epoch_{epoch:03d}.png")
        assert grid.size == (4 * 34 + 2, 4 * 34 + 2)  # 16 samples of 32 px, padding 2
        assert Image.open(viz / "histograms" / f"epoch_{epoch:03d}.png").size[0] > 100

    checkpoints = sorted(p.name for p in run.saved_models.glob("checkpoint_*"))
    assert checkpoints == ["checkpoint_00000016", "checkpoint_00000024"]  # the last 2 kept
    for name in ("generator.safetensors", "generator.json", "discriminator.safetensors",
                 "training_state.pt", "checkpoint.json", "config.yaml"):
        assert (run.saved_models / checkpoints[-1] / name).is_file()
    meta = json.loads((run.saved_models / "generator" / "generator.json").read_text())
    assert meta["model"]["name"] == "dcgan" and meta["data"]["image_size"] == 32
    assert meta["epoch"] == 3
    assert list(run.tensorboard.glob("events.out.tfevents.*"))
    assert not list(run.saved_models.glob(".*"))  # no temporary directories left behind


def test_an_existing_run_is_never_overwritten(tiny_config):
    cfg = tiny_config("train.epochs=1")
    Trainer(cfg, progress=False).fit()
    before = state_of(RunDir.for_config(cfg).path)
    with pytest.raises(FaceganError, match=r"already exists; continue it with --resume, or "
                                           r"start a new run .* --set run.name="):
        Trainer(cfg, progress=False)
    assert_same_state(state_of(RunDir.for_config(cfg).path), before)


def test_resume_needs_a_checkpoint(tiny_config):
    with pytest.raises(FaceganError, match="nothing to resume"):
        Trainer(tiny_config(), resume=True)


def test_resume_refuses_a_different_architecture(tiny_config):
    Trainer(tiny_config("train.epochs=1"), progress=False).fit()
    with pytest.raises(FaceganError, match="the model section differs"):
        Trainer(tiny_config("model.g_width=16"), resume=True)


def test_resume_after_an_epoch_is_bit_identical(tiny_config):
    straight = Trainer(tiny_config(name="straight"), progress=False).fit()

    Trainer(tiny_config("train.epochs=1", name="split"), progress=False).fit()
    torch.manual_seed(12345)  # a new process would start from another global RNG state
    resumed = Trainer(tiny_config("train.epochs=2", name="split"), resume=True,
                      progress=False).fit()

    assert resumed.counters.step == straight.counters.step == 16
    assert_same_state(state_of(straight.run_dir), state_of(resumed.run_dir))
    lines = (resumed.run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == list(range(2, 17, 2))


def test_ctrl_c_mid_epoch_saves_and_resume_is_bit_identical(tiny_config, monkeypatch):
    straight = Trainer(tiny_config(name="straight"), progress=False).fit()

    compute = WGANGPObjective.compute
    calls = {"n": 0}

    def interrupted_compute(self, phase, models, batch, rng):
        calls["n"] += 1
        if calls["n"] == 7:  # in the middle of epoch 1 (step 5 of 8)
            os.kill(os.getpid(), signal.SIGINT)
        return compute(self, phase, models, batch, rng)

    monkeypatch.setattr(WGANGPObjective, "compute", interrupted_compute)
    stopped = Trainer(tiny_config(name="split"), progress=False).fit()
    assert stopped.interrupted_by == "SIGINT"
    assert (stopped.counters.epoch, stopped.counters.batch_in_epoch) == (0, 5)
    assert stopped.checkpoint.name == "checkpoint_00000005"
    assert (stopped.run_dir / "saved_models" / "generator" / "generator.safetensors").is_file()
    monkeypatch.setattr(WGANGPObjective, "compute", compute)

    resumed = Trainer(tiny_config(name="split"), resume=True, progress=False).fit()
    assert resumed.interrupted_by is None
    assert_same_state(state_of(straight.run_dir), state_of(resumed.run_dir))


def test_image_budget_stops_after_the_epoch_that_reaches_it(tiny_config, caplog):
    cfg = tiny_config("train.epochs=10", "train.max_images=70", "log.histograms=false")
    trainer = Trainer(cfg, progress=False)
    assert trainer.epochs == 2  # what the progress bar and the log count to, not 10
    with caplog.at_level(logging.INFO, logger="facegan"):
        result = trainer.fit()
    assert result.counters.epoch == 2  # 64 images after epoch 1, 128 after epoch 2
    assert result.counters.images_seen == 128
    done = [m.split(" done (")[0] for m in caplog.messages if " done (" in m]
    assert done == ["epoch 1/2", "epoch 2/2"]


@pytest.mark.parametrize(("epochs", "max_images", "per_epoch", "expected"), [
    (100, None, 4992, 100),  # no budget: the epochs
    (400, 1_600_000, 4992, 321),  # the MNIST recipe on the 5,000-digit offline sample
    (400, 1_600_000, 59_968, 27),  # ... and on the full 60,000 digits
    (5, 1_600_000, 4992, 5),  # the epochs run out first
    (10, 128, 64, 2),  # a budget of whole epochs stops right after it
])
def test_planned_epochs(epochs, max_images, per_epoch, expected):
    assert planned_epochs(epochs, max_images, per_epoch) == expected


def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(tiny_config, caplog):
    config = tiny_config("train.epochs=1")
    Trainer(config, progress=False)  # created its run directory, then "killed"
    run_dir = RunDir.for_config(config).path
    assert run_dir.is_dir() and not list((run_dir / "saved_models").iterdir())
    with pytest.raises(FaceganError, match="already exists; continue it with --resume"):
        Trainer(config, progress=False)
    with caplog.at_level(logging.WARNING, logger="facegan"):
        result = Trainer(config, resume=True, progress=False).fit()
    assert "has no checkpoint (it stopped before its first one): starting it again from " \
           "step 0" in caplog.text
    assert result.counters.step == 8 and result.checkpoint.is_dir()
    aside = list(run_dir.parent.glob(f"{run_dir.name}.before-restart-*"))
    assert len(aside) == 1 and (aside[0] / "config.yaml").is_file()


def test_critic_steps_count_across_epochs_and_a_run_too_short_for_the_generator_warns(
        tiny_config, caplog):
    # 32 images in batches of 8: 4 steps per epoch, a generator step every 5th step
    short = ("data.limit=32", "train.num_critic_steps=5", "log.every=1", "log.histograms=false")
    with caplog.at_level(logging.WARNING, logger="facegan"):
        Trainer(tiny_config(*short, "train.epochs=1"), progress=False)
    assert ("phase 'generator' runs every 5 steps (train.num_critic_steps=5), but this run has "
            "4 steps (1 epochs of 4 batches): it will never update the generator") in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="facegan"):  # a pipeline's first of 3 cycles
        Trainer(tiny_config(*short, "train.epochs=1", name="cycle"), progress=False,
                final_epoch=3)
    assert "never update" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="facegan"):
        result = Trainer(tiny_config(*short, "train.epochs=3", name="longer"),
                         progress=False).fit()
    assert "never update" not in caplog.text
    records = [json.loads(line) for line in RunDir(result.run_dir).metrics_file.read_text()
               .splitlines()]
    steps = [r["step"] for r in records if "generator/loss" in r]
    assert steps == [5, 10]  # in epochs 2 and 3, though no epoch has 5 batches
