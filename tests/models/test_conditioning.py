import pytest
import torch

from facegan.errors import FaceganError
from facegan.models.base import DiscriminatorOutput
from tests.conftest import (
    CLASS_INFO,
    EMBEDDING_INFO,
    MULTILABEL_INFO,
    UNLABELLED_INFO,
    random_labels,
    tiny_models,
)

INFOS = {"class": CLASS_INFO, "multilabel": MULTILABEL_INFO, "embedding": EMBEDDING_INFO}


def two_different_labels(info, n):
    if info.label_kind == "class":
        return torch.zeros(n, dtype=torch.long), torch.full((n,), 2)
    a = random_labels(info, n, seed=1)
    return a, (1 - a if info.label_kind == "multilabel" else -a)


@pytest.mark.parametrize("model", ["dcgan", "resnet"])
@pytest.mark.parametrize("kind", ["class", "multilabel", "embedding"])
@pytest.mark.parametrize("g_condition", ["embedding", "onehot"])
def test_generator_output_changes_with_the_label(model, kind, g_condition):
    info = INFOS[kind]
    G, _ = tiny_models(model, info, g_condition=g_condition, d_condition="projection")
    G.eval()
    assert G.conditional
    z = torch.randn(3, 8)
    a, b = two_different_labels(info, 3)
    with torch.no_grad():
        image_a, image_b, again = G(z, a), G(z, b), G(z, a)
    assert image_a.shape == (3, info.channels, 16, 16)
    assert image_a.min() >= -1 and image_a.max() <= 1
    assert torch.equal(image_a, again)
    # Every image changes, by more than rounding (DCGAN's untrained outputs are tiny in eval).
    change = (image_a - image_b).flatten(1).norm(dim=1) / image_a.flatten(1).norm(dim=1)
    assert change.min() > 1e-3


@pytest.mark.parametrize("model", ["dcgan", "resnet"])
@pytest.mark.parametrize("kind", ["class", "multilabel", "embedding"])
def test_projection_discriminator_depends_on_the_label(model, kind):
    info = INFOS[kind]
    _, D = tiny_models(model, info, g_condition="onehot", d_condition="projection")
    x = torch.rand(4, info.channels, 16, 16) * 2 - 1
    a, b = two_different_labels(info, 4)
    scores_a, scores_b = D(x, a), D(x, b)
    assert scores_a.shape == (4,)
    assert not torch.allclose(scores_a, scores_b)
    with pytest.raises(ValueError, match="needs the condition"):
        D(x)


@pytest.mark.parametrize("model", ["dcgan", "resnet"])
@pytest.mark.parametrize("kind", ["class", "multilabel"])
def test_auxiliary_head_returns_score_and_label_logits(model, kind):
    info = INFOS[kind]
    _, D = tiny_models(model, info, g_condition="embedding", d_condition="aux")
    out = D(torch.zeros(5, info.channels, 16, 16))
    assert isinstance(out, DiscriminatorOutput)
    assert out.logits.shape == (5,) and out.aux_logits.shape == (5, info.num_labels)


def test_unconditional_models_ignore_labels_and_return_plain_scores():
    G, D = tiny_models("dcgan", CLASS_INFO)
    assert not G.conditional
    out = D(torch.zeros(2, 1, 16, 16), torch.tensor([0, 1]))
    assert isinstance(out, torch.Tensor) and out.shape == (2,)


def test_face_embeddings_count_by_direction_only():
    G, _ = tiny_models("resnet", EMBEDDING_INFO, g_condition="embedding",
                       d_condition="projection")
    G.eval()
    z, e = torch.randn(2, 8), random_labels(EMBEDDING_INFO, 2)
    with torch.no_grad():
        assert torch.allclose(G(z, e), G(z, 3 * e), atol=1e-4)


def test_conditioning_mistakes_are_clear_errors():
    with pytest.raises(FaceganError, match="need labelled data, but dataset 'X' has no labels"):
        tiny_models("dcgan", UNLABELLED_INFO, g_condition="embedding", d_condition="aux")
    with pytest.raises(FaceganError, match="needs labels on both sides"):
        tiny_models("resnet", CLASS_INFO, g_condition="onehot")
    with pytest.raises(FaceganError, match="face embeddings are not classes"):
        tiny_models("dcgan", EMBEDDING_INFO, g_condition="onehot", d_condition="aux")
