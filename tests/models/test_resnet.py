import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from facegan.config import validate_section
from facegan.datainfo import DataInfo
from facegan.methods.gan.sampler import save_gan_generator
from facegan.methods.io import load_model_dir
from facegan.models.resnet import ResidualBlock, ResNetConfig
from tests.conftest import CLASS_INFO, tiny_models


@pytest.mark.parametrize(("size", "channels"), [(16, 1), (32, 3), (64, 3)])
def test_shapes_and_ranges(size, channels):
    G, D = tiny_models("resnet", DataInfo("X", size, channels))
    images = G(torch.randn(3, 8))
    assert images.shape == (3, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert D(images).shape == (3,)
    assert G.latent_dim == 8 and not G.conditional


def test_architecture_follows_the_recipe():
    G, D = tiny_models("resnet", DataInfo("X", 32, 3))
    # Generator: FC to a 4x4 seed map, 3 up-sampling blocks each with a residual block,
    # spectral norm on every conv and the FC layer, tanh at the end.
    assert G.seed.in_features == 8 and G.seed.out_features == G.seed_channels * 16
    assert sum(isinstance(m, nn.Upsample) for m in G.modules()) == 3
    assert sum(isinstance(m, ResidualBlock) for m in G.modules()) == 3
    weighted = [m for m in G.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert weighted and all(parametrize.is_parametrized(m, "weight") for m in weighted)
    assert isinstance(list(G.modules())[-1], nn.Tanh)
    # Critic: instance norm and LeakyReLU, no batch norm, residual blocks, a linear score.
    assert any(isinstance(m, nn.InstanceNorm2d) for m in D.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    assert sum(isinstance(m, ResidualBlock) for m in D.modules()) == 3
    assert isinstance(D.head.score, nn.Linear) and D.head.score.out_features == 1


def test_saved_generator_with_spectral_norm_reloads_identically(tmp_path):
    G, _ = tiny_models("resnet", CLASS_INFO, g_condition="embedding", d_condition="aux")
    G(torch.randn(4, 8), torch.tensor([0, 1, 2, 3]))  # a training-mode pass moves the SN state
    G.eval()
    cfg = validate_section(ResNetConfig, {"latent_dim": 8, "g_width": 4, "d_width": 4,
                                          "g_condition": "embedding", "d_condition": "aux"},
                           "model")
    save_gan_generator(tmp_path, G, cfg, CLASS_INFO)
    model, meta = load_model_dir(tmp_path)
    loaded = model.networks["generator"]
    z, c = torch.randn(2, 8), torch.tensor([1, 3])
    with torch.no_grad():
        assert torch.equal(G(z, c), loaded(z, c))
    assert meta["data"]["label_names"] == list(CLASS_INFO.label_names)
