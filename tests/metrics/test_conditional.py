"""Conditional accuracy and identity similarity on generators built to be perfect or random."""

import dataclasses

import pytest
import torch
from torch import nn

from facegan.data.base import DataInfo, ImageTensorDataset
from facegan.errors import FaceganError
from facegan.methods.gan.sampler import gan_model
from facegan.metrics.classifier import ClassifierSpec
from facegan.metrics.evaluate import EvalSettings, GeneratorEvaluator

SIZE = 8  # 8x8 images: column j carries label j


def dataset(kind: str, n: int = 64) -> ImageTensorDataset:
    rng = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 1, SIZE, SIZE), dtype=torch.uint8, generator=rng)
    if kind == "class":
        labels = torch.randint(0, SIZE, (n,), generator=rng)
    else:
        labels = torch.randint(0, 2, (n, SIZE), generator=rng).float()
    names = tuple(f"label{j}" for j in range(SIZE))
    return ImageTensorDataset(images, labels, DataInfo("Columns", SIZE, 1, names, kind))


class ColumnClassifier(nn.Module):
    """Reads label j from the mean of column j: +1 means present / the chosen class."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.spec = ClassifierSpec(1, SIZE, tuple(f"label{j}" for j in range(SIZE)), kind)

    def features_and_logits(self, images):
        logits = images.mean(dim=2)[:, 0, :]  # (N, 8)
        return logits, logits

    def forward(self, images):  # as a feature extractor: the column means
        return self.features_and_logits(images)[0]

    def describe(self):
        return {"features": "columns", "weights_sha256": "none"}


class LabelGenerator(nn.Module):
    """Draws the requested label (perfect) or a label taken from the noise (random)."""

    latent_dim = SIZE

    def __init__(self, perfect: bool) -> None:
        super().__init__()
        self.perfect = perfect

    def forward(self, z, c=None):
        if c.dim() == 1:  # class index -> one column lit
            index = c if self.perfect else z.argmax(1)
            columns = nn.functional.one_hot(index, SIZE).float()
        else:  # multi-hot -> one column per attribute
            columns = c if self.perfect else (z > 0).float()
        images = (columns * 2 - 1)[:, None, None, :]  # (N, 1, 1, 8) in {-1, 1}
        return images.expand(-1, 1, SIZE, SIZE)


def as_model(generator: nn.Module, kind: str = "class"):
    """``generator`` as a saved GAN of data of ``kind`` (the evaluated images are ``dataset``'s;
    an ``embedding`` model is conditioned on EMBEDDING_DIM-d vectors)."""
    info = dataset("multilabel" if kind == "multilabel" else "class").info
    if kind == "embedding":
        info = dataclasses.replace(info, label_names=(), label_kind="embedding",
                                   embedding_dim=EMBEDDING_DIM)
    return gan_model(generator, info)


def accuracy(kind: str, perfect: bool) -> tuple[float, dict]:
    result = GeneratorEvaluator(dataset(kind), EvalSettings(metrics=("acc",), num_samples=400,
                                                           progress=False),
                                classifier=ColumnClassifier(kind)).evaluate(
        as_model(LabelGenerator(perfect), kind))
    (record,) = result.records
    assert record["metric"] == "accuracy" and record["num_generated"] == 400
    assert record["condition"] == "labels" and record["features"] == "columns"
    return record["value"], record["per_label"]


def test_conditional_accuracy_for_classes():
    value, per_label = accuracy("class", perfect=True)
    assert value == 1.0 and set(per_label) == {f"label{j}" for j in range(SIZE)}
    assert all(v == 1.0 for v in per_label.values())
    value, _ = accuracy("class", perfect=False)
    assert value == pytest.approx(1 / SIZE, abs=0.06)  # chance


def test_conditional_accuracy_per_attribute():
    value, per_label = accuracy("multilabel", perfect=True)
    assert value == 1.0 and len(per_label) == SIZE
    value, per_label = accuracy("multilabel", perfect=False)
    assert value == pytest.approx(0.5, abs=0.06)
    assert all(0.35 < v < 0.65 for v in per_label.values())


EMBEDDING_DIM = 16


def embed(images):
    """A stand-in face embedder: the first 16 pixels."""
    return images.flatten(1)[:, :EMBEDDING_DIM]


class EmbeddingGenerator(nn.Module):
    """Writes the conditioning embedding into the pixels the embedder reads (perfect), or noise
    that ignores it (random)."""

    latent_dim = SIZE * SIZE
    embedding_dim = EMBEDDING_DIM  # declares embedding conditioning

    def __init__(self, perfect: bool) -> None:
        super().__init__()
        self.perfect = perfect

    def forward(self, z, c=None):
        pixels = torch.tanh(z).clone()
        if self.perfect:
            pixels[:, :EMBEDDING_DIM] = c
        return pixels.view(-1, 1, SIZE, SIZE)


def identity(perfect: bool) -> dict:
    result = GeneratorEvaluator(dataset("class"), EvalSettings(metrics=("id",), num_samples=64,
                                                              progress=False),
                                embedder=embed).evaluate(
                                    as_model(EmbeddingGenerator(perfect), "embedding"))
    record, score, verification = result.records
    assert record["condition"] == "embedding" and record["num_real"] == 64
    assert (score["metric"], verification["metric"]) == ("identity_score",
                                                         "identity_verification")
    # the requests are the embedder's reading of the real photos: those read back perfectly
    assert record["ceiling"] == pytest.approx(1.0) and abs(record["floor"]) < 0.15
    assert verification["real_verification"] == 1.0
    return {**record, "score": score["value"], "verification": verification["value"]}


def test_identity_similarity_perfect_vs_random_generator():
    perfect = identity(perfect=True)
    assert perfect["value"] == pytest.approx(1.0)
    assert abs(perfect["baseline"]) < 0.15  # unrelated random faces: near orthogonal
    assert perfect["gap"] == pytest.approx(perfect["value"] - perfect["baseline"])
    assert perfect["score"] == pytest.approx(1.0) and perfect["verification"] == 1.0
    random = identity(perfect=False)
    assert abs(random["value"]) < 0.15 and abs(random["value"] - random["baseline"]) < 0.15
    assert abs(random["score"]) < 0.2 and random["verification"] == pytest.approx(0.5, abs=0.15)


def test_scores_refuse_generators_of_the_wrong_kind():
    with pytest.raises(FaceganError, match="acc scores label-conditioned generators, but this "
                                           "generator is conditioned on 'embedding'"):
        GeneratorEvaluator(dataset("class"), EvalSettings(metrics=("acc",), progress=False),
                           classifier=ColumnClassifier("class"),
                           embedder=embed).evaluate(
                               as_model(EmbeddingGenerator(True), "embedding"))
    with pytest.raises(FaceganError, match="id needs an embedder that reads identities"):
        GeneratorEvaluator(dataset("class"), EvalSettings(metrics=("id",), progress=False))


class UnconditionalGenerator(nn.Module):
    """A generator trained on labelled data without using the labels (the MNIST WGAN-GP)."""

    latent_dim = SIZE
    conditional = False

    def forward(self, z, c=None):
        assert c is None, "an unconditional generator was given conditions"
        return torch.tanh(z)[:, None, None, :].expand(-1, 1, SIZE, SIZE)


def test_an_unconditional_generator_on_labelled_data_is_evaluated_without_conditions():
    settings = EvalSettings(metrics=("fid",), num_samples=64, progress=False)
    evaluator = GeneratorEvaluator(dataset("class"), settings, extractor=ColumnClassifier("class"))
    assert evaluator.condition_kind(as_model(UnconditionalGenerator())) == "none"
    assert evaluator.condition_kind(as_model(LabelGenerator(perfect=True))) == "labels"
    (record,) = evaluator.evaluate(as_model(UnconditionalGenerator())).records
    assert record["condition"] == "none" and record["metric"] == "fid"
    with pytest.raises(FaceganError, match="acc scores label-conditioned generators, but this "
                                           "generator is conditioned on 'none'"):
        GeneratorEvaluator(dataset("class"), EvalSettings(metrics=("acc",), progress=False),
                           classifier=ColumnClassifier("class")).evaluate(
            as_model(UnconditionalGenerator()))
    with pytest.raises(FaceganError, match="--condition labels: this generator takes no "
                                           "condition"):
        GeneratorEvaluator(dataset("class"), EvalSettings(metrics=("fid",), progress=False,
                                                          condition="labels"),
                           extractor=ColumnClassifier("class")).evaluate(
            as_model(UnconditionalGenerator()))
