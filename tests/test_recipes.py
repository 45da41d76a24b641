"""The shipped recipes: every one in configs/ is listed here, loads and validates."""

import re
from pathlib import Path

import pytest

from facegan.config import load_config
from facegan.datainfo import DataInfo
from facegan.methods.base import build_method
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
    "synthfaces_embedding.yaml": ("synthfaces", "dcgan", "embedding"),
    "mnist_ddpm.yaml": ("mnist", "unet", "ddpm"),
    "synthfaces_ddpm.yaml": ("synthfaces", "unet", "ddpm"),
    "celeba64_ddpm.yaml": ("celeba", "unet", "ddpm"),
    "faces128_embedding_ddpm.yaml": ("embedding_folder", "unet", "ddpm"),
    "synthfaces_embedding_ddpm.yaml": ("synthfaces", "unet", "ddpm"),
}


# millions of denoiser parameters, as the diffusion recipes' comments state them
PARAMETERS = {"mnist_ddpm.yaml": 1.1, "synthfaces_ddpm.yaml": 1.1,
              "synthfaces_embedding_ddpm.yaml": 1.1, "celeba64_ddpm.yaml": 26.6,
              "faces128_embedding_ddpm.yaml": 29.1}


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


@pytest.mark.parametrize(("recipe", "info"), [
    ("mnist_ddpm.yaml", DataInfo("MNIST", 32, 1, tuple("0123456789"), "class")),
    ("synthfaces_ddpm.yaml", DataInfo("SynthFaces", 32, 3, tuple("abcde"), "multilabel")),
    ("celeba64_ddpm.yaml", DataInfo("CelebA", 64, 3)),
    ("faces128_embedding_ddpm.yaml", DataInfo("Faces128", 128, 3, (), "embedding", 128)),
    ("synthfaces_embedding_ddpm.yaml", DataInfo("SynthFacesID", 32, 3, (), "embedding", 39)),
])
def test_diffusion_recipes_build_their_denoiser_for_their_data(recipe, info):
    pytest.importorskip("diffusers")
    cfg = load_config(CONFIGS / recipe)
    method = build_method(cfg, info)
    denoiser = method.build_networks()["denoiser"]
    assert denoiser.conditional == (info.label_kind != "none")
    millions = sum(p.numel() for p in denoiser.parameters()) / 1e6
    assert millions == pytest.approx(PARAMETERS[recipe], rel=0.05)  # as the recipe says


def test_the_readme_s_make_targets_table_lists_every_makefile_target():
    repo = CONFIGS.parent
    makefile = (repo / "Makefile").read_text()
    targets = set(re.findall(r"^([A-Za-z_]+):", makefile, flags=re.M)) - {"help"}
    section = (repo / "README.md").read_text().split("## Make targets", 1)[1].split("\n## ")[0]
    listed = set(re.findall(r"^\| `([A-Za-z_]+)` \|", section, flags=re.M))
    assert listed == targets
    helped = set(re.findall(r'@echo "make ([A-Za-z_]+)', makefile)) - {"help"}
    assert helped == targets  # `make help` lists them too
