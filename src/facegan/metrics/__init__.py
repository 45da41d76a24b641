"""Evaluation: feature extractors by name, FID/KID, precision/recall, conditional scores."""

from facegan.metrics import classifier, face, inception  # noqa: F401  (register extractors)
from facegan.metrics.evaluate import EvalResult, EvalSettings, GeneratorEvaluator
from facegan.metrics.extractors import FeatureExtractor, FeaturesConfig, build_feature_extractor

__all__ = ["EvalResult", "EvalSettings", "FeatureExtractor", "FeaturesConfig",
           "GeneratorEvaluator", "build_feature_extractor"]
