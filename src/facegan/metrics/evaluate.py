"""Evaluating a generator: one pass over real images (cached), one over generated images.

`GeneratorEvaluator` holds the measuring instruments and the real-image statistics, so the
training loop can call it every few epochs and pay for the real images once. Each result is a
record that says what it was measured with (extractor, weights hash, resize, image counts,
split, seed), so numbers from different runs can be compared honestly.

Metric names: ``fid``, ``kid``, ``pr`` (precision and recall) on the extractor's features;
``acc`` (conditional accuracy, needs the ``classifier``); ``id`` (identity scores of an
embedding-conditioned generator, `IdentityScores`: needs an embedder that reads identities in the
space of the data's embeddings, the ``face`` extractor for dlib descriptors or
``synthfaces_identity`` for SynthFaces identity vectors).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.data import Dataset

from facegan.conditions import drawn_labels
from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel
from facegan.metrics import cache
from facegan.metrics.conditional import conditional_accuracy, identity_scores
from facegan.metrics.distances import KID_SUBSETS, frechet_distance, kernel_distance
from facegan.metrics.extractors import FeatureExtractor
from facegan.metrics.precision_recall import DEFAULT_K, precision_recall
from facegan.metrics.streams import collect, generated_batches, real_batches, real_indices

log = logging.getLogger(__name__)

METRICS = ("fid", "kid", "pr", "acc", "id")
FEATURE_METRICS = ("fid", "kid", "pr")
LOWER_IS_BETTER = {"fid", "kid"}
Condition = Literal["auto", "none", "labels", "embedding"]
Embedder = Callable[[torch.Tensor], torch.Tensor]  # images (N, C, H, W) -> (N, D)


def parse_metrics(names: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    items = names.split(",") if isinstance(names, str) else list(names)
    metrics = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise FaceganError(f"unknown metric {unknown[0] if unknown else '(none)'!r}; valid "
                           f"metrics: {', '.join(METRICS)} (comma-separated)")
    return metrics


def lower_is_better(summary_key: str) -> bool:
    return summary_key in LOWER_IS_BETTER


@dataclass(frozen=True)
class EvalSettings:
    metrics: tuple[str, ...] = ("fid",)
    num_samples: int = 1000  # generated images
    num_real: int | None = None  # real images; None: num_samples, at most the dataset size
    batch_size: int = 64
    seed: int = 0  # picks real images, noise, conditions and KID subsets
    condition: Condition = "auto"
    progress: bool = True


@dataclass
class EvalResult:
    records: list[dict[str, Any]]  # one per metric, each with its provenance
    summary: dict[str, float]  # flat name -> value, for logs and best-checkpoint choice
    seconds: float
    context: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.context, "seconds": round(self.seconds, 2), "results": self.records}


def describe_instrument(instrument: Any, fallback: str) -> dict[str, Any]:
    describe = getattr(instrument, "describe", None)
    return describe() if callable(describe) else {"features": fallback,
                                                  "embedder": repr(instrument)}


class GeneratorEvaluator:
    """Measures generators against one dataset with fixed instruments and settings."""

    def __init__(self, dataset: Dataset, settings: EvalSettings, *,
                 extractor: FeatureExtractor | None = None, classifier: Any = None,
                 embedder: Embedder | None = None, split: str | None = None,
                 data_identity: dict[str, Any] | None = None, cache_dir: Path | None = None,
                 device: torch.device | str = "cpu") -> None:
        self.dataset, self.settings = dataset, settings
        self.info = dataset.info
        self.extractor, self.classifier, self.embedder = extractor, classifier, embedder
        self.split = split
        self.data_identity = data_identity or {"dataset": self.info.name}
        self.cache_dir = cache_dir
        self.device = torch.device(device)
        metrics = settings.metrics
        if any(m in FEATURE_METRICS for m in metrics) and extractor is None:
            raise FaceganError("fid, kid and pr need a feature extractor (--features)")
        if "acc" in metrics and classifier is None:
            raise FaceganError("acc needs the classifier: train it with `facegan features "
                               "train CONFIG`")
        if "id" in metrics and embedder is None:
            raise FaceganError("id needs an embedder that reads identities (--embedder face or "
                               "synthfaces_identity)")
        if settings.num_samples < 1:
            raise FaceganError(f"--num-samples must be at least 1 (got {settings.num_samples})")
        self.num_real = settings.num_real or min(settings.num_samples, len(dataset))
        self._real_features: torch.Tensor | None = None
        self._embeddings: torch.Tensor | None = None  # requested identities (N, D)
        self._real_read: torch.Tensor | None = None  # the embedder's reading of their photos
        for instrument in (extractor, classifier, embedder):
            if isinstance(instrument, nn.Module):
                instrument.to(self.device).eval()

    # -- real images ------------------------------------------------------------------------

    def real_features(self) -> torch.Tensor:
        """Extractor features of the chosen real images ``(num_real, D)``; cached on disk."""
        if self._real_features is None:
            instrument = {k: v for k, v in self.extractor.describe().items()
                          if k != "weights"}  # identified by its hash, wherever the file is
            identity = {**self.data_identity, "split": self.split,
                        "dataset_size": len(self.dataset), **instrument,
                        "num_real": self.num_real, "seed": self.settings.seed}
            path = cache.cache_file(self.cache_dir, identity) if self.cache_dir else None
            features = cache.load_cached(path) if path else None
            if features is None:
                indices = real_indices(self.dataset, self.num_real, self.settings.seed)
                images = (x.to(self.device) for x, _ in
                          real_batches(self.dataset, indices, self.settings.batch_size))
                features = collect(images, len(indices),
                                   lambda x: {"features": self.extractor(x)},
                                   desc="real images", progress=self.settings.progress
                                   )["features"]
                if path and cache.store(path, features, identity):
                    log.info("cached real-image features in %s", path)
            else:
                log.info("real-image features from the cache %s", path)
            self._real_features = features
        return self._real_features

    # -- conditions -------------------------------------------------------------------------

    def condition_kind(self, model: SamplingModel) -> str:
        """What ``c`` to pass: what the model takes (`SamplingModel.condition`: nothing for a
        model trained on labelled data without using the labels), unless
        ``settings.condition`` says otherwise."""
        kind = self.settings.condition
        if kind == "auto":
            kind = {"class": "labels", "multilabel": "labels"}.get(model.condition.kind,
                                                                   model.condition.kind)
        elif kind != "none" and not model.conditional:
            raise FaceganError(f"--condition {kind}: this generator takes no condition (it was "
                               "trained without one); use --condition auto or none")
        if "acc" in self.settings.metrics and kind != "labels":
            raise FaceganError("acc scores label-conditioned generators, but this generator is "
                               f"conditioned on {kind!r}; drop acc or pass --condition labels")
        if "id" in self.settings.metrics and kind != "embedding":
            raise FaceganError("id scores embedding-conditioned generators, but this generator "
                               f"is conditioned on {kind!r}; drop id or pass --condition "
                               "embedding")
        if kind == "embedding" and self.embedder is None and not self._labelled_embeddings:
            raise FaceganError("this data has no embedding labels, so an embedding-conditioned "
                               "generator needs an embedder to make its conditions (e.g. "
                               "--embedder face)")
        return kind

    @property
    def _labelled_embeddings(self) -> bool:
        return self.info.label_kind == "embedding"

    def conditions(self, kind: str, n: int) -> torch.Tensor | None:
        """The ``c`` of each generated image; the same every call (kept for the next epoch)."""
        seed = self.settings.seed + 1  # independent of the real images picked for features
        if kind == "labels":
            return drawn_labels(self.dataset, n, seed)
        if kind == "embedding":
            if self._embeddings is None:
                self._draw_embeddings(n, seed)
            return self._embeddings
        return None

    def _draw_embeddings(self, n: int, seed: int) -> None:
        """Requests are the embedding labels of ``n`` real photos drawn with replacement (what
        the generator was trained on); on data without them, the embedder's reading of those
        photos. The reading is taken when id needs it, as the real photos' ceiling."""
        if self._labelled_embeddings:
            self._embeddings = drawn_labels(self.dataset, n, seed).float()  # (n, D)
            if "id" not in self.settings.metrics:
                return
        picks = torch.randint(len(self.dataset), (n,),
                              generator=torch.Generator().manual_seed(seed)).tolist()
        images = (x.to(self.device) for x, _ in
                  real_batches(self.dataset, picks, self.settings.batch_size))
        self._real_read = collect(images, n, lambda x: {"embedding": self.embedder(x)},
                                  desc="real photos of the requested identities",
                                  progress=self.settings.progress)["embedding"]
        if self._embeddings is None:
            self._embeddings = self._real_read

    # -- the evaluation ---------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(self, model: SamplingModel) -> EvalResult:
        start = time.perf_counter()
        s, metrics = self.settings, self.settings.metrics
        device = model.device
        model.to(self.device)
        try:
            kind = self.condition_kind(model)
            wants_features = any(m in FEATURE_METRICS for m in metrics)
            real = self.real_features() if wants_features else None
            conditions = self.conditions(kind, s.num_samples)

            def heads(images: torch.Tensor) -> dict[str, torch.Tensor]:
                out = {}
                if "acc" in metrics:
                    feats, out["logits"] = self.classifier.features_and_logits(images)
                    if self.extractor is self.classifier:
                        out["features"] = feats
                if wants_features and "features" not in out:
                    out["features"] = self.extractor(images)
                if "id" in metrics:
                    out["embedding"] = self.embedder(images)
                return out

            fake = collect(generated_batches(model, s.num_samples, s.batch_size, s.seed,
                                             conditions),
                           s.num_samples, heads, desc="generated images", progress=s.progress)
        finally:
            model.to(device)
        records = self._score(metrics, real, fake, conditions)
        context = {"dataset": self.info.name, "split": self.split,
                   "num_real": self.num_real if real is not None else 0,
                   "num_generated": s.num_samples, "seed": s.seed, "condition": kind}
        for record in records:
            record.update({key: value for key, value in context.items() if key not in record})
        summary = {}
        for record in records:
            summary[record["metric"]] = record["value"]
            if "std" in record:
                summary[f"{record['metric']}_std"] = record["std"]
            if "baseline" in record:
                summary[f"{record['metric']}_baseline"] = record["baseline"]
            for label, value in record.get("per_label", {}).items():
                summary[f"{record['metric']}/{label}"] = value
        return EvalResult(records, summary, time.perf_counter() - start, context)

    def _score(self, metrics: tuple[str, ...], real: torch.Tensor | None,
               fake: dict[str, torch.Tensor],
               conditions: torch.Tensor | None) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        features = self.extractor.describe() if real is not None else {}
        if "fid" in metrics:
            records.append({"metric": "fid", "value": frechet_distance(real, fake["features"]),
                            **features})
        if "kid" in metrics:
            mean, std, subset_size = kernel_distance(real, fake["features"], self.settings.seed)
            records.append({"metric": "kid", "value": mean, "std": std,
                            "subset_size": subset_size, "subsets": KID_SUBSETS, **features})
        if "pr" in metrics:
            precision, recall = precision_recall(real, fake["features"], DEFAULT_K)
            records.append({"metric": "precision", "value": precision, "k": DEFAULT_K,
                            **features})
            records.append({"metric": "recall", "value": recall, "k": DEFAULT_K, **features})
        if "acc" in metrics:
            overall, per_label = conditional_accuracy(fake["logits"], conditions,
                                                      self.classifier.spec.label_kind,
                                                      self.classifier.spec.label_names)
            records.append({"metric": "accuracy", "value": overall, "per_label": per_label,
                            **describe_instrument(self.classifier, "classifier"),
                            "num_real": 0})
        if "id" in metrics:
            scores = identity_scores(conditions, self._real_read, fake["embedding"])
            embedder = {**describe_instrument(self.embedder, "embedder"),
                        "num_real": len(conditions)}
            records.append({"metric": "identity_similarity", "value": scores.similarity,
                            "baseline": scores.baseline,
                            "gap": scores.similarity - scores.baseline,
                            "ceiling": scores.ceiling, "floor": scores.floor, **embedder})
            records.append({"metric": "identity_score", "value": scores.score,
                            "ceiling": scores.ceiling, "floor": scores.floor, **embedder})
            records.append({"metric": "identity_verification", "value": scores.verification,
                            "threshold": scores.threshold,
                            "real_verification": scores.real_verification, **embedder})
        return records


def format_table(result: EvalResult) -> str:
    """A plain-text table: metric, value, features, images (real / generated)."""
    rows = [("metric", "value", "features", "real", "generated")]
    for r in result.records:
        value = f"{r['value']:.4f}"
        if "std" in r:
            value += f" ± {r['std']:.4f}"
        if "baseline" in r:
            value += f" (unrelated {r['baseline']:.4f})"
        if r["metric"] == "identity_score":
            value += f" (real photos {r['ceiling']:.4f}, strangers {r['floor']:.4f})"
        if "real_verification" in r:
            value += f" (real photos {r['real_verification']:.4f} at cos >= {r['threshold']:.3f})"
        rows.append((r["metric"], value, str(r.get("features", "")), str(r["num_real"]),
                     str(r["num_generated"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    return "\n".join(line.rstrip() for line in lines)
