"""Every numeric field of every config class has its valid range declared, so a value out of
range is a one-line config error before anything is created."""

import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing

import annotated_types
import pytest

import facegan
from facegan.cli import main
from facegan.config import STRICT
from tests.conftest import MNIST_CONFIG

BOUNDS = (annotated_types.Ge, annotated_types.Gt, annotated_types.Le, annotated_types.Lt,
          annotated_types.Interval)


def config_classes() -> list[type]:
    """Every class made by ``config_dataclass`` in the facegan package."""
    found = set()
    for module in pkgutil.walk_packages(facegan.__path__, "facegan."):
        if module.name.endswith("__main__"):
            continue
        for _, value in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if getattr(value, "__pydantic_config__", None) is STRICT and \
                    dataclasses.is_dataclass(value) and value.__module__.startswith("facegan"):
                found.add(value)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def numbers_in(hint) -> list[tuple[type, tuple]]:
    """The (number type, constraints) of every int or float a field's type holds."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        inner = numbers_in(args[0])
        constraints = tuple(m for a in args[1:] for m in (*getattr(a, "metadata", ()), a))
        return [(kind, (*found, *constraints)) for kind, found in inner]
    if hint in (int, float):
        return [(hint, ())]
    if origin in (typing.Union, types.UnionType, tuple):
        return [n for a in args if a not in (type(None), Ellipsis) for n in numbers_in(a)]
    return []


def unbounded_fields() -> list[str]:
    missing = []
    for cls in config_classes():
        hints = typing.get_type_hints(cls, include_extras=True)
        for field in dataclasses.fields(cls):
            for _, constraints in numbers_in(hints[field.name]):
                if not any(isinstance(c, BOUNDS) for c in constraints):
                    missing.append(f"{cls.__module__}.{cls.__qualname__}.{field.name}")
    return missing


def test_the_walk_finds_the_config_classes():
    names = {c.__qualname__ for c in config_classes()}
    assert {"TrainConfig", "DCGANConfig", "UNetConfig", "DDPMConfig", "SynthFacesConfig",
            "WGANGPConfig", "PipelineConfig"} <= names


def test_every_int_and_float_config_field_has_a_range():
    assert unbounded_fields() == []


@pytest.mark.parametrize("setting, message", [
    ("train.batch_size=0", "config key 'train.batch_size': Input should be greater than or "
                           "equal to 1 (got 0)"),
    ("train.epochs=-3", "config key 'train.epochs': Input should be greater than or equal to 1"),
    ("train.g_lr=0", "config key 'train.g_lr': Input should be greater than 0"),
    ("train.d_betas=[0.5,1.5]", "config key 'train.d_betas.1': Input should be less than 1"),
    ("log.every=0", "config key 'log.every'"),
    ("run.keep_checkpoints=-1", "config key 'run.keep_checkpoints'"),
    ("model.g_width=0", "config key 'model.g_width'"),
    ("model.latent_dim=-5", "config key 'model.latent_dim'"),
    ("objective.gp_weight=-1", "config key 'objective.gp_weight'"),
    ("train.num_critic_steps=0", "config key 'train.num_critic_steps'"),
])
def test_an_out_of_range_value_is_one_line_and_creates_nothing(setting, message, tmp_path,
                                                              capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["train", str(MNIST_CONFIG), "--set", f"run.root={tmp_path}", "--set", setting])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err, err
    assert list(tmp_path.iterdir()) == []
