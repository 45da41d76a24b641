"""Evaluation during training: eval/* in metrics.jsonl and the best generator kept."""

import json

import pytest
import torch

from facegan.data.base import build_dataset
from facegan.errors import FaceganError
from facegan.methods.gan.sampler import gan_model
from facegan.methods.io import load_model_dir
from facegan.metrics.training_hook import TrainingEvaluator
from facegan.models.base import build_models
from facegan.runs import RunDir
from facegan.training.trainer import Trainer


def eval_overrides(balanced_mnist_dir, trained_classifier, *extra):
    return ("train.epochs=2", "data.limit=64", f"data.root={balanced_mnist_dir}",
            "eval.every=1", "eval.metrics=[fid,pr]", "eval.num_samples=40",
            f"eval.features_weights={trained_classifier.directory}", *extra)


def test_training_evaluates_every_epoch_and_keeps_the_best(tiny_config, balanced_mnist_dir,
                                                           trained_classifier):
    cfg = tiny_config(*eval_overrides(balanced_mnist_dir, trained_classifier,
                                      "eval.best_metric=recall"))
    result = Trainer(cfg, progress=False).fit()
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").open()]
    evaluated = [r for r in records if "eval/fid" in r]
    assert [(r["step"], r["epoch"]) for r in evaluated] == [(8, 1), (16, 2)]  # each epoch's end
    for record in evaluated:
        assert record["eval/fid"] > 0 and 0 <= record["eval/recall"] <= 1
        assert "eval/precision" in record and record["eval/seconds"] > 0
    events = list((result.run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert any(b"eval/fid" in event.read_bytes() for event in events)

    best = result.run_dir / "saved_models" / "best"
    saved = json.loads((best / "best.json").read_text())
    recalls = [r["eval/recall"] for r in evaluated]
    assert saved["metric"] == "recall" and saved["value"] == pytest.approx(max(recalls))
    assert saved["epoch"] == 1 + recalls.index(max(recalls))  # first epoch wins ties
    assert {r["metric"] for r in saved["results"]} == {"fid", "precision", "recall"}
    _, meta = load_model_dir(best)
    assert meta["epoch"] == saved["epoch"]
    assert not list(best.parent.glob(".*"))  # written atomically, nothing left behind


def test_eval_config_mistakes_are_named(tiny_config, balanced_mnist_dir, trained_classifier):
    with pytest.raises(FaceganError, match=r"'eval.best_metric': 'accuracy' is not measured by "
                                           r"eval.metrics=\['fid', 'pr'\]"):
        Trainer(tiny_config(*eval_overrides(balanced_mnist_dir, trained_classifier,
                                            "eval.best_metric=accuracy")))
    with pytest.raises(FaceganError, match=r"config key 'eval.metrics.0'"):
        tiny_config("eval.metrics=[fjd]")
    unconditional = tiny_config(*eval_overrides(balanced_mnist_dir, trained_classifier,
                                                "eval.metrics=[fid,acc]"), name="acc")
    with pytest.raises(FaceganError, match=r"^acc scores label-conditioned generators, but this "
                                           r"generator is conditioned on 'none'"):
        Trainer(unconditional)  # before training, not at the first evaluation
    assert not RunDir.for_config(unconditional).exists()


def test_the_best_value_survives_a_restart(tiny_config, balanced_mnist_dir, trained_classifier):
    cfg = tiny_config(*eval_overrides(balanced_mnist_dir, trained_classifier))
    data = build_dataset(cfg.data)
    generator = gan_model(build_models(cfg.model, data.info).generator, data.info)
    run = RunDir.for_config(cfg)
    (run.saved_models / "best").mkdir(parents=True)
    (run.saved_models / "best" / "best.json").write_text('{"metric": "fid", "value": 5.0}')
    hook = TrainingEvaluator(cfg, data, run, torch.device("cpu"), generator)
    assert hook.best_value == 5.0
    assert hook._improves(4.9) and not hook._improves(5.1)  # lower FID is better

    by_recall = tiny_config(*eval_overrides(balanced_mnist_dir, trained_classifier,
                                            "eval.best_metric=recall"))
    hook = TrainingEvaluator(by_recall, data, run, torch.device("cpu"), generator)
    assert hook.best_value is None  # the saved best was chosen by another metric
    hook.best_value = 0.5
    assert hook._improves(0.6) and not hook._improves(0.4)  # higher recall is better
