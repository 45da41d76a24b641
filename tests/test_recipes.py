"""The shipped recipes: the offline ones load and validate, the others name what they need."""

from pathlib import Path

import pytest
import yaml

from facegan.config import load_config, validate_section
from facegan.registry import MODELS, OBJECTIVES

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

RECIPES = {
    "mnist_wgan_gp.yaml": ("mnist", "dcgan", "wgan_gp"),
    "mnist_acgan.yaml": ("mnist", "dcgan", "acgan"),
    "celeba64_resnet_wgan_gp.yaml": ("celeba", "resnet", "wgan_gp"),
    "celeba128_dcgan.yaml": ("celeba", "dcgan", "dcgan"),
    "anime_acgan.yaml": ("image_folder", "dcgan", "acgan"),
    "anime_wacgan.yaml": ("image_folder", "resnet", "wacgan"),
    "faces128_embedding.yaml": ("embedding_folder", "resnet", "embedding"),
    "synthfaces_acgan.yaml": ("synthfaces", "dcgan", "acgan"),
}


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_names_its_components(recipe):
    raw = yaml.safe_load((CONFIGS / recipe).read_text())
    assert (raw["data"]["name"], raw["model"]["name"], raw["objective"]["name"]) == \
        RECIPES[recipe]
    assert raw["model"]["name"] in MODELS and raw["objective"]["name"] in OBJECTIVES


def test_mnist_acgan_recipe_validates():
    cfg = load_config(CONFIGS / "mnist_acgan.yaml")
    assert (cfg.model.g_condition, cfg.model.d_condition) == ("embedding", "aux")
    assert cfg.objective.d_aux_weight == cfg.objective.g_aux_weight == 1.0


def test_every_recipe_model_and_objective_section_validates():
    # The data sections need the dataset handlers; the model and objective sections must
    # already be valid for their registered components.
    for recipe in RECIPES:
        raw = yaml.safe_load((CONFIGS / recipe).read_text())
        validate_section(MODELS.get(raw["model"]["name"]).config_class, raw["model"], "model")
        validate_section(OBJECTIVES.get(raw["objective"]["name"]).config_class,
                         raw["objective"], "objective")
