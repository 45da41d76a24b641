"""The shipped recipes: every one in configs/ is listed here, loads and validates."""

from pathlib import Path

import pytest

from facegan.config import load_config
from facegan.training.epochs import planned_epochs

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

RECIPES = {
    "mnist_wgan_gp.yaml": ("mnist", "dcgan", "wgan_gp"),
    "mnist_acgan.yaml": ("mnist", "dcgan", "acgan"),
    "celeba64_dcgan.yaml": ("celeba", "dcgan", "wgan_gp"),
    "celeba64_resnet_wgan_gp.yaml": ("celeba", "resnet", "wgan_gp"),
    "celeba128_dcgan.yaml": ("celeba", "dcgan", "dcgan"),
    "animefaces_dcgan.yaml": ("image_folder", "dcgan", "wgan_gp"),
    "anime_acgan.yaml": ("image_folder", "dcgan", "acgan"),
    "anime_wacgan.yaml": ("image_folder", "resnet", "wacgan"),
    "faces128_embedding.yaml": ("embedding_folder", "resnet", "embedding"),
    "synthfaces_dcgan.yaml": ("synthfaces", "dcgan", "wgan_gp"),
    "synthfaces_acgan.yaml": ("synthfaces", "dcgan", "acgan"),
}


def test_every_shipped_recipe_is_listed():
    assert {path.name for path in CONFIGS.glob("*.yaml")} == set(RECIPES)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_loads_and_validates_every_section(recipe):
    cfg = load_config(CONFIGS / recipe)  # what `facegan train RECIPE --dry-run` checks
    assert (cfg.data.name, cfg.model.name, cfg.objective.name) == RECIPES[recipe]


def test_anime_recipes_share_one_data_folder_and_say_where_to_get_it():
    for recipe in ("animefaces_dcgan.yaml", "anime_acgan.yaml", "anime_wacgan.yaml"):
        cfg = load_config(CONFIGS / recipe)
        assert cfg.data.root == "data/animefaces"
        assert "data/animefaces/images/" in cfg.data.missing_hint


def test_mnist_acgan_recipe_validates():
    cfg = load_config(CONFIGS / "mnist_acgan.yaml")
    assert (cfg.model.g_condition, cfg.model.d_condition) == ("embedding", "aux")
    assert cfg.objective.d_aux_weight == cfg.objective.g_aux_weight == 1.0


@pytest.mark.parametrize(("images_per_epoch", "epochs", "doubled"),
                         [(4992, 321, 642),  # the 5,000-digit offline sample
                          (59_968, 27, 54)])  # the full 60,000 digits
def test_mnist_recipe_is_the_issue_s_wgan_gp_and_its_image_budget_ends_it(images_per_epoch,
                                                                          epochs, doubled):
    cfg = load_config(CONFIGS / "mnist_wgan_gp.yaml")
    train, objective = cfg.train, cfg.objective
    assert (cfg.data.image_size, objective.gp_weight, train.num_critic_steps) == (32, 10.0, 5)
    assert (train.d_lr, train.d_betas, train.g_lr, train.g_betas) == (1e-4, (0.0, 0.9)) * 2
    assert train.max_images == 1_600_000  # 5,000 generator steps of 64
    # the budget, not the epoch cap, ends the run, also when a user doubles it (README)
    assert planned_epochs(train.epochs, train.max_images, images_per_epoch) == epochs
    assert planned_epochs(train.epochs, 2 * train.max_images, images_per_epoch) == doubled
