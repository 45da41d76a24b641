import pytest
import torch

from facegan.errors import FaceganError
from facegan.metrics.precision_recall import precision_recall


def line(*xs: float) -> torch.Tensor:
    """Points on the x axis of a 2-d feature space."""
    return torch.tensor([[x, 0.0] for x in xs])


def test_radii_are_distances_to_the_kth_other_neighbour():
    real = line(0, 1, 3, 7)  # radii k=1: 1, 1, 2, 4; k=2: 3, 2, 3, 6; k=3: 7, 6, 4, 7
    fake = line(12, 100, 200, 300)  # 12 is 5 from 7: inside its ball from k=2 on
    assert precision_recall(real, fake, k=1)[0] == 0.0
    assert precision_recall(real, fake, k=2)[0] == 0.25
    # k=3: the ball of 7 has radius 7: 12 and 14 (on its edge) are inside, 14.5 is not
    assert precision_recall(real, line(12, 14, 14.5, 300), k=3)[0] == 0.5


def test_precision_and_recall_on_point_clouds_with_known_answers():
    real = line(*range(10))  # k=1: every real ball has radius 1 -> real manifold [-1, 10]
    fake = line(0.5, 5, 20, 30)  # two inside, two far outside
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == 0.5
    # generated radii (k=1): 4.5, 4.5, 10, 10 -> balls cover [-4, 9.5] and reals 0..9
    assert recall == 1.0


def test_a_collapsed_generator_has_high_precision_and_low_recall():
    rng = torch.Generator().manual_seed(0)
    real = torch.randn(500, 4, generator=rng)
    collapsed = 0.05 * torch.randn(500, 4, generator=rng)  # all samples near one real mode
    precision, recall = precision_recall(real, collapsed)
    assert precision > 0.95 and recall < 0.2
    precision_same, recall_same = precision_recall(real, torch.randn(500, 4, generator=rng))
    assert precision_same > 0.6 and recall_same > 0.6


def test_blocks_do_not_change_the_answer(monkeypatch):
    rng = torch.Generator().manual_seed(1)
    real, fake = torch.randn(200, 3, generator=rng), torch.randn(150, 3, generator=rng) + 0.5
    expected = precision_recall(real, fake)
    monkeypatch.setattr("facegan.metrics.precision_recall.BLOCK_ELEMENTS", 1000)
    assert precision_recall(real, fake) == expected


def test_float32_features_give_the_float64_answer():
    # Far from the origin, float32 distances (torch.cdist's matrix-product path) move a real
    # point near a generated ball's edge: recall 0.6275 instead of 0.625 on this cloud.
    rng = torch.Generator().manual_seed(6)
    real = torch.randn(400, 64, generator=rng) * 10 + 100
    fake = torch.randn(400, 64, generator=rng) * 10 + 100.5
    assert precision_recall(real, fake) == precision_recall(real.double(), fake.double())


def test_too_few_points_for_k_is_an_error():
    with pytest.raises(FaceganError, match="needs more than 3 images per set"):
        precision_recall(line(0, 1, 2), line(0, 1, 2, 3, 4))
    with pytest.raises(FaceganError, match="needs more than 3 images per set"):
        precision_recall(line(0, 1, 2, 3, 4), line(0, 1, 2))
