import json
import math

import pytest
import torch
from safetensors.torch import load_file
from torch import nn
from torch.nn.utils import parametrize

from facegan.config import validate_section
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.models.base import build_models
from facegan.models.dcgan import DCGANConfig
from facegan.runs import RunDir
from facegan.training.trainer import Trainer
from tests.conftest import CLASS_INFO, tiny_models


@pytest.mark.parametrize(("size", "channels"), [(32, 1), (64, 3), (128, 3)])
def test_shapes_and_ranges(size, channels):
    cfg = validate_section(DCGANConfig, {"latent_dim": 8, "g_width": 4, "d_width": 4}, "model")
    G, D = build_models(cfg, DataInfo("X", size, channels))
    images = G(torch.randn(3, 8))
    assert images.shape == (3, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert D(images).shape == (3,)
    assert G.latent_dim == 8


def test_critic_without_batch_norm_by_default():
    cfg = validate_section(DCGANConfig, {}, "model")
    _, D = build_models(cfg, DataInfo("X", 32, 1))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())


def test_unsupported_image_size_is_a_clear_error():
    cfg = validate_section(DCGANConfig, {}, "model")
    with pytest.raises(FaceganError, match="image size 48 is not supported"):
        build_models(cfg, DataInfo("X", 48, 1))


def test_spectral_norm_bounds_every_discriminator_layer():
    torch.manual_seed(0)
    G, D = tiny_models("dcgan", CLASS_INFO, d_spectral_norm=True, g_condition="embedding",
                       d_condition="projection")
    weighted = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert len(weighted) == 4  # 2 convs at 16 px, the score and the projection embedding
    assert all(parametrize.is_parametrized(m, "weight") for m in weighted)
    assert not any(parametrize.is_parametrized(m) for m in G.modules())
    D.train()  # each training-mode pass runs one more power iteration
    x, c = torch.randn(4, 1, 16, 16), torch.tensor([0, 1, 2, 3])
    for _ in range(20):
        D(x, c)
    for module in weighted:
        sigma = torch.linalg.matrix_norm(module.weight.flatten(1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=1e-2), module
    raw = module.parametrizations.weight.original.flatten(1)
    assert torch.linalg.matrix_norm(raw, ord=2).item() != pytest.approx(1.0, abs=1e-2)


def test_without_spectral_norm_the_discriminator_keeps_its_saved_layout():
    _, D = tiny_models("dcgan", DataInfo("X", 16, 1))
    assert not any(parametrize.is_parametrized(m) for m in D.modules())
    assert sorted(D.state_dict()) == ["head.score.bias", "head.score.weight", "net.0.bias",
                                      "net.0.weight", "net.2.bias", "net.2.weight"]


def test_a_hinge_recipe_with_spectral_norm_trains(tiny_config):
    config = tiny_config("objective={name: hinge}", "model.d_spectral_norm=true",
                         "train.num_critic_steps=1", "train.epochs=1", "data.limit=32",
                         "log.every=1", "log.histograms=false", "log.tensorboard=false",
                         name="hinge_sn")
    result = Trainer(config, progress=False).fit()
    assert result.counters.step == 4
    records = [json.loads(line)
               for line in RunDir(result.run_dir).metrics_file.read_text().splitlines()]
    for key in ("discriminator/loss", "generator/loss"):
        values = [r[key] for r in records if key in r]
        assert len(values) == 4 and all(math.isfinite(v) for v in values), key
    saved = load_file(result.checkpoint / "discriminator.safetensors")
    assert "net.0.parametrizations.weight.original" in saved
