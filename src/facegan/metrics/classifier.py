"""``classifier``: features from a small CNN that facegan trains on the labelled dataset.

Inception features describe natural photos; for MNIST-like or synthetic data a classifier trained
on the data itself measures what matters (digit shape, face attributes), runs fast on a CPU and
needs no download. ``facegan features train CONFIG`` trains it (see classifier_training.py) and
saves ``classifier.safetensors`` + ``classifier.json`` into ``models/<Dataset>/features/
classifier/``. The features are its hidden layer (``feature_dim`` values, 128 by default);
the same network's logits score conditional generators (conditional.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes
from torch import nn
from torchvision.transforms.v2 import functional as TF

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.metrics.extractors import FeatureExtractor, FeaturesConfig
from facegan.registry import register_feature_extractor
from facegan.runs import atomic_file

WEIGHTS = "classifier.safetensors"
META = "classifier.json"
FORMAT = "facegan.classifier/1"


@dataclass(frozen=True)
class ClassifierSpec:
    """Everything needed to rebuild the network (saved as classifier.json with the results)."""

    channels: int
    image_size: int
    label_names: tuple[str, ...]
    label_kind: Literal["class", "multilabel", "embedding"]
    width: int = 16
    feature_dim: int = 128
    embedding_dim: int = 0  # "embedding": the length of the vectors it regresses

    @property
    def num_labels(self) -> int:
        """Outputs of the head: classes, attributes or embedding entries."""
        return self.embedding_dim if self.label_kind == "embedding" else len(self.label_names)


class FeatureClassifier(nn.Module):
    """``(N, C, S, S)`` in [-1, 1] -> features ``(N, feature_dim)`` and logits ``(N, L)``.

    Three conv blocks halve the resolution down to a 4x4 map (spatial layout matters for digits
    and faces, so it is flattened rather than averaged), then one hidden layer gives the
    features, as in the LeNet-style classifiers commonly used for MNIST FIDs.
    """

    def __init__(self, spec: ClassifierSpec) -> None:
        super().__init__()
        w = spec.width

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True)]

        self.body = nn.Sequential(
            *block(spec.channels, w), nn.MaxPool2d(2),
            *block(w, 2 * w), nn.MaxPool2d(2),
            *block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(4),
            nn.Flatten(), nn.Linear(4 * w * 16, spec.feature_dim), nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(spec.feature_dim, spec.num_labels)
        self.num_features = spec.feature_dim

    def features_and_logits(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(images)  # (N, feature_dim)
        return features, self.head(features)  # (N, L)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(images)[1]


def save_classifier(directory: Path, model: FeatureClassifier, spec: ClassifierSpec,
                    **extra: Any) -> None:
    """Write ``classifier.safetensors`` and ``classifier.json`` (spec + training record)."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": FORMAT, **asdict(spec), "label_names": list(spec.label_names), **extra}
    # both files are put in place only once both are written (a full disk leaves the old
    # pair), the description last: the weights renamed before it, not after
    with atomic_file(directory / META) as info, atomic_file(directory / WEIGHTS) as weights:
        weights.write_bytes(safetensors_bytes(state))  # a full disk: an OSError saying so
        info.write_text(json.dumps(meta, indent=2) + "\n")


def load_classifier(directory: Path, *, what: str = "classifier",
                    example: str = "configs/mnist_wgan_gp.yaml",
                    ) -> tuple[FeatureClassifier, ClassifierSpec, dict[str, Any]]:
    directory = Path(directory)
    if directory.is_file():
        directory = directory.parent
    if not (directory / WEIGHTS).is_file() or not (directory / META).is_file():
        raise FaceganError(f"no trained {what} in {directory}; train one with "
                           f"`facegan features train CONFIG` (e.g. {example})")
    meta = json.loads((directory / META).read_text())
    if meta.get("format") != FORMAT:
        raise FaceganError(f"{directory / META} is not a facegan classifier description")
    spec = ClassifierSpec(channels=meta["channels"], image_size=meta["image_size"],
                          label_names=tuple(meta["label_names"]), label_kind=meta["label_kind"],
                          width=meta["width"], feature_dim=meta["feature_dim"],
                          embedding_dim=meta.get("embedding_dim", 0))
    model = FeatureClassifier(spec)
    model.load_state_dict(load_file(str(directory / WEIGHTS)))
    return model.eval(), spec, meta


class ClassifierFeatures(FeatureExtractor):
    """The trained classifier as a measuring instrument; resizes to the size it was trained at."""

    name = "classifier"
    what, example = "classifier", "configs/mnist_wgan_gp.yaml"  # for the "not trained" error

    def __init__(self, directory: Path, info: DataInfo) -> None:
        super().__init__()
        self.model, self.spec, self.meta = load_classifier(directory, what=self.what,
                                                           example=self.example)
        if info.channels != self.spec.channels:
            raise FaceganError(f"the {self.what} in {directory} was trained on "
                               f"{self.spec.channels}-channel images, these have "
                               f"{info.channels}; train one on this dataset with "
                               "`facegan features train CONFIG`")
        self.weights_path = Path(directory) / WEIGHTS
        self.num_features = self.model.num_features
        size = self.spec.image_size
        self.input_size = info.image_size
        self.resize = ("none" if info.image_size == size else
                       f"bilinear antialiased {info.image_size}->{size} px")

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        size = self.spec.image_size
        if images.shape[-1] != size or images.shape[-2] != size:
            images = TF.resize(images, [size, size], antialias=True)
        return images

    def features_and_logits(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, C, H, W)`` in [-1, 1] -> features ``(N, D)``, logits ``(N, L)``."""
        return self.model.features_and_logits(self._prepare(images))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(images)[0]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(),
                "classifier_validation_accuracy": self.meta.get("validation_accuracy")}


def default_classifier_dir(features_root: Path) -> Path:
    return Path(features_root) / "classifier"


@register_feature_extractor("classifier", config=FeaturesConfig)
def build_classifier_features(cfg: FeaturesConfig, info: DataInfo,
                              features_root: Path) -> ClassifierFeatures:
    directory = Path(cfg.weights) if cfg.weights else default_classifier_dir(features_root)
    return ClassifierFeatures(directory, info)
