import pytest

from facegan.config import Config, config_from_dict, load_config
from facegan.errors import FaceganError
from tests.conftest import MNIST_CONFIG


def test_shipped_recipe_matches_the_issue():
    cfg = load_config(MNIST_CONFIG)
    assert isinstance(cfg, Config)
    assert (cfg.data.name, cfg.data.image_size) == ("mnist", 32)
    assert (cfg.objective.name, cfg.objective.gp_weight) == ("wgan_gp", 10.0)
    assert cfg.model.d_norm == "none"
    assert cfg.train.num_critic_steps == 5
    assert (cfg.train.g_lr, cfg.train.g_betas) == (1e-4, (0.0, 0.9))
    assert (cfg.train.d_lr, cfg.train.d_betas) == (1e-4, (0.0, 0.9))


def test_overrides_are_parsed_as_yaml_values():
    cfg = load_config(MNIST_CONFIG, ["train.epochs=3", "train.g_betas=[0.5, 0.99]",
                                     "log.tensorboard=false", "run.name=exp 1"])
    assert cfg.train.epochs == 3
    assert cfg.train.g_betas == (0.5, 0.99)
    assert cfg.log.tensorboard is False
    assert cfg.run.name == "exp 1"


def test_config_is_frozen_and_round_trips_through_yaml(tmp_path):
    cfg = load_config(MNIST_CONFIG, ["train.epochs=7"])
    with pytest.raises(AttributeError):
        cfg.train.epochs = 1
    path = tmp_path / "config.yaml"
    path.write_text(cfg.to_yaml())
    assert load_config(path) == cfg


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.epoch=1", "unknown config key 'train.epoch'; valid keys in 'train': epochs,"),
        ("model.widht=3", "unknown config key 'model.widht'; valid keys in 'model': name,"),
        ("train.epochs=many", "config key 'train.epochs': Input should be a valid integer"),
        ("train.device=tpu", "config key 'train.device': Input should be 'auto', 'cpu' or 'cuda'"),
        ("model.name=stylegan9", "unknown model 'stylegan9'; valid choices: dcgan"),
        ("objective.name=nope", "unknown objective 'nope'; valid choices:"),
        ("data.name=nope", "unknown dataset 'nope'; valid choices:"),
        ("trian.epochs=1", "unknown config section 'trian'"),
        ("train.epochs", "is not of the form key.sub=value"),
    ],
)
def test_bad_config_is_a_one_line_error_naming_the_key(override, message):
    with pytest.raises(FaceganError) as info:
        load_config(MNIST_CONFIG, [override])
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_missing_component_name_lists_choices():
    with pytest.raises(FaceganError, match="needs a name; valid choices: dcgan"):
        config_from_dict({"data": {"name": "mnist"}, "model": {}, "objective": {"name": "wgan_gp"}})


def test_missing_or_broken_config_file(tmp_path):
    with pytest.raises(FaceganError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("train: {epochs: [1\n")
    with pytest.raises(FaceganError, match="not valid YAML at line"):
        load_config(broken)
