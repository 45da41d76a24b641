"""Training the ``classifier`` feature extractor on a config's labelled dataset.

A seeded 90/10 split of the data section's images; cross-entropy for class labels, per-attribute
binary cross-entropy for multi-hot labels. The held-out accuracy is saved with the weights so
every metric measured with these features can say how good the instrument was.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset
from tqdm import tqdm

from facegan.config import Config
from facegan.data.base import build_dataset
from facegan.errors import FaceganError
from facegan.metrics.classifier import (
    ClassifierSpec,
    FeatureClassifier,
    default_classifier_dir,
    save_classifier,
)
from facegan.metrics.identity import default_identity_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassifierReport:
    directory: Path
    validation_accuracy: float
    num_train: int
    num_validation: int
    seconds: float
    kind: str = "classifier"  # or "identity extractor"


def features_root_for(config: Config) -> Path:
    """``models/<Dataset>/features``: where extractors trained on this dataset live."""
    return Path(config.run.root) / config.data.display_name / "features"


def labelled_loss(logits: torch.Tensor, labels: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "class":
        return F.cross_entropy(logits, labels)
    if kind == "embedding":  # a regression of the standardised identity vector
        return F.mse_loss(logits, labels)
    return F.binary_cross_entropy_with_logits(logits, labels.float())


def count_correct(logits: torch.Tensor, labels: torch.Tensor, kind: str) -> float:
    """Correct predictions: per image for classes, per (image, attribute) for multi-hot; for
    embeddings the sum of the cosines between read and true vectors."""
    if kind == "class":
        return float((logits.argmax(1) == labels).sum())
    if kind == "embedding":
        return float(F.cosine_similarity(logits, labels, dim=1).sum())
    return float(((logits > 0) == (labels > 0.5)).float().mean(1).sum())


def _check_labels(config: Config, info) -> None:
    if info.label_kind == "embedding" and config.data.name != "synthfaces":
        raise FaceganError(f"dataset {info.name!r} is labelled with face embeddings: real "
                           "faces are measured with dlib's descriptor (--features face), and "
                           "`features train` makes the classifier or, for synthfaces with "
                           "identity_embedding, the synthfaces_identity extractor")
    if info.label_kind == "none" or (info.label_kind != "embedding" and not info.label_names):
        raise FaceganError(f"dataset {info.name!r} has no labels; the classifier features need "
                           "a labelled dataset (or use --features inception)")


def train_classifier(config: Config, *, out_dir: Path | None = None, epochs: int = 3,
                     batch_size: int = 64, lr: float = 1e-3, width: int = 16,
                     feature_dim: int = 128,
                     validation_fraction: float = 0.1, seed: int = 0,
                     progress: bool = True) -> ClassifierReport:
    """Train on ``config.data`` and save to ``out_dir``. Class or attribute labels make the
    ``classifier`` (default ``models/<Dataset>/features/classifier``); SynthFaces identity
    vectors make the ``synthfaces_identity`` extractor (``.../features/synthfaces_identity``),
    whose "accuracy" is the mean held-out cosine between read and true identities."""
    start = time.perf_counter()
    dataset = build_dataset(config.data)
    info = dataset.info
    _check_labels(config, info)
    n = len(dataset)
    num_val = max(1, int(round(n * validation_fraction)))
    if n - num_val < 2:
        raise FaceganError(f"dataset {info.name!r} has {n} images; training a classifier needs "
                           "at least 3")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    train_set, val_set = Subset(dataset, order[num_val:]), Subset(dataset, order[:num_val])
    spec = ClassifierSpec(channels=info.channels, image_size=info.image_size,
                          label_names=info.label_names, label_kind=info.label_kind, width=width,
                          feature_dim=feature_dim, embedding_dim=info.embedding_dim)
    torch.manual_seed(seed)
    model = FeatureClassifier(spec)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=False,
                        generator=torch.Generator().manual_seed(seed))
    for epoch in range(epochs):
        model.train()
        for images, labels in tqdm(loader, desc=f"classifier epoch {epoch + 1}/{epochs}",
                                   leave=False, disable=not progress):
            optimizer.zero_grad(set_to_none=True)
            labelled_loss(model(images), labels, spec.label_kind).backward()
            optimizer.step()
    accuracy = evaluate_classifier(model, val_set, spec.label_kind, batch_size)
    regressor = spec.label_kind == "embedding"
    default_dir = default_identity_dir if regressor else default_classifier_dir
    directory = Path(out_dir) if out_dir else default_dir(features_root_for(config))
    score = {"validation_cosine" if regressor else "validation_accuracy": round(accuracy, 5)}
    save_classifier(directory, model, spec, dataset=info.name, data=dataclasses.asdict(config.data),
                    epochs=epochs, num_train=len(train_set), num_validation=len(val_set),
                    seed=seed, **score)
    seconds = time.perf_counter() - start
    log.debug("%s: validation score %.4f on %d images; saved to %s", spec.label_kind,
              accuracy, len(val_set), directory)
    return ClassifierReport(directory, accuracy, len(train_set), len(val_set), seconds,
                            "identity extractor" if regressor else "classifier")


@torch.no_grad()
def evaluate_classifier(model: FeatureClassifier, dataset, kind: str, batch_size: int) -> float:
    model.eval()
    correct = total = 0
    for images, labels in DataLoader(dataset, batch_size=batch_size):
        correct += count_correct(model(images), labels, kind)
        total += len(images)
    return correct / total
