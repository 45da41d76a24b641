"""``synthfaces_identity``: reads a SynthFaces person's identity vector back from an image.

dlib's face descriptor finds no face in 32-64 px SynthFaces, so the identity judge for them is
trained on them: the classifier's small CNN (`FeatureClassifier`) with a head that regresses the
image's standardised identity vector (`facegan.data.synthfaces_identity`) under a mean squared
error, on ``synthfaces`` data with ``identity_embedding: true``. ``facegan features train
CONFIG`` trains it when the config's labels are identity vectors and saves it like the
classifier, in ``models/<Dataset>/features/synthfaces_identity/``. Its output, ``(N, D)`` in the
label's space, is what ``evaluate --metrics id`` compares with the requested identities; the
held-out mean cosine between read and true vectors is saved with the weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.metrics.classifier import ClassifierFeatures
from facegan.metrics.extractors import FeaturesConfig
from facegan.registry import register_feature_extractor

NAME = "synthfaces_identity"
EXAMPLE_CONFIG = "configs/synthfaces_embedding.yaml"


class IdentityFeatures(ClassifierFeatures):
    """Images ``(N, C, H, W)`` in [-1, 1] -> identity vectors ``(N, D)`` as the regressor reads
    them (the head's output, not the hidden layer)."""

    name = NAME
    what, example = "identity extractor", EXAMPLE_CONFIG

    def __init__(self, directory: Path, info: DataInfo) -> None:
        super().__init__(directory, info)
        if self.spec.label_kind != "embedding":
            raise FaceganError(f"{directory} holds a classifier, not an identity extractor; "
                               f"train one with `facegan features train {EXAMPLE_CONFIG}`")
        if info.label_kind == "embedding" and info.embedding_dim != self.spec.embedding_dim:
            raise FaceganError(f"the identity extractor in {directory} reads "
                               f"{self.spec.embedding_dim}-d identities, the data's are "
                               f"{info.embedding_dim}-d; train one on this dataset")
        self.num_features = self.spec.embedding_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(images)[1]

    def describe(self) -> dict[str, Any]:
        described = {key: value for key, value in super().describe().items()
                     if key != "classifier_validation_accuracy"}
        return {**described, "extractor_validation_cosine": self.meta.get("validation_cosine")}


def default_identity_dir(features_root: Path) -> Path:
    return Path(features_root) / NAME


@register_feature_extractor(NAME, config=FeaturesConfig)
def build_identity_features(cfg: FeaturesConfig, info: DataInfo,
                            features_root: Path) -> IdentityFeatures:
    directory = Path(cfg.weights) if cfg.weights else default_identity_dir(features_root)
    return IdentityFeatures(directory, info)


IDENTITY_READERS = ("face", NAME)  # extractors whose features are identities


def choose_embedder(data_cfg: Any, features: str, embedder: str | None) -> str:
    """The extractor that reads identities for ``id``: ``embedder`` when given; else the
    feature extractor when it reads identities; else the one for the data (synthfaces_identity
    for SynthFaces identity vectors, dlib's ``face`` descriptor for real photos)."""
    if embedder is not None:
        return embedder
    if features in IDENTITY_READERS:
        return features
    if getattr(data_cfg, "name", None) == "synthfaces" and getattr(data_cfg,
                                                                    "identity_embedding", False):
        return NAME
    return "face"
