"""Evaluation: feature extractors by name, FID/KID, precision/recall, conditional scores."""

from facegan.metrics import (  # noqa: F401  (register extractors)
    classifier,
    face,
    identity,
    inception,
)
from facegan.metrics.evaluate import EvalResult, EvalSettings, GeneratorEvaluator
from facegan.metrics.extractors import FeatureExtractor, FeaturesConfig, build_feature_extractor

__all__ = ["EvalResult", "EvalSettings", "FeatureExtractor", "FeaturesConfig",
           "GeneratorEvaluator", "build_feature_extractor"]
