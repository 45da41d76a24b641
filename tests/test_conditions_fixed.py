import numpy as np
import pytest
import torch

from facegan.conditions import fixed_conditions
from facegan.conditions import label_grid_columns as grid_columns
from facegan.data.base import ImageTensorDataset
from facegan.errors import FaceganError
from facegan.methods.gan.sampler import gan_model
from facegan.sampling import generate_images
from tests.conftest import (
    CLASS_INFO,
    EMBEDDING_INFO,
    MULTILABEL_INFO,
    random_labels,
    tiny_models,
)


def test_fixed_classes_cycle_so_each_grid_column_is_one_class():
    labels = fixed_conditions(CLASS_INFO, 10, seed=0)
    assert labels.tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert grid_columns(CLASS_INFO, 10) == 4
    assert grid_columns(CLASS_INFO, 3) is None  # fewer samples than classes: default grid
    assert grid_columns(MULTILABEL_INFO, 16) is None


def test_fixed_attributes_come_from_the_data_and_the_seed():
    attributes = random_labels(MULTILABEL_INFO, 20, seed=3)
    dataset = ImageTensorDataset(torch.zeros(20, 3, 16, 16, dtype=torch.uint8), attributes,
                                 MULTILABEL_INFO)
    a = fixed_conditions(MULTILABEL_INFO, 8, 0, dataset)
    assert a.shape == (8, 3) and torch.equal(a, fixed_conditions(MULTILABEL_INFO, 8, 0, dataset))
    rows = {tuple(r) for r in attributes.tolist()}
    assert all(tuple(r) in rows for r in a.tolist())
    assert not torch.equal(a, fixed_conditions(MULTILABEL_INFO, 8, 1, dataset))
    assert set(fixed_conditions(MULTILABEL_INFO, 8, 0).unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(FaceganError, match="--mode embedding --embedding FILE"):
        fixed_conditions(EMBEDDING_INFO, 4, 0)


def test_generation_conditions_fit_the_generator():
    plain = gan_model(tiny_models("dcgan", CLASS_INFO).generator, CLASS_INFO)
    with pytest.raises(FaceganError, match="unconditional"):
        generate_images(plain, 2, 0, torch.device("cpu"), labels=torch.tensor([0, 1]))

    conditional = gan_model(tiny_models("resnet", EMBEDDING_INFO, g_condition="embedding",
                                        d_condition="projection").generator, EMBEDDING_INFO)
    rows = torch.from_numpy(np.random.default_rng(0).normal(size=(2, 6)).astype(np.float32))
    e = rows.repeat(3, 1)[:5]  # (5, 6): the two embeddings, cycled
    images = generate_images(conditional, 5, 0, torch.device("cpu"), batch_size=2, labels=e)
    assert images.shape == (5, 3, 16, 16)
    # The same seed and embeddings give the same images for any batch size.
    again = generate_images(conditional, 5, 0, torch.device("cpu"), batch_size=5, labels=e)
    assert torch.allclose(images, again, atol=1e-4)
    with pytest.raises(FaceganError, match="conditional: pass labels"):
        generate_images(conditional, 5, 0, torch.device("cpu"))
