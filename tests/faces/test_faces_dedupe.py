import numpy as np
import pytest
from PIL import Image, ImageFilter

from facegan.faces import dedupe
from facegan.faces.dedupe import (
    embedding_distances,
    greedy_dedupe,
    hash_distances,
    hashes_to_array,
    perceptual_hash,
    sharpness,
)


def test_sharpness_ranks_a_blurred_copy_lower(astronaut):
    crop = astronaut.image[40:200, 140:300]
    blurred = np.asarray(Image.fromarray(crop).filter(ImageFilter.GaussianBlur(2)))
    assert sharpness(crop) > 3 * sharpness(blurred)
    assert sharpness(np.full((32, 32, 3), 77, np.uint8)) == 0.0


def test_sharpness_of_a_single_bright_pixel():
    image = np.zeros((5, 5, 3), np.uint8)
    image[2, 2] = 1  # luma 1: Laplacian -4 at the centre, +1 at its 4 neighbours
    values = np.array([-4.0, 1, 1, 1, 1, 0, 0, 0, 0])  # the 3 x 3 interior
    assert sharpness(image) == pytest.approx(values.var())


def test_hash_distance_is_the_fraction_of_differing_bits():
    hashes = hashes_to_array(["0000000000000000", "000000000000000f", "ffffffffffffffff"])
    distances = hash_distances(hashes, hashes)
    expected = [[0, 4 / 64, 1], [4 / 64, 0, 60 / 64], [1, 60 / 64, 0]]
    assert np.array_equal(distances, np.array(expected, dtype=np.float32))


def test_embedding_distance_is_euclidean():
    assert embedding_distances(
        np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]])
    ).tolist() == [[5.0, 1.0]]


def test_perceptual_hash_ignores_resampling_but_not_content(astronaut, hopper):
    face = astronaut.image[40:220, 130:310]
    resized = np.asarray(Image.fromarray(face).resize((128, 128), Image.Resampling.LANCZOS))
    other = hopper.image[100:400, 120:420]
    a, b, c = hashes_to_array([perceptual_hash(x) for x in (face, resized, other)])
    near, far = hash_distances(np.array([a]), np.array([b, c]))[0]
    assert near <= 2 / 64
    assert far > 0.3


def _one_d(values):
    return np.array(values, dtype=np.float64)[:, None]


def test_greedy_dedupe_keeps_the_sharpest_of_each_group():
    features = _one_d([0.0, 0.1, 5.0, 5.05, 10.0])
    keep, duplicate_of, distance = greedy_dedupe(
        features, embedding_distances, 0.2, sharpness=np.array([1.0, 9.0, 3.0, 2.0, 1.0])
    )
    assert keep.tolist() == [False, True, True, False, True]
    assert duplicate_of.tolist() == [1, -1, -1, 2, -1]
    assert distance[[0, 3]] == pytest.approx([0.1, 0.05], abs=1e-4)  # float32
    assert np.isnan(distance[[1, 2, 4]]).all()


def test_greedy_dedupe_does_not_chain_distinct_faces():
    # Components of the "closer than 0.2" graph would merge all three; 0 and 0.3 differ.
    keep, duplicate_of, _ = greedy_dedupe(
        _one_d([0.0, 0.15, 0.3]), embedding_distances, 0.2, sharpness=np.array([3.0, 2.0, 1.0])
    )
    assert keep.tolist() == [True, False, True]
    assert duplicate_of.tolist() == [-1, 0, -1]


def test_greedy_dedupe_blocks_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(1)
    features = rng.normal(size=(60, 3))
    features[30:] = features[:30] + rng.normal(scale=0.01, size=(30, 3))  # 30 near-copies
    sharp = rng.uniform(size=60)
    whole = greedy_dedupe(features, embedding_distances, 0.1, sharp)
    monkeypatch.setattr(dedupe, "_BLOCK", 7)
    monkeypatch.setattr(dedupe, "_REF_CHUNK", 5)
    blocked = greedy_dedupe(features, embedding_distances, 0.1, sharp)
    assert whole[0].sum() == 30
    assert np.array_equal(whole[0], blocked[0]) and np.array_equal(whole[1], blocked[1])
