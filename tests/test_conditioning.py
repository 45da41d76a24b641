import numpy as np
import pytest
import torch

from facegan.conditioning import fixed_conditions, grid_columns, load_embeddings, parse_labels
from facegan.data.base import ImageTensorDataset
from facegan.errors import FaceganError
from facegan.sampling import conditions_for, generate_images
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
    with pytest.raises(FaceganError, match="--embeddings"):
        fixed_conditions(EMBEDDING_INFO, 4, 0)


def test_label_options_parse_names_and_indices():
    assert parse_labels(CLASS_INFO, ["two"], 3).tolist() == [2, 2, 2]
    assert parse_labels(CLASS_INFO, ["1", "three"], 5).tolist() == [1, 3, 1, 3, 1]
    with pytest.raises(FaceganError, match="valid: zero, one, two, three"):
        parse_labels(CLASS_INFO, ["4"], 2)
    attributes = parse_labels(MULTILABEL_INFO, ["Smiling", "Eyeglasses"], 2)
    assert attributes.tolist() == [[1.0, 0.0, 1.0]] * 2
    with pytest.raises(FaceganError, match="not an attribute .* valid: Smiling, Male"):
        parse_labels(MULTILABEL_INFO, ["Bald"], 2)
    with pytest.raises(FaceganError, match="--label does not apply"):
        parse_labels(EMBEDDING_INFO, ["x"], 2)


def test_embeddings_file_is_checked_and_cycled(tmp_path):
    np.save(tmp_path / "ok.npy", np.arange(12, dtype=np.float64).reshape(2, 6))
    rows = load_embeddings(tmp_path / "ok.npy", EMBEDDING_INFO, 3)
    assert rows.dtype == torch.float32 and rows[2].tolist() == rows[0].tolist()
    np.save(tmp_path / "bad.npy", np.zeros((2, 5)))
    with pytest.raises(FaceganError, match=r"needs \(M, 6\) face embeddings"):
        load_embeddings(tmp_path / "bad.npy", EMBEDDING_INFO, 3)


def test_generation_conditions_fit_the_generator(tmp_path):
    plain, _ = tiny_models("dcgan", CLASS_INFO)
    assert conditions_for(plain, CLASS_INFO, 4, 0) is None
    with pytest.raises(FaceganError, match="unconditional: it takes no labels"):
        conditions_for(plain, CLASS_INFO, 4, 0, ["one"])
    with pytest.raises(FaceganError, match="unconditional"):
        generate_images(plain, 2, 0, torch.device("cpu"), labels=torch.tensor([0, 1]))

    conditional, _ = tiny_models("resnet", EMBEDDING_INFO, g_condition="embedding",
                                 d_condition="projection")
    np.save(tmp_path / "e.npy", np.random.default_rng(0).normal(size=(2, 6)))
    e = conditions_for(conditional, EMBEDDING_INFO, 5, 0, embeddings=tmp_path / "e.npy")
    images = generate_images(conditional, 5, 0, torch.device("cpu"), batch_size=2, labels=e)
    assert images.shape == (5, 3, 16, 16)
    # The same seed and embeddings give the same images for any batch size.
    again = generate_images(conditional, 5, 0, torch.device("cpu"), batch_size=5, labels=e)
    assert torch.allclose(images, again, atol=1e-4)
    with pytest.raises(FaceganError, match="--embeddings needs an embedding-conditioned"):
        conditions_for(tiny_models("dcgan", CLASS_INFO, g_condition="onehot",
                                   d_condition="aux")[0], CLASS_INFO, 2, 0,
                       embeddings=tmp_path / "e.npy")
