"""Evaluating generators end to end: metadata on every result, the real-feature cache, errors,
and `facegan evaluate` on a tiny trained run."""

import json
import logging

import pytest
import torch

from facegan.cli import main
from facegan.config import load_config
from facegan.data.base import build_dataset
from facegan.errors import FaceganError
from facegan.methods.gan.sampler import gan_model
from facegan.metrics import evaluate as evaluate_module
from facegan.metrics.evaluate import EvalSettings, GeneratorEvaluator
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor
from facegan.models.base import build_models
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG

PROVENANCE = ("features", "weights_sha256", "resize", "num_real", "num_generated", "split",
              "dataset", "seed")
CONDITIONAL = ("model.g_condition=embedding", "model.d_condition=projection")


@pytest.fixture
def setup(balanced_mnist_dir, trained_classifier, tmp_path):
    """The balanced digits, the trained classifier, and an untrained tiny digit-conditional
    generator (acc needs one: an unconditional generator is refused)."""
    config = load_config(MNIST_CONFIG, [f"data.root={balanced_mnist_dir}", "data.download=false",
                                        "model.latent_dim=16", "model.g_width=8",
                                        "model.d_width=8", *CONDITIONAL])
    data = build_dataset(config.data)
    classifier = build_feature_extractor(
        FeaturesConfig("classifier", str(trained_classifier.directory)), data.info, tmp_path)
    torch.manual_seed(0)
    generator = build_models(config.model, data.info).generator
    return config, data, classifier, gan_model(generator, data.info)


def evaluator(setup, tmp_path, **settings):
    config, data, classifier, _ = setup
    values = {"metrics": ("fid", "kid", "pr", "acc"), "num_samples": 48, "num_real": 64,
              "batch_size": 16, "progress": False, **settings}
    return GeneratorEvaluator(data, EvalSettings(**values), extractor=classifier,
                              classifier=classifier, split="train",
                              data_identity={"root": config.data.root},
                              cache_dir=tmp_path / ".fidcache")


def test_every_result_records_what_it_was_measured_with(setup, tmp_path, trained_classifier):
    result = evaluator(setup, tmp_path).evaluate(setup[3])
    assert [r["metric"] for r in result.records] == ["fid", "kid", "precision", "recall",
                                                     "accuracy"]
    for record in result.records:
        for key in PROVENANCE:
            assert key in record, (record["metric"], key)
        assert record["features"] == "classifier" and record["split"] == "train"
        assert record["num_generated"] == 48 and record["resize"] == "none"
        assert len(record["weights_sha256"]) == 64
    assert [r["num_real"] for r in result.records] == [64, 64, 64, 64, 0]
    assert result.records[1]["subset_size"] == 48 and result.records[2]["k"] == 3
    assert set(result.records[4]["per_label"]) <= set("0123456789")
    assert result.summary["fid"] == result.records[0]["value"] > 0
    assert 0 <= result.summary["precision"] <= 1 and "kid_std" in result.summary


def test_real_features_are_computed_once_per_dataset_and_extractor(setup, tmp_path,
                                                                  monkeypatch):
    first = evaluator(setup, tmp_path).evaluate(setup[3])
    cached = list((tmp_path / ".fidcache").glob("classifier-64-*.safetensors"))
    assert len(cached) == 1

    def no_real_images(*args, **kwargs):
        raise AssertionError("real images were read again")

    monkeypatch.setattr(evaluate_module, "real_batches", no_real_images)
    again = evaluator(setup, tmp_path).evaluate(setup[3])
    assert again.summary == first.summary  # same seed, same cached real features
    monkeypatch.undo()
    evaluator(setup, tmp_path, num_real=80).evaluate(setup[3])  # another subset: a new entry
    assert len(list((tmp_path / ".fidcache").glob("*.safetensors"))) == 2


def test_a_cache_that_cannot_be_written_is_a_warning_not_an_error(setup, tmp_path, caplog,
                                                                  monkeypatch):
    import errno

    from facegan.metrics import cache as cache_module

    def full_disk(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go")
    with caplog.at_level(logging.WARNING, logger="facegan"):
        result = evaluator(setup, tmp_path / "blocked" / "x").evaluate(setup[3])
    assert result.summary["fid"] > 0
    assert "could not cache the real-image features" in caplog.text
    caplog.clear()
    monkeypatch.setattr(cache_module, "atomic_file", full_disk)
    with caplog.at_level(logging.WARNING, logger="facegan"):
        evaluator(setup, tmp_path / "full").evaluate(setup[3])
    assert "No space left on device" in caplog.text
    assert not list((tmp_path / "full").rglob("*.safetensors"))


def test_too_few_samples_for_fid_is_an_error(setup, tmp_path):
    with pytest.raises(FaceganError, match=r"FID needs more generated images than feature "
                                           r"dimensions \(20 <= 32\); raise --num-samples"):
        evaluator(setup, tmp_path, metrics=("fid",), num_samples=20).evaluate(setup[3])


def test_evaluating_restores_the_generator_training_mode(setup, tmp_path):
    generator = setup[3].networks["generator"].train()
    evaluator(setup, tmp_path, metrics=("kid",)).evaluate(setup[3])
    assert generator.training


def test_cli_evaluate_on_a_tiny_trained_run(tiny_config, balanced_mnist_dir, trained_classifier,
                                            tmp_path, capsys):
    cfg = tiny_config("train.epochs=1", "data.limit=64", f"data.root={balanced_mnist_dir}",
                      *CONDITIONAL)
    run_dir = Trainer(cfg, progress=False).fit().run_dir
    out = tmp_path / "eval.json"
    with pytest.raises(SystemExit) as exit_code:
        main(["evaluate", str(run_dir), "--metrics", "fid,kid,pr,acc", "--num-samples", "40",
              "--classifier", str(trained_classifier.directory), "--json", str(out),
              "--no-progress"])
    assert exit_code.value.code == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["metric", "value", "features", "real", "generated"]
    assert "fid" in table and "classifier  40    40" in table
    document = json.loads(out.read_text())
    assert document["generator"].endswith("saved_models/generator") and document["epoch"] == 1
    assert document["split"] == "train" and document["num_generated"] == 40
    assert {r["metric"] for r in document["results"]} == {"fid", "kid", "precision", "recall",
                                                          "accuracy"}
    assert all(r["weights_sha256"] == document["results"][0]["weights_sha256"]
               for r in document["results"])
    assert list((run_dir.parent / ".fidcache").glob("classifier-40-*.safetensors"))

    with pytest.raises(SystemExit) as exit_code:
        main(["evaluate", str(run_dir), "--metrics", "fid,bogus", "--no-progress"])
    assert exit_code.value.code == 2
    assert "unknown metric 'bogus'; valid metrics: fid, kid, pr, acc, id" in \
        capsys.readouterr().err


def test_cli_evaluate_id_on_an_embedding_conditioned_resnet_run_needs_no_condition_option(
        tmp_path, capsys):
    """The shipped embedding recipe (a ResNet G(z, e)), tiny: `evaluate --metrics id
    --features face` works with the default --condition auto."""
    import numpy as np
    from PIL import Image

    faces = tmp_path / "faces"
    (faces / "images").mkdir(parents=True)
    rows = []
    for i in range(8):
        Image.new("RGB", (32, 32), (30 * i, 100, 200 - 20 * i)).save(faces / f"images/{i}.png")
        rows.append(f"images/{i}.png,photo_{i}.jpg,0,1,2,3,4,90,0.9,hog\n")
    (faces / "manifest.csv").write_text("image,source,face,left,top,right,bottom,face_size,"
                                        "score,detector\n" + "".join(rows))
    np.save(faces / "embeddings.npy",
            np.random.default_rng(0).normal(size=(8, 128)).astype(np.float32))
    cfg = load_config(MNIST_CONFIG.with_name("faces128_embedding.yaml"), [
        f"data.root={faces}", "data.image_size=32", "model.g_width=8", "model.d_width=8",
        "train.epochs=1", "train.batch_size=4", f"run.root={tmp_path / 'models'}",
        "log.num_samples=4", "log.histograms=false", "log.tensorboard=false"])
    run_dir = Trainer(cfg, progress=False).fit().run_dir
    out = tmp_path / "eval.json"
    with pytest.raises(SystemExit) as exit_code:
        main(["evaluate", str(run_dir), "--metrics", "id", "--features", "face",
              "--num-samples", "4", "--json", str(out), "--no-progress"])
    assert exit_code.value.code == 0, capsys.readouterr().err
    similarity, score, verification = json.loads(out.read_text())["results"]
    assert similarity["metric"] == "identity_similarity" and -1 <= similarity["value"] <= 1
    assert score["metric"] == "identity_score" and score["features"] == "face"
    assert 0 <= verification["value"] <= 1 and 0.5 <= verification["real_verification"] <= 1
