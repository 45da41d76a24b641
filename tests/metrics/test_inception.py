import time

import pytest
import torch

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.metrics import inception
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor

DIGITS = DataInfo(name="MNIST", image_size=32, channels=1)


@pytest.fixture
def empty_torch_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub" / "checkpoints"


@pytest.mark.parametrize("url", [
    "https://facegan-test.invalid/weights-inception.pth",  # name does not resolve
    "https://192.0.2.1/weights-inception.pth",  # TEST-NET-1: packets go nowhere
])
def test_offline_without_weights_is_a_fast_one_line_error(empty_torch_cache, monkeypatch, url):
    monkeypatch.setattr(inception, "INCEPTION_URL", url)
    monkeypatch.setattr(inception, "CONNECT_TIMEOUT_S", 1.0)
    start = time.perf_counter()
    with pytest.raises(FaceganError) as error:
        build_feature_extractor(FeaturesConfig(name="inception"), DIGITS, empty_torch_cache)
    assert time.perf_counter() - start < 5
    message = str(error.value)
    assert "\n" not in message
    assert "offline" in message and f"download {url}" in message
    assert "--inception-weights PATH" in message and str(empty_torch_cache) in message
    assert not list(empty_torch_cache.parent.rglob("*.pth"))


def test_a_missing_weights_file_is_an_error(tmp_path):
    with pytest.raises(FaceganError, match="--inception-weights .*nope.pth: no such file"):
        build_feature_extractor(FeaturesConfig("inception", str(tmp_path / "nope.pth")), DIGITS,
                                tmp_path)


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_weights_that_need_unpickling_code_are_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"weight": Payload()}, path)
    with pytest.raises(FaceganError, match="not an Inception state dict loadable with "
                                           "weights_only=True"):
        build_feature_extractor(FeaturesConfig("inception", str(path)), DIGITS, tmp_path)


def random_inception_weights(path):
    """A state dict with the FID Inception's layout and random values (the real file cannot be
    downloaded in tests)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    class Unloaded(FeatureExtractorInceptionV3):
        def load_state_dict(self, state_dict, strict=True, assign=False):
            return None

    empty = path.with_name("empty.pth")
    torch.save({}, empty)
    torch.manual_seed(0)
    module = Unloaded("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(empty))
    torch.save(module.state_dict(), path)


def test_local_weights_give_2048_features_with_their_hash(tmp_path):
    pytest.importorskip("torch_fidelity")
    weights = tmp_path / "inception.pth"
    random_inception_weights(weights)
    extractor = build_feature_extractor(FeaturesConfig("inception", str(weights)), DIGITS,
                                        tmp_path)
    features = extractor(torch.rand(2, 1, 32, 32) * 2 - 1)  # grayscale, 32 px: resized to 299
    assert features.shape == (2, 2048) and features.dtype == torch.float32
    described = extractor.describe()
    assert described["weights"] == str(weights) and len(described["weights_sha256"]) == 64
    assert "TF1-compatible bilinear to 299x299" in described["resize"]
