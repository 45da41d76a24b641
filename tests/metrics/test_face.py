import builtins
import importlib.util

import pytest
import torch

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor

FACES = DataInfo(name="Faces", image_size=32, channels=3)


def test_missing_faces_extra_is_a_clear_error(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_dlib(name, *args, **kwargs):
        if name == "dlib":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dlib)
    with pytest.raises(FaceganError, match=r"need dlib: pip install 'facegan\[faces\]'"):
        build_feature_extractor(FeaturesConfig(name="face"), FACES, tmp_path)


def test_missing_model_files_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FaceganError, match="need dlib's model files: pip install"):
        build_feature_extractor(FeaturesConfig(name="face"), FACES, tmp_path)
    with pytest.raises(FaceganError, match="has no dlib_face_recognition_resnet_model_v1.dat"):
        build_feature_extractor(FeaturesConfig("face", str(tmp_path)), FACES, tmp_path)


def test_face_descriptors_are_128d_and_deterministic(tmp_path):
    pytest.importorskip("dlib")
    if importlib.util.find_spec("face_recognition_models") is None:
        pytest.skip("face-recognition-models is not installed")
    extractor = build_feature_extractor(FeaturesConfig(name="face"), FACES, tmp_path)
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    first, second = extractor(images), extractor(images)
    assert first.shape == (2, 128) and torch.equal(first, second)
    assert torch.isfinite(first).all()
    assert extractor.describe()["weights"].endswith("dlib_face_recognition_resnet_model_v1.dat")
    assert extractor(images[:, :1]).shape == (2, 128)  # grayscale is repeated to RGB
