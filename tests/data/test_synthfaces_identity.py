"""SynthFaces identity vectors: the labels of ``synthfaces`` with ``identity_embedding``."""

import dataclasses

import numpy as np
import pytest
import torch

from facegan.data.base import build_dataset
from facegan.data.configs import SynthFacesConfig
from facegan.data.synthfaces_identity import (
    IDENTITY_FEATURES,
    identity_vectors,
    raw_identity_vector,
    reference_statistics,
)
from facegan.data.synthfaces_params import sample_identity
from facegan.errors import FaceganError


def identity_dataset(tmp_path, n: int, **fields):
    cfg = SynthFacesConfig(n=n, image_size=16, seed=5, images_per_identity=3,
                           identity_embedding=True, cache_dir=str(tmp_path / "cache"))
    return build_dataset(dataclasses.replace(cfg, **fields))


def test_labels_are_the_same_across_runs_and_whatever_the_image_count(tmp_path):
    small = identity_dataset(tmp_path, 12)
    again = identity_dataset(tmp_path, 12, cache=False)  # drawn afresh, not from the cache
    large = identity_dataset(tmp_path, 30)
    assert small.info.label_kind == "embedding"
    assert small.info.embedding_dim == len(IDENTITY_FEATURES) == small.labels.shape[1]
    assert torch.equal(small.labels, again.labels)
    assert torch.equal(small.labels, large.labels[:12])
    assert small.identities.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    # the photos of one person share one vector; different people differ
    assert torch.equal(small.labels[0], small.labels[2])
    assert not torch.equal(small.labels[2], small.labels[3])
    assert torch.equal(small[4][1], small.labels[4])
    # images are those of the same recipe without identity labels (one cache entry)
    plain = identity_dataset(tmp_path, 12, identity_embedding=False)
    assert np.array_equal(plain.images, small.images) and plain.labels is None


def test_a_vector_holds_the_persons_parameters_one_hot_and_standardised():
    person = sample_identity(7, 3)
    raw = raw_identity_vector(person)
    entry = dict(zip(IDENTITY_FEATURES, raw, strict=True))
    assert entry["face_width"] == person.face_width and entry["male"] == float(person.male)
    assert entry[f"hair_color={person.hair_color}"] == 1.0
    assert sum(v for k, v in entry.items() if k.startswith("hair_color=")) == 1.0
    assert sum(v for k, v in entry.items() if k.startswith("beard=")) == 1.0
    assert entry["wears_glasses"] == float(person.glasses_propensity > 0.5)
    mean, std = reference_statistics()
    (vector,) = identity_vectors(7, np.array([3]))
    np.testing.assert_allclose(vector, (raw - mean) / std, rtol=1e-5, atol=1e-5)


def test_unrelated_people_are_near_orthogonal_and_a_person_is_themself():
    vectors = torch.from_numpy(identity_vectors(0, np.arange(600)))
    unit = torch.nn.functional.normalize(vectors, dim=1)
    cosines = unit @ unit.T
    unrelated = cosines[~torch.eye(600, dtype=torch.bool)]
    assert abs(float(unrelated.mean())) < 0.02  # standardised: no shared offset
    assert float(unrelated.std()) < 0.3
    assert torch.allclose(cosines.diagonal(), torch.ones(600))


def test_identity_embedding_refuses_attributes_and_two_ways_of_sharing_people(tmp_path):
    with pytest.raises(FaceganError, match="drop data.attributes or set "
                                           "data.identity_embedding=false"):
        identity_dataset(tmp_path, 6, attributes=("Smiling",))
    with pytest.raises(FaceganError, match="data.num_identities or data.images_per_identity, "
                                           "not both"):
        identity_dataset(tmp_path, 6, num_identities=2)
