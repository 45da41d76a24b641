import hashlib
import json

import pytest
import torch

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor

DIGITS = DataInfo(name="MNIST", image_size=32, channels=1,
                  label_names=tuple("0123456789"), label_kind="class")


def test_the_classifier_trains_to_high_accuracy_and_saves_safetensors(trained_classifier):
    report = trained_classifier
    assert report.validation_accuracy >= 0.9  # 3 epochs on 540 digits, held out 60
    assert (report.num_train, report.num_validation) == (540, 60)
    assert report.directory.parts[-3:] == ("MNIST", "features", "classifier")
    meta = json.loads((report.directory / "classifier.json").read_text())
    assert meta["validation_accuracy"] == pytest.approx(report.validation_accuracy, abs=1e-5)
    assert meta["label_kind"] == "class" and meta["feature_dim"] == 32
    assert (report.directory / "classifier.safetensors").is_file()


def test_classifier_features_record_weights_hash_and_resize(trained_classifier, tmp_path):
    directory = trained_classifier.directory
    cfg = FeaturesConfig(name="classifier", weights=str(directory))
    extractor = build_feature_extractor(cfg, DIGITS, tmp_path)
    images = torch.rand(5, 1, 32, 32) * 2 - 1
    features = extractor(images)
    assert features.shape == (5, 32) and extractor.num_features == 32
    described = extractor.describe()
    expected = hashlib.sha256((directory / "classifier.safetensors").read_bytes()).hexdigest()
    assert described["weights_sha256"] == expected
    assert described["resize"] == "none" and described["features"] == "classifier"

    bigger = build_feature_extractor(cfg, DataInfo("MNIST", 64, 1, DIGITS.label_names, "class"),
                                     tmp_path)
    assert bigger.describe()["resize"] == "bilinear antialiased 64->32 px"
    assert bigger(torch.zeros(2, 1, 64, 64)).shape == (2, 32)


def test_classifier_found_by_default_under_the_dataset_features_folder(trained_classifier):
    features_root = trained_classifier.directory.parent
    extractor = build_feature_extractor(FeaturesConfig(name="classifier"), DIGITS, features_root)
    assert extractor.weights_path == trained_classifier.directory / "classifier.safetensors"


def test_missing_or_mismatched_classifier_is_a_clear_error(trained_classifier, tmp_path):
    with pytest.raises(FaceganError, match=r"no trained classifier in .*; train one with "
                                           r"`facegan features train CONFIG`"):
        build_feature_extractor(FeaturesConfig(name="classifier"), DIGITS, tmp_path)
    rgb = DataInfo("Faces", 32, 3, ("smiling",), "multilabel")
    with pytest.raises(FaceganError, match="trained on 1-channel images, these have 3"):
        build_feature_extractor(FeaturesConfig("classifier", str(trained_classifier.directory)),
                                rgb, tmp_path)
    with pytest.raises(FaceganError, match="unknown feature extractor 'vgg'; valid choices: "
                                           "classifier, face, inception"):
        build_feature_extractor(FeaturesConfig(name="vgg"), DIGITS, tmp_path)


def test_cli_features_train_saves_beside_the_runs_of_the_dataset(balanced_mnist_dir, tmp_path,
                                                                 capsys):
    from facegan.cli import main
    from tests.conftest import MNIST_CONFIG

    with pytest.raises(SystemExit) as exit_code:
        main(["features", "train", str(MNIST_CONFIG), "--set", f"data.root={balanced_mnist_dir}",
              "--set", "data.download=false", "--set", "data.limit=100", "--set",
              f"run.root={tmp_path / 'models'}", "--epochs", "1", "--width", "4",
              "--feature-dim", "8", "--no-progress"])
    assert exit_code.value.code == 0
    out = capsys.readouterr().out
    assert "classifier: validation accuracy" in out and "10 held-out images" in out
    saved = tmp_path / "models" / "MNIST" / "features" / "classifier"
    meta = json.loads((saved / "classifier.json").read_text())
    assert (meta["width"], meta["feature_dim"], meta["num_train"]) == (4, 8, 90)
    assert meta["data"]["limit"] == 100 and meta["dataset"] == "MNIST"


def test_multilabel_loss_and_accuracy_count_each_attribute():
    from facegan.metrics.classifier_training import count_correct, labelled_loss

    logits = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 1.0, -0.5]])
    labels = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert count_correct(logits, labels, "multilabel") == pytest.approx(2 / 3 + 1)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    assert labelled_loss(logits, labels, "multilabel") == pytest.approx(float(expected))
    assert count_correct(logits, torch.tensor([0, 1]), "class") == 2
