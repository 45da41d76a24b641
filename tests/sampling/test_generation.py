"""Generation modes against a hand-built conditional generator whose pixels show its inputs."""

import pytest
import torch
from torch import nn

from facegan.conditions import ConditionSpec
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.methods.gan.sampler import gan_model
from facegan.sampling import generate_images
from facegan.sampling.generation import (
    change_attribute,
    embedding_rows,
    grid,
    interpolate,
    lerp,
    per_label,
    slerp,
)

CPU = torch.device("cpu")
NAMES = ("smile", "glasses", "hat")


class Transparent(nn.Module):
    """``G(z, c)`` -> ``(N, 2, 4, 4)``: channel 0 is ``tanh(z[:, 0])``, channel 1 encodes the
    condition (class index / 10, the sum of a multi-hot vector / 10, or an embedding's mean)."""

    latent_dim = 3

    def forward(self, z, c=None):
        if c is None:
            code = torch.zeros(len(z))
        elif c.dim() == 1:
            code = c.float() / 10
        else:
            code = c.float().sum(1) / 10 if c.shape[1] == len(NAMES) else c.float().mean(1)
        return torch.stack([torch.tanh(z[:, 0]), code], 1)[:, :, None, None].expand(-1, -1, 4, 4)


def noise_of(images):  # (..., 2, 4, 4) -> the z[:, 0] each image was drawn with
    return images[..., 0, 0, 0]


def code_of(images):
    return images[..., 1, 0, 0]


def as_model(generator, cond):
    """``generator`` as a saved GAN whose data have the labels ``cond`` describes."""
    kind = cond.kind if cond.kind != "none" else "none"
    return gan_model(generator, DataInfo("X", 4, 2, cond.label_names, kind, cond.embedding_dim))


CLASSES = ConditionSpec("class", tuple("0123456789"))
ATTRIBUTES = ConditionSpec("multilabel", NAMES)
CLASS_MODEL = as_model(Transparent(), CLASSES)
ATTRIBUTE_MODEL = as_model(Transparent(), ATTRIBUTES)


def test_grid_of_an_unconditional_model_matches_generate_images():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Unflatten(1, (1, 4, 4)))
    model.latent_dim = 3
    expected = generate_images(as_model(model, ConditionSpec("none")), 5, seed=3, device=CPU)
    assert torch.equal(grid(as_model(model, ConditionSpec("none")), 5, 3, CPU), expected)


def test_grid_labels_cycle_the_classes_or_follow_the_named_one():
    assert code_of(grid(CLASS_MODEL, 12, 0, CPU)).mul(10).round().tolist() == \
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert code_of(grid(CLASS_MODEL, 3, 0, CPU, ["7"])).mul(10).round().tolist() == \
        [7, 7, 7]
    with pytest.raises(FaceganError, match="unknown label 'x'; valid labels: 0, 1, 2"):
        grid(CLASS_MODEL, 3, 0, CPU, ["x"])


def test_per_label_gives_one_row_per_label_and_the_same_noise_in_each_column():
    rows = per_label(CLASS_MODEL, 4, seed=1, device=CPU)
    assert rows.images.shape == (10, 4, 2, 4, 4)
    assert rows.row_labels == list("0123456789")
    assert torch.allclose(code_of(rows.images)[:, 0], torch.arange(10) / 10)
    assert torch.equal(noise_of(rows.images), noise_of(rows.images)[:1].expand(10, -1))
    assert len(set(noise_of(rows.images)[0].tolist())) == 4

    chosen = per_label(ATTRIBUTE_MODEL, 2, seed=1, device=CPU, labels=["hat", "smile"])
    assert chosen.row_labels == ["hat", "smile"]
    assert torch.allclose(code_of(chosen.images), torch.full((2, 2), 0.1))  # one attribute on
    with pytest.raises(FaceganError, match="per-label needs a model trained with labels"):
        per_label(as_model(Transparent(), ConditionSpec("none")), 2, 0, CPU)


def test_change_attribute_varies_one_attribute_and_keeps_the_rest():
    rows = change_attribute(ATTRIBUTE_MODEL, 3, 0, CPU, "glasses", base=["hat"],
                            steps=5)
    assert rows.images.shape == (3, 5, 2, 4, 4)
    assert rows.column_labels == ["glasses 0", "glasses 0.25", "glasses 0.5", "glasses 0.75",
                                  "glasses 1"]
    expected = (1 + torch.linspace(0, 1, 5)) / 10  # hat on, glasses from 0 to 1
    assert torch.allclose(code_of(rows.images), expected.expand(3, -1))
    assert torch.equal(noise_of(rows.images), noise_of(rows.images)[:, :1].expand(-1, 5))
    with pytest.raises(FaceganError, match="use --mode per-label to change the class"):
        change_attribute(CLASS_MODEL, 3, 0, CPU, "1")


def test_slerp_keeps_the_norm_and_lerp_cuts_inside():
    a = torch.tensor([[1.0, 0.0]])
    b = torch.tensor([[0.0, 1.0]])
    t = torch.linspace(0, 1, 5)
    path = slerp(a, b, t)[0]
    assert torch.allclose(path[0], a[0]) and torch.allclose(path[-1], b[0])
    assert torch.allclose(path.norm(dim=1), torch.ones(5))
    assert torch.allclose(path[2], torch.tensor([0.5, 0.5]).sqrt())
    assert torch.allclose(lerp(a, b, t)[0, 2], torch.tensor([0.5, 0.5]))
    assert torch.allclose(slerp(a, a, t)[0], a.expand(5, -1))  # parallel: no division by 0


def test_interpolate_goes_from_one_seed_to_the_other_and_keeps_each_rows_label():
    rows = interpolate(CLASS_MODEL, 3, seed=4, device=CPU, steps=6, end_seed=9)
    assert rows.images.shape == (3, 6, 2, 4, 4)
    start = grid(CLASS_MODEL, 3, 4, CPU)
    assert torch.allclose(rows.images[:, 0], start)
    assert torch.allclose(noise_of(rows.images[:, -1]),
                          torch.tanh(torch.randn(3, 3, generator=torch.Generator().manual_seed(
                              9))[:, 0]))
    assert torch.allclose(code_of(rows.images), (torch.arange(3) / 10)[:, None].expand(-1, 6))
    with pytest.raises(FaceganError, match="--end-seed must differ"):
        interpolate(CLASS_MODEL, 3, 4, CPU, end_seed=4)


def test_embedding_rows_give_one_row_per_embedding():
    cond = ConditionSpec("embedding", embedding_dim=4)
    embeddings = torch.tensor([[0.0] * 4, [1.0] * 4])
    rows = embedding_rows(as_model(Transparent(), cond), 5, 0, CPU, embeddings)
    assert rows.images.shape == (2, 5, 2, 4, 4)
    assert torch.equal(code_of(rows.images), torch.tensor([[0.0] * 5, [1.0] * 5]))
    assert torch.equal(noise_of(rows.images)[0], noise_of(rows.images)[1])
    with pytest.raises(FaceganError, match=r"do not fit this generator; it takes \(E, 4\)"):
        embedding_rows(as_model(Transparent(), cond), 5, 0, CPU, torch.zeros(2, 3))
    with pytest.raises(FaceganError, match="use --mode embedding"):
        grid(as_model(Transparent(), cond), 2, 0, CPU)
