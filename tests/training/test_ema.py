import json
import os
import signal

import pytest
import torch
from safetensors.torch import load_file

from facegan.methods.gan.objectives import WGANGPObjective
from facegan.methods.io import load_model_dir
from facegan.training.ema import NetworkEMA
from facegan.training.trainer import Trainer
from tests.training.test_trainer import assert_same_state, state_of

FEATURES = ("train.ema_decay=0.9", "train.ema_rampup=0.05",
            "train.diffaugment=color,translation,cutout", "train.channels_last=true",
            "log.histograms=false", "log.tensorboard=false")


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(2))
        self.norm = torch.nn.BatchNorm1d(2)


def test_ema_averages_parameters_and_copies_buffers():
    model = Tiny()
    ema = NetworkEMA(model, decay=0.9)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.norm.running_mean.fill_(5.0)
    ema.update(model, images_per_step=8, images_seen=8)
    assert torch.allclose(ema.module.weight, torch.full((2,), 0.1))  # 0.9 * 0 + 0.1 * 1
    ema.update(model, images_per_step=8, images_seen=16)
    assert torch.allclose(ema.module.weight, torch.full((2,), 0.19))  # 0.9 * 0.1 + 0.1 * 1
    assert torch.equal(ema.module.norm.running_mean, torch.full((2,), 5.0))
    assert not ema.module.training and not ema.module.weight.requires_grad
    assert torch.equal(model.weight, torch.ones(2))  # the trained weights are untouched


def test_ema_rampup_forgets_early_weights_quickly():
    ema = NetworkEMA(Tiny(), decay=0.999, rampup=0.05)
    # After 160 images the half-life is 0.05 * 160 = 8 images: one step of 8 halves the weight.
    assert ema.beta(images_per_step=8, images_seen=160) == pytest.approx(0.5)
    assert ema.beta(images_per_step=8, images_seen=10**9) == 0.999  # capped by the decay
    assert NetworkEMA(Tiny(), decay=0.999).beta(8, 160) == 0.999


def test_ema_run_saves_the_average_for_sampling_and_the_raw_weights_for_resuming(tiny_config):
    result = Trainer(tiny_config("train.epochs=1", *FEATURES), progress=False).fit()
    checkpoint = result.checkpoint
    averaged = load_file(checkpoint / "generator.safetensors")
    raw = load_file(checkpoint / "generator_raw.safetensors")
    assert averaged.keys() == raw.keys()
    assert any(not torch.equal(averaged[k], raw[k]) for k in averaged)
    model, meta = load_model_dir(result.run_dir / "saved_models" / "generator")
    for key, value in model.networks["generator"].state_dict().items():
        assert torch.equal(value, averaged[key]), key  # what `facegan generate` samples from
    assert meta["step"] == 8


def test_resume_mid_epoch_with_ema_diffaugment_and_channels_last_is_bit_identical(
        tiny_config, monkeypatch):
    straight = Trainer(tiny_config(*FEATURES, name="straight"), progress=False).fit()

    compute = WGANGPObjective.compute
    calls = {"n": 0}

    def interrupted_compute(self, phase, models, batch, rng):
        calls["n"] += 1
        if calls["n"] == 16:  # in epoch 2 (step 11 of 16)
            os.kill(os.getpid(), signal.SIGINT)
        return compute(self, phase, models, batch, rng)

    monkeypatch.setattr(WGANGPObjective, "compute", interrupted_compute)
    stopped = Trainer(tiny_config(*FEATURES, name="split"), progress=False).fit()
    assert stopped.interrupted_by == "SIGINT" and stopped.counters.step == 11
    monkeypatch.setattr(WGANGPObjective, "compute", compute)

    torch.manual_seed(12345)  # a new process would start from another global RNG state
    resumed = Trainer(tiny_config(*FEATURES, name="split"), resume=True, progress=False).fit()
    assert resumed.counters.step == straight.counters.step == 16
    a, b = state_of(straight.run_dir), state_of(resumed.run_dir)
    assert any(key.startswith("G_raw.") for key in a[1])  # the EMA and raw weights compared
    assert_same_state(a, b)
    metrics = [json.loads(line) for line in (resumed.run_dir / "metrics.jsonl").open()]
    assert [r["step"] for r in metrics] == [2, 4, 6, 8, 10, 11, 12, 14, 16]  # 11: at the stop
