"""Whole batches from the stored uint8 images: the per-item path's images and labels, flips drawn
from the trainer's generator, the same with DataLoader workers, and bit-exact resume."""

import numpy as np
import pytest
import torch
from PIL import Image

from facegan.config import load_config
from facegan.data.base import build_dataset
from facegan.data.batches import reads_batches, training_batches
from facegan.data.mnist import MNISTConfig
from facegan.randomness import BatchRandom
from facegan.training.trainer import Trainer
from tests.conftest import REPO
from tests.training.test_trainer import assert_same_state, state_of

CPU = torch.device("cpu")
ORDER = [[5, 0, 3, 9], [1, 7, 2, 4], [8, 6, 11, 10]]


def noise_folder(root, count=12, size=8, seed=0):
    """``count`` random-noise PNGs: every image differs from its mirror image."""
    rng = np.random.default_rng(seed)
    (root / "faces").mkdir(parents=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), np.uint8)).save(
            root / "faces" / f"{i:03d}.png")
    return root


def folder_dataset(root, hflip=False, **more):
    from facegan.config import validate_section
    from facegan.data.image_folder import ImageFolderConfig

    cfg = validate_section(ImageFolderConfig, {"name": "image_folder", "root": str(root),
                                               "image_size": 8, "hflip": hflip, **more}, "data")
    return build_dataset(cfg)


def read(dataset, seed=0, order=ORDER, **options):
    random = BatchRandom.seeded(seed)
    pairs = list(training_batches(dataset, order, device=CPU, random=random, **options))
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


def per_item(dataset, order=ORDER):
    items = [dataset[i] for batch in order for i in batch]
    return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])


@pytest.mark.parametrize("cache", [True, False])
def test_batches_are_the_items_of_the_per_item_path(tmp_path, cache):
    dataset = folder_dataset(noise_folder(tmp_path), cache=cache)
    assert reads_batches(dataset)
    images, labels = read(dataset)
    expected_images, expected_labels = per_item(dataset)
    assert images.dtype == torch.float32 and images.shape == (12, 3, 8, 8)
    assert torch.equal(images, expected_images) and torch.equal(labels, expected_labels)


def test_mnist_batches_are_its_items(mnist_dir):
    cfg = MNISTConfig(root=str(mnist_dir), image_size=16, download=False)
    dataset = build_dataset(cfg)
    images, labels = read(dataset)
    expected_images, expected_labels = per_item(dataset)
    assert torch.equal(images, expected_images) and torch.equal(labels, expected_labels)
    assert labels.dtype == torch.int64 and set(labels.tolist()) <= set(range(10))


def test_flips_mirror_some_images_the_same_way_for_the_same_seed(tmp_path):
    plain = folder_dataset(noise_folder(tmp_path))
    flipping = folder_dataset(tmp_path, hflip=True)
    stored, _ = read(plain)
    images, _ = read(flipping, seed=3)
    pairs = list(zip(images, stored, strict=True))
    mirrored = torch.tensor([torch.equal(a, b.flip(-1)) for a, b in pairs])
    unchanged = torch.tensor([torch.equal(a, b) for a, b in pairs])
    assert torch.all(mirrored ^ unchanged)  # each image is its stored self or its mirror
    assert 0 < mirrored.sum() < len(images)
    assert torch.equal(read(flipping, seed=3)[0], images)
    assert not torch.equal(read(flipping, seed=4)[0], images)
    # the flips are the generator's: one draw per image of each batch, in order
    random = BatchRandom.seeded(3)
    expected = torch.cat([random.rand(len(batch)) < 0.5 for batch in ORDER])
    assert torch.equal(mirrored, expected)


def test_workers_read_the_same_batches(tmp_path):
    dataset = folder_dataset(noise_folder(tmp_path), hflip=True)
    alone = read(dataset, seed=1)
    with_workers = read(dataset, seed=1, num_workers=2)
    assert torch.equal(alone[0], with_workers[0]) and torch.equal(alone[1], with_workers[1])


def test_a_dataset_of_float_items_takes_the_per_item_path():
    images = torch.rand(6, 1, 4, 4) * 2 - 1
    dataset = torch.utils.data.TensorDataset(images, torch.arange(6))
    assert not reads_batches(dataset)
    got, labels = read(dataset, order=[[2, 0], [5, 1]])
    assert torch.equal(got, images[[2, 0, 5, 1]]) and labels.tolist() == [2, 0, 5, 1]


def test_resume_mid_training_with_flips_is_bit_identical(tmp_path):
    settings = [f"data.cache_dir={tmp_path / 'cache'}", f"run.root={tmp_path / 'models'}",
                "data.n=24", "data.image_size=16", "data.hflip=true", "model.g_width=8",
                "model.d_width=8", "model.latent_dim=8", "train.batch_size=4", "log.every=2",
                "log.num_samples=4", "log.histograms=false", "log.tensorboard=false",
                "train.max_images=null"]
    recipe = REPO / "configs" / "synthfaces_dcgan.yaml"

    def train(name, epochs, resume=False):
        config = load_config(recipe, [*settings, f"run.name={name}", f"train.epochs={epochs}"])
        return Trainer(config, resume=resume, progress=False).fit()

    straight = train("straight", 2)
    train("split", 1)
    torch.manual_seed(999)  # a new process would start from another global RNG state
    resumed = train("split", 2, resume=True)
    assert resumed.counters.step == straight.counters.step == 12
    assert_same_state(state_of(straight.run_dir), state_of(resumed.run_dir))


def test_a_dataset_with_another_item_transform_takes_the_per_item_path(tmp_path):
    dataset = folder_dataset(noise_folder(tmp_path))
    assert reads_batches(dataset)
    dataset.item_transform = lambda batch: 255 - batch  # a transform the batch path lacks
    assert not reads_batches(dataset)
    images, _ = read(dataset)
    assert torch.equal(images, per_item(dataset)[0])
