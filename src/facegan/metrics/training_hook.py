"""Evaluation during training: every ``eval.every`` epochs, and the best generator kept.

The ``evaluation`` epoch callback calls `TrainingEvaluator.after_epoch` every ``eval.every``
epochs (main process only).
Results go through the trainer's StatsReporter as ``eval/<name>`` (so into metrics.jsonl and
TensorBoard). When ``eval.best_metric`` improves, the generator is written atomically to
``saved_models/best/`` with ``best.json`` (the metric, its value, epoch, step and every result):
a GAN's last epoch is often not its best. The best value is read back from there on resume.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import torch

from facegan.config import Config
from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel
from facegan.methods.io import save_model
from facegan.metrics.evaluate import (
    EvalResult,
    EvalSettings,
    GeneratorEvaluator,
    lower_is_better,
    parse_metrics,
)
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor
from facegan.metrics.identity import choose_embedder
from facegan.runs import RunDir, atomic_directory
from facegan.training.checkpoint import Counters
from facegan.training.stats import StatsReporter

log = logging.getLogger(__name__)

BEST_RECORD = "best.json"
PRODUCES = {"fid": ("fid",), "kid": ("kid",), "pr": ("precision", "recall"),
            "acc": ("accuracy",),
            "id": ("identity_similarity", "identity_score", "identity_verification")}


class TrainingEvaluator:
    def __init__(self, config: Config, dataset, run: RunDir, device: torch.device,
                 model: SamplingModel, progress: bool = False) -> None:
        """Raises a `FaceganError` when ``eval.metrics`` cannot score ``model`` (e.g. acc
        on an unconditional one), before anything is trained."""
        ec = config.eval
        metrics = parse_metrics(ec.metrics)
        produced = {name for metric in metrics for name in PRODUCES[metric]}
        if ec.best_metric is not None and ec.best_metric not in produced:
            raise FaceganError(f"config key 'eval.best_metric': {ec.best_metric!r} is not "
                               f"measured by eval.metrics={list(metrics)}; choose one of "
                               f"{sorted(produced)} or null")
        info = dataset.info
        features_root = run.path.parent / "features"

        def build(name: str, weights: str | None = None):
            return build_feature_extractor(FeaturesConfig(name=name, weights=weights), info,
                                           features_root)

        extractor = (build(ec.features, ec.features_weights)
                     if {"fid", "kid", "pr"} & set(metrics) else None)
        classifier = None
        if "acc" in metrics:
            classifier = extractor if ec.features == "classifier" else build("classifier")
        embedder = None
        name = choose_embedder(config.data, ec.features, ec.embedder)
        if "id" in metrics or (info.label_kind != "embedding"
                               and getattr(model.condition, "kind", None) == "embedding"):
            embedder = extractor if ec.features == name else build(name)
        settings = EvalSettings(metrics=metrics, num_samples=ec.num_samples,
                                num_real=ec.num_real, batch_size=ec.batch_size,
                                seed=config.run.seed, progress=progress)
        self.evaluator = GeneratorEvaluator(
            dataset, settings, extractor=extractor, classifier=classifier, embedder=embedder,
            split=getattr(config.data, "split", None),
            data_identity=dataclasses.asdict(config.data),
            cache_dir=run.path.parent / ".fidcache", device=device)
        self.config, self.info, self.run = config, info, run
        self.evaluator.condition_kind(model)  # now, not at the first evaluation
        self.best_dir = run.best_model
        self.best_value = self._saved_best()

    def _saved_best(self) -> float | None:
        record = self.best_dir / BEST_RECORD
        if not record.is_file():
            return None
        saved = json.loads(record.read_text())
        return saved["value"] if saved.get("metric") == self.config.eval.best_metric else None

    def after_epoch(self, counters: Counters, model: SamplingModel,
                    reporter: StatsReporter) -> EvalResult | None:
        """Evaluate now; report ``eval/*`` and keep the best generator (the ``evaluation``
        callback calls it every ``eval.every`` epochs)."""
        result = self.evaluator.evaluate(model)
        for key, value in result.summary.items():
            reporter.report(f"eval/{key}", value)
        reporter.report("eval/seconds", result.seconds)
        log.info("epoch %d evaluation: %s", counters.epoch,
                 ", ".join(f"{k}={v:.4g}" for k, v in result.summary.items() if "/" not in k))
        metric = self.config.eval.best_metric
        if metric is not None and self._improves(result.summary[metric]):
            self._save_best(model, result, counters)
        return result

    def _improves(self, value: float) -> bool:
        if self.best_value is None:
            return True
        return value < self.best_value if lower_is_better(self.config.eval.best_metric) \
            else value > self.best_value

    def _save_best(self, model: SamplingModel, result: EvalResult, counters: Counters) -> None:
        metric = self.config.eval.best_metric
        value = result.summary[metric]
        record: dict[str, Any] = {"metric": metric, "value": value, "epoch": counters.epoch,
                                  "step": counters.step, "results": result.records}
        with atomic_directory(self.best_dir) as tmp:
            save_model(tmp, model.sampler, model.networks, self.config.model, self.info,
                       epoch=counters.epoch, step=counters.step)
            (Path(tmp) / BEST_RECORD).write_text(json.dumps(record, indent=2) + "\n")
        self.best_value = value
        log.info("new best generator (%s=%.4g at epoch %d) in %s", metric, value,
                 counters.epoch, self.best_dir)
