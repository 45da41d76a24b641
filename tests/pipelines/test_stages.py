"""End-of-epoch callbacks as pipeline stages, run in this process on a cycle's context."""

from __future__ import annotations

import json

from facegan.pipelines.spec import StageSpec
from facegan.pipelines.stages import CycleContext, resolve_stage, train_epoch
from facegan.runs import RunDir


def test_an_evaluation_stage_runs_whatever_eval_every_says_and_logs_its_values(
        tiny_config, balanced_mnist_dir, trained_classifier):
    cfg = tiny_config("train.epochs=1", "data.limit=64", f"data.root={balanced_mnist_dir}",
                      "eval.every=0", "eval.metrics=[fid]", "eval.num_samples=40",
                      f"eval.features_weights={trained_classifier.directory}",
                      "log.histograms=false", "log.tensorboard=false")
    run = RunDir.for_config(cfg)
    context = CycleContext(config=cfg, run=run, cycle=1, final_epoch=1)
    train_epoch(context)
    trained = [json.loads(line) for line in run.metrics_file.open()]
    assert not any("eval/fid" in record for record in trained)  # eval.every=0: not in training
    resolve_stage(StageSpec(use="evaluation"))(context)
    last = json.loads(run.metrics_file.read_text().splitlines()[-1])
    assert last["eval/fid"] > 0 and last["step"] == context.trainer.counters.step
    assert json.loads((run.best_model / "best.json").read_text())["metric"] == "fid"
