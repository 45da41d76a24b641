"""Feature extractors, chosen by name: images in [-1, 1] -> one feature vector per image.

Every extractor is an ``nn.Module`` mapping ``(N, C, H, W)`` float images in [-1, 1] to
``(N, D)`` float32 features, and carries what a metric result must record: its name, its feature
dimension, the SHA-256 of its weights file and how it resizes images. Extractors register with
``@register_feature_extractor("name", config=FeaturesConfig)``; builders get
``(FeaturesConfig, DataInfo, features_root)`` where ``features_root`` is the dataset's
``models/<Dataset>/features/`` folder (where ``facegan features train`` saves classifiers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from facegan.config import config_dataclass
from facegan.datainfo import DataInfo
from facegan.registry import FEATURE_EXTRACTORS
from facegan.runs import file_sha256


@config_dataclass
class FeaturesConfig:
    name: str = "classifier"  # inception, classifier or face
    weights: str | None = None  # a weights file or folder; None: the extractor's default place


class FeatureExtractor(nn.Module):
    """Base class: subclasses set the attributes below and implement ``forward``."""

    name: str
    num_features: int  # torchmetrics reads this attribute to size its statistics
    weights_path: Path
    resize: str  # how images are brought to the network's input, for the record

    def __init__(self) -> None:
        super().__init__()
        self._sha256: str | None = None

    @property
    def weights_sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = file_sha256(self.weights_path)
        return self._sha256

    def describe(self) -> dict[str, Any]:
        """What every result measured with this extractor records."""
        return {"features": self.name, "feature_dim": self.num_features,
                "weights": str(self.weights_path), "weights_sha256": self.weights_sha256,
                "resize": self.resize}

    def train(self, mode: bool = True) -> FeatureExtractor:
        return super().train(False)  # a fixed measuring instrument: never in training mode


def build_feature_extractor(cfg: FeaturesConfig, info: DataInfo,
                            features_root: Path) -> FeatureExtractor:
    """Build the extractor ``cfg.name`` names, for images described by ``info``."""
    extractor = FEATURE_EXTRACTORS.get(cfg.name).builder(cfg, info, Path(features_root))
    return extractor.eval().requires_grad_(False)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float -> uint8 [0, 255], rounding as an image file would (the standard protocol
    measures images as they would be saved)."""
    return images.add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)


def to_rgb(images: torch.Tensor) -> torch.Tensor:
    """Grayscale ``(N, 1, H, W)`` repeated to 3 channels; RGB passes through."""
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
