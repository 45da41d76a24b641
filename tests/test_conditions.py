import numpy as np
import pytest
import torch

from facegan.conditions import ConditionError, ConditionSpec, load_embeddings
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.methods.gan.sampler import gan_model

ATTRIBUTES = {"label_kind": "multilabel", "label_names": ["smiling", "bangs", "hat"]}


def test_kind_comes_from_the_saved_data_description():
    assert ConditionSpec.from_data({"label_kind": "none"}).kind == "none"
    assert ConditionSpec.from_data({"label_kind": "class", "label_names": ["a"]}).kind == "class"
    assert ConditionSpec.from_data(ATTRIBUTES).width == 3
    assert ConditionSpec.from_data({"embedding_dim": 128}).kind == "embedding"
    saved_by_an_embedding_dataset = {"label_kind": "embedding", "embedding_dim": 128}
    assert ConditionSpec.from_data(saved_by_an_embedding_dataset).width == 128
    with pytest.raises(FaceganError, match="both labels and an embedding"):
        ConditionSpec.from_data({**ATTRIBUTES, "embedding_dim": 128})


def test_condition_tensors_follow_the_model_convention():
    rng = torch.Generator().manual_seed(0)
    classes = ConditionSpec.from_data({"label_kind": "class", "label_names": ["a", "b", "c"]})
    assert classes.build(2, ["c"], None, rng).tolist() == [2, 2]
    assert classes.build(2, ["c"], None, rng).dtype == torch.int64
    attributes = ConditionSpec.from_data(ATTRIBUTES).build(2, ["hat", "smiling"], None, rng)
    assert attributes.tolist() == [[1.0, 0.0, 1.0]] * 2
    embedding = ConditionSpec.from_data({"embedding_dim": 2}).build(3, None, [0.5, -1], rng)
    assert embedding.shape == (3, 2) and embedding[2].tolist() == [0.5, -1.0]
    assert ConditionSpec.from_data({}).build(3, None, None, rng) is None


def test_random_classes_come_from_the_seeded_generator():
    spec = ConditionSpec.from_data({"label_kind": "class", "label_names": list("abcdefgh")})
    first = spec.build(16, None, None, torch.Generator().manual_seed(3))
    assert first.tolist() == spec.build(16, None, None, torch.Generator().manual_seed(3)).tolist()
    assert len(set(first.tolist())) > 1


@pytest.mark.parametrize(("data", "labels", "embedding", "field"), [
    ({}, ["a"], None, "labels"),
    ({}, None, [1.0], "embedding"),
    ({"embedding_dim": 2}, None, [float("nan"), 0.0], "embedding"),
    (ATTRIBUTES, ["wings"], None, "labels"),
])
def test_conditions_that_do_not_fit_name_the_field(data, labels, embedding, field):
    with pytest.raises(ConditionError) as error:
        ConditionSpec.from_data(data).build(1, labels, embedding, torch.Generator())
    assert error.value.field == field


def test_a_generator_built_without_conditioning_takes_no_condition_whatever_its_data():
    labelled = DataInfo("X", 8, 1, ("0", "1"), "class")

    class Unconditional(torch.nn.Module):
        conditional = False
        latent_dim = 2

    class Conditional(torch.nn.Module):
        conditional = True
        latent_dim = 2

    assert gan_model(Unconditional(), labelled).condition.kind == "none"
    assert gan_model(Conditional(), labelled).condition.kind == "class"
    unsaid = torch.nn.Identity()
    unsaid.latent_dim = 2
    assert gan_model(unsaid, labelled).condition.kind == "class"
    assert not gan_model(Conditional(), DataInfo("X", 8, 1)).conditional  # no labels to take


UNREADABLE = r"embedding file .* cannot be read \(.*\); write it again"


@pytest.mark.parametrize("name, content, message", [
    ("e.npy", b"\x93NUMPY garbage", UNREADABLE),  # a damaged header
    ("e.npy", b"PK\x03\x04 a zip", r"cannot be read \(no NumPy header"),
    ("e.pt", b"not a zip archive", r"embedding file .* is not a tensor facegan can load safely "
                                   r"\(a damaged file.*save the embeddings with torch.save"),
    ("e.npy", None, UNREADABLE),  # an array of strings
])
def test_a_damaged_embedding_file_is_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        np.save(path, np.array(["a", "b"]))
    else:
        path.write_bytes(content)
    with pytest.raises(FaceganError, match=message) as caught:
        load_embeddings(path)
    assert "\n" not in str(caught.value)


TAGGED = {"label_kind": "multilabel",
          "label_names": ["smiling", "hair_color=black", "hair_color=blond", "eyes=blue"]}


def test_one_hot_tag_groups_take_one_value_from_the_api_and_from_generate_label():
    spec = ConditionSpec.from_data(TAGGED)
    assert spec.one_hot_groups() == {"hair_color": ("hair_color=black", "hair_color=blond"),
                                     "eyes": ("eyes=blue",)}
    rng = torch.Generator().manual_seed(0)
    c = spec.build(2, ["smiling", "hair_color=blond", "eyes=blue"], None, rng)
    assert c.tolist() == [[1.0, 0.0, 1.0, 1.0]] * 2
    with pytest.raises(ConditionError, match="'hair_color=black' and 'hair_color=blond' are "
                                             "both values of the one-hot group 'hair_color'"):
        spec.build(1, ["hair_color=black", "smiling", "hair_color=blond"], None, rng)
    with pytest.raises(FaceganError, match="--label: 'hair_color=black' and 'hair_color=blond'"):
        spec.for_names(1, 0, ["hair_color=black", "hair_color=blond"])
    assert spec.for_names(1, 0, ["hair_color=black"]).tolist() == [[0.0, 1.0, 0.0, 0.0]]
