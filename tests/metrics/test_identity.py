"""Identity scores, and the SynthFaces identity extractor as the judge of embedding generators."""

import dataclasses
from pathlib import Path

import pytest
import torch
from torch import nn

from facegan.config import load_config
from facegan.data.base import build_dataset
from facegan.errors import FaceganError
from facegan.methods.gan.sampler import gan_model
from facegan.metrics.classifier_training import train_classifier
from facegan.metrics.conditional import best_threshold, identity_scores
from facegan.metrics.evaluate import EvalSettings, GeneratorEvaluator, format_table
from facegan.metrics.extractors import FeaturesConfig, build_feature_extractor

RECIPE = Path(__file__).parents[2] / "configs" / "synthfaces_embedding.yaml"


def test_identity_scores_by_hand():
    requested = torch.eye(4)  # four people, orthogonal
    scores = identity_scores(requested, requested, requested)
    assert (scores.similarity, scores.ceiling, scores.floor, scores.score) == (1, 1, 0, 1)
    assert scores.real_verification == scores.verification == 1.0
    # real photos read back at cos 0.8 (a second axis mixed in); generated faces are strangers
    real = requested + 0.75 * requested.roll(2, dims=1)
    strangers = requested.roll(1, dims=0)  # face i shows person i + 1
    scores = identity_scores(requested, real, strangers)
    assert scores.ceiling == pytest.approx(0.8)
    # unrelated real pairs: 1 of the 3 other requests meets the mixed-in axis (cos 0.6)
    assert scores.floor == pytest.approx(0.6 / 3)
    assert scores.similarity == 0.0
    assert scores.score == pytest.approx((0 - 0.2) / (0.8 - 0.2))
    assert scores.baseline == pytest.approx(1 / 3)  # face i against request i+1 is a match


def test_best_threshold_maximises_balanced_accuracy():
    same, unrelated = torch.tensor([0.9, 0.8, 0.7, 0.6]), torch.tensor([0.1, 0.65])
    threshold, accuracy = best_threshold(same, unrelated)
    assert threshold == pytest.approx(0.7) and accuracy == pytest.approx((3 / 4 + 1) / 2)


def test_identity_scores_need_two_people_and_matching_sizes():
    with pytest.raises(FaceganError, match="raise --num-samples"):
        identity_scores(torch.ones(1, 3), torch.ones(1, 3), torch.ones(1, 3))
    with pytest.raises(FaceganError, match="requests for at least 2 different people"):
        identity_scores(torch.ones(3, 3), torch.ones(3, 3), torch.ones(3, 3))
    with pytest.raises(FaceganError, match="3-d but the extractor reads"):
        identity_scores(torch.eye(3), torch.eye(3), torch.ones(3, 5))


@pytest.fixture(scope="module")
def judge(tmp_path_factory):
    """A tiny identity extractor trained on 600 SynthFaces of 150 people, and its config."""
    root = tmp_path_factory.mktemp("identity")
    config = load_config(RECIPE, [f"run.root={root / 'models'}", "data.n=600",
                                  f"data.cache_dir={root / 'cache'}"])
    report = train_classifier(config, epochs=12, width=16, progress=False)
    dataset = build_dataset(config.data)
    extractor = build_feature_extractor(FeaturesConfig(name="synthfaces_identity"),
                                        dataset.info, report.directory.parent)
    return config, dataset, extractor, report


class PhotoGenerator(nn.Module):
    """Returns a real photo: of the requested person (faithful) or of someone picked by the
    noise (ignores the embedding)."""

    latent_dim = 8

    def __init__(self, dataset, faithful: bool) -> None:
        super().__init__()
        self.dataset, self.faithful = dataset, faithful
        self.embedding_dim = dataset.info.embedding_dim  # declares embedding conditioning

    def forward(self, z, c=None):
        if self.faithful:  # another photo of the person when there is one: the last
            same = (c[:, None, :] == self.dataset.labels[None]).all(-1)  # (N, len(dataset))
            rows = same.float().cumsum(1).argmax(1)
        else:
            rows = (z[:, 0].abs() * 1e4).long() % len(self.dataset)
        return torch.stack([self.dataset[int(r)][0] for r in rows])


def evaluate(judge, generator) -> dict:
    config, dataset, extractor, _ = judge
    result = GeneratorEvaluator(dataset, EvalSettings(metrics=("id",), num_samples=200,
                                                      progress=False),
                                embedder=extractor).evaluate(gan_model(generator, dataset.info))
    table = format_table(result)
    assert "identity_score" in table and "strangers" in table
    return {record["metric"]: record for record in result.records}


def test_the_extractor_reads_real_identities_back_and_tells_strangers_apart(judge):
    _, _, extractor, report = judge
    assert report.kind == "identity extractor" and report.validation_accuracy > 0.5
    assert (report.directory / "classifier.safetensors").is_file()
    assert report.directory.name == "synthfaces_identity"
    assert extractor.describe()["extractor_validation_cosine"] == pytest.approx(
        report.validation_accuracy, abs=1e-4)
    records = evaluate(judge, PhotoGenerator(judge[1], faithful=True))
    score = records["identity_score"]
    assert score["ceiling"] > 0.5 and abs(score["floor"]) < 0.1
    assert records["identity_verification"]["real_verification"] > 0.8


def test_score_is_one_for_real_photos_and_zero_for_a_generator_ignoring_the_embedding(judge):
    faithful = evaluate(judge, PhotoGenerator(judge[1], faithful=True))
    assert faithful["identity_score"]["value"] > 0.85  # other photos of the same people
    assert faithful["identity_verification"]["value"] > 0.8
    ignoring = evaluate(judge, PhotoGenerator(judge[1], faithful=False))
    assert abs(ignoring["identity_score"]["value"]) < 0.15
    assert ignoring["identity_verification"]["value"] == pytest.approx(0.5, abs=0.1)
    assert ignoring["identity_similarity"]["value"] == pytest.approx(
        ignoring["identity_similarity"]["baseline"], abs=0.1)


def test_the_extractor_refuses_a_classifier_folder_and_other_embeddings(judge, tmp_path):
    config, dataset, _, report = judge
    with pytest.raises(FaceganError, match="no trained identity extractor in .*"
                                           "synthfaces_embedding.yaml"):
        build_feature_extractor(FeaturesConfig(name="synthfaces_identity"), dataset.info,
                                tmp_path)
    other = dataclasses.replace(dataset.info, embedding_dim=128)
    with pytest.raises(FaceganError, match="reads 39-d identities, the data's are 128-d"):
        build_feature_extractor(FeaturesConfig(name="synthfaces_identity"), other,
                                report.directory.parent)
