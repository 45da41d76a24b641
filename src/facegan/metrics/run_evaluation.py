"""``facegan evaluate``: from a run directory or checkpoint to metric results.

Finds the generator and the run's config (its data section says which real images to compare
with), builds the instruments by name and runs a `GeneratorEvaluator`. Extractors trained by
facegan and the real-feature cache live beside the runs of the dataset:
``models/<Dataset>/features/`` and ``models/<Dataset>/.fidcache/``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from facegan.config import Config, apply_overrides, config_from_dict, read_yaml
from facegan.data.base import build_dataset
from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel
from facegan.methods.io import load_model_dir
from facegan.metrics.evaluate import EvalResult, EvalSettings, GeneratorEvaluator
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor
from facegan.metrics.identity import choose_embedder
from facegan.runs import RunDir
from facegan.sampling import resolve_generator_dir

CACHE_DIR = ".fidcache"


def find_run_dir(generator_dir: Path) -> Path | None:
    """The run directory (holding config.yaml and saved_models/) at or above a generator."""
    for folder in (generator_dir, *generator_dir.parents):
        run = RunDir(folder)
        if run.config_file.is_file() and run.saved_models.is_dir():
            return folder
    return None


def load_run_config(generator_dir: Path, config_path: Path | None,
                    overrides: list[str]) -> tuple[Config, Path]:
    """The config whose data section the generator is compared with, and the dataset folder
    ``models/<Dataset>`` that holds features and caches."""
    run_dir = find_run_dir(generator_dir)
    if config_path is None:
        for candidate in (generator_dir / "config.yaml", run_dir and run_dir / "config.yaml"):
            if candidate and candidate.is_file():
                config_path = candidate
                break
        else:
            raise FaceganError(f"no config.yaml found with {generator_dir}; pass --config "
                               "CONFIG so the real images are known")
    config = config_from_dict(apply_overrides(read_yaml(config_path), overrides))
    dataset_dir = (run_dir.parent if run_dir is not None else
                   Path(config.run.root) / config.data.display_name)
    return config, dataset_dir


def evaluate_path(path: Path, settings: EvalSettings, *, features: str = "classifier",
                  inception_weights: Path | None = None, classifier: Path | None = None,
                  face_models: Path | None = None, embedder: str | None = None,
                  config_path: Path | None = None, overrides: list[str] | None = None,
                  use_cache: bool = True, device: str = "cpu",
                  sampling: dict[str, Any] | None = None) -> EvalResult:
    """Evaluate the saved model at ``path``; ``sampling`` sets a diffusion model's options
    (``steps``, ``guidance``; None keeps its own); ``embedder`` None picks the identity reader
    for ``id`` (`choose_embedder`)."""
    if device == "cuda" and not torch.cuda.is_available():
        raise FaceganError("--device cuda but no CUDA device is available; use --device cpu")
    generator_dir = resolve_generator_dir(Path(path))
    model, meta = load_model_dir(generator_dir)
    model = model.with_options(**(sampling or {}))
    config, dataset_dir = load_run_config(generator_dir, config_path, list(overrides or []))
    dataset = build_dataset(config.data)
    info = dataset.info
    made = (meta["data"]["image_size"], meta["data"]["channels"])
    if made != (info.image_size, info.channels):
        raise FaceganError(f"the generator makes {made[1]}-channel {made[0]} px images but the "
                           f"data section gives {info.channels}-channel {info.image_size} px; "
                           "fix data.image_size with --set")
    weights = {"inception": inception_weights, "classifier": classifier, "face": face_models}
    features_root = dataset_dir / "features"
    built: dict[str, Any] = {}

    def instrument(name: str):
        if name not in built:
            path = weights.get(name)
            cfg = FeaturesConfig(name=name, weights=str(path) if path else None)
            built[name] = build_feature_extractor(cfg, info, features_root)
        return built[name]

    metrics = settings.metrics
    reads_conditions = _wants_embedding(settings, model) and info.label_kind != "embedding"
    result = GeneratorEvaluator(
        dataset, settings,
        extractor=instrument(features) if {"fid", "kid", "pr"} & set(metrics) else None,
        classifier=instrument("classifier") if "acc" in metrics else None,
        embedder=instrument(choose_embedder(config.data, features, embedder))
        if "id" in metrics or reads_conditions else None,
        split=getattr(config.data, "split", None),
        data_identity=dataclasses.asdict(config.data),
        cache_dir=dataset_dir / CACHE_DIR if use_cache else None,
        device=device,
    ).evaluate(model)
    result.context = {"generator": str(generator_dir), "epoch": meta.get("epoch"),
                      "step": meta.get("step"), "sampler": model.sampler.describe(),
                      **result.context}
    return result


def _wants_embedding(settings: EvalSettings, model: SamplingModel) -> bool:
    return settings.condition == "embedding" or (
        settings.condition == "auto" and model.condition.kind == "embedding")
