"""A one-network method defined here, in the test, trains, checkpoints, resumes bit for bit and
samples through the unchanged trainer, run layout, ``generate`` and ``evaluate``.

The method maps noise to the dataset's mean image with an MSE loss: no generator, no
discriminator, one optimizer, one phase.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file
from torch import nn

from facegan.cli import main
from facegan.config import config_dataclass, config_from_dict
from facegan.data.base import build_dataset
from facegan.methods.base import EMASpec, Method, OptimizerSpec, Phase, Sampler
from facegan.models.base import build_networks
from facegan.registry import (
    OBJECTIVES,
    register_model,
    register_objective,
    register_sampler,
)
from facegan.sampling import generate_images, load_model
from facegan.training.trainer import Trainer

LATENT = 4


@config_dataclass
class MapperConfig:
    name: str = "toy_mapper"
    latent_dim: int = LATENT


class Mapper(nn.Module):
    """``z (N, latent_dim) -> (N, C, H, W)`` in [-1, 1]."""

    def __init__(self, cfg: MapperConfig, info) -> None:
        super().__init__()
        self.shape = (info.channels, info.image_size, info.image_size)
        self.linear = nn.Linear(cfg.latent_dim, int(np.prod(self.shape)))

    def forward(self, z, c=None):
        return torch.tanh(self.linear(z)).view(-1, *self.shape)


@config_dataclass
class MapperSamplerConfig:
    name: str = "toy_mapper"
    latent_dim: int = LATENT


class MapperSampler(Sampler):
    networks = ("mapper",)

    def __init__(self, latent_dim: int) -> None:
        self.latent_dim = latent_dim

    def noise_shape(self, networks):
        return (self.latent_dim,)

    def conditional(self, networks):
        return False

    def decode(self, networks, noise, conditions, generator=None):
        return networks["mapper"](noise)

    def export_module(self, networks):
        return networks["mapper"]

    def describe(self):
        return {"name": "toy_mapper", "latent_dim": self.latent_dim}


@config_dataclass
class MeanImageConfig:
    name: str = "toy_mean_image"
    lr: float = 0.01


class MeanImageMethod(Method):
    """One network, one optimizer, one phase: MSE between ``mapper(z)`` and the batch mean;
    samples come from an EMA of the network."""

    phases = (Phase("mapper", updates="mapper"),)
    ema = EMASpec("mapper", decay=0.9)
    progress_names = {"mapper/loss": "MSE"}

    def __init__(self, cfg: MeanImageConfig, config, info) -> None:
        self.name, self.lr = cfg.name, cfg.lr
        self.model_config, self.info = config.model, info
        self.sampler = MapperSampler(config.model.latent_dim)

    def build_networks(self):
        return build_networks(self.model_config, self.info)

    def optimizers(self):
        return {"mapper": OptimizerSpec(self.lr, (0.9, 0.999), "objective.lr")}

    def compute(self, phase, networks, batch, step):
        n, device = batch.real.shape[0], batch.real.device
        z = step.rng.randn(n, self.sampler.latent_dim).to(device)
        target = batch.real.mean(0, keepdim=True).expand(n, -1, -1, -1)
        return {"loss": F.mse_loss(networks["mapper"](z), target)}

    def example_inputs(self, networks, n):
        return {"mapper": (torch.zeros(n, self.sampler.latent_dim),)}


if "toy_mean_image" not in OBJECTIVES:
    register_model("toy_mapper", config=MapperConfig)(lambda cfg, info: {"mapper": Mapper(cfg,
                                                                                         info)})
    register_sampler("toy_mapper", config=MapperSamplerConfig)(
        lambda cfg: MapperSampler(cfg.latent_dim))
    register_objective("toy_mean_image", config=MeanImageConfig)(MeanImageMethod)


@pytest.fixture
def toy_config(tmp_path, balanced_mnist_dir):
    def make(name: str = "toy", epochs: int = 3):
        return config_from_dict({
            "run": {"name": name, "root": str(tmp_path / "models"), "keep_checkpoints": 2},
            "data": {"name": "mnist", "root": str(balanced_mnist_dir), "download": False,
                     "image_size": 32, "limit": 64},
            "model": {"name": "toy_mapper"},
            "objective": {"name": "toy_mean_image", "lr": 0.05},
            "train": {"epochs": epochs, "batch_size": 8},
            "log": {"every": 2, "num_samples": 4, "progress": False},
        })

    return make


def test_a_one_network_method_trains_resumes_exactly_and_samples(toy_config, tmp_path):
    straight = Trainer(toy_config("straight")).fit()
    run = straight.run_dir
    for name in ("config.yaml", "architecture.txt", "metrics.jsonl",
                 "visualizations/samples/epoch_003.png", "visualizations/losses.png",
                 "saved_models/generator/generator.json",
                 "saved_models/generator/mapper.safetensors"):
        assert (run / name).is_file(), name
    assert "mapper (Mapper)" in (run / "architecture.txt").read_text()
    checkpoint = straight.checkpoint
    assert sorted(p.name for p in checkpoint.iterdir()) == [
        "checkpoint.json", "config.yaml", "generator.json", "mapper.safetensors",
        "mapper_raw.safetensors", "training_state.pt"]
    meta = json.loads((run / "saved_models/generator/generator.json").read_text())
    assert meta["sampler"] == {"name": "toy_mapper", "latent_dim": LATENT}
    assert meta["networks"] == ["mapper"]
    losses = [r["mapper/loss"] for r in map(json.loads, (run / "metrics.jsonl").open())]
    assert len(losses) == 12 and losses[-1] < losses[0] / 2  # it learns the mean image

    Trainer(toy_config("split", epochs=1)).fit()
    resumed = Trainer(toy_config("split"), resume=True).fit()
    assert resumed.counters.step == straight.counters.step == 24
    for name in ("mapper.safetensors", "mapper_raw.safetensors"):  # the average, the weights
        a, b = load_file(checkpoint / name), load_file(resumed.checkpoint / name)
        assert all(torch.equal(a[k], b[k]) for k in a), name
    state = [torch.load(c / "training_state.pt", weights_only=True)
             for c in (checkpoint, resumed.checkpoint)]
    assert torch.equal(state[0]["rng"]["trainer"], state[1]["rng"]["trainer"])
    moments = [s["optimizers"]["mapper"]["state"][0]["exp_avg"] for s in state]
    assert torch.equal(*moments)

    def logged(run_dir):
        return [{k: v for k, v in json.loads(line).items() if k != "time"}
                for line in (run_dir / "metrics.jsonl").open()]

    assert logged(resumed.run_dir) == logged(run)

    model, _ = load_model(run)
    images = generate_images(model, 6, seed=7, device=torch.device("cpu"))
    mean = build_dataset(toy_config().data)  # the images it was trained to reproduce
    target = torch.stack([mean[i][0] for i in range(len(mean))]).mean(0)
    assert images.shape == (6, 1, 32, 32)
    assert (images - target).abs().mean() < (torch.zeros_like(target) - target).abs().mean()

    out = tmp_path / "grid.png"
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", str(run), "-n", "6", "--seed", "7", "--grid", str(out)])
    assert exit_info.value.code in (0, None)
    assert Image.open(out).size == (3 * 34 + 2, 2 * 34 + 2)


def test_a_one_network_method_is_evaluated(toy_config, trained_classifier, tmp_path, capsys):
    cfg = toy_config("evaluated", epochs=1)
    run = Trainer(cfg).fit().run_dir
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(run), "--metrics", "kid,pr", "--features", "classifier",
              "--classifier", str(trained_classifier.directory), "--num-samples", "48",
              "--json", str(tmp_path / "eval.json"),
              "--no-progress", "--no-cache"])
    assert exit_info.value.code in (0, None), capsys.readouterr().err
    records = json.loads((tmp_path / "eval.json").read_text())["results"]
    assert [r["metric"] for r in records] == ["kid", "precision", "recall"]
    assert all(np.isfinite(r["value"]) and r["num_generated"] == 48 for r in records)
    assert records[0]["condition"] == "none"
