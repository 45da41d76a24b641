import pytest
import torch

from facegan.config import validate_section
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.models.base import build_models
from facegan.models.dcgan import DCGANConfig


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
