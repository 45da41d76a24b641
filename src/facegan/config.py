"""Run configuration: YAML recipe -> ``--set`` overrides -> validated, frozen config.

Config flows one way: the CLI reads a YAML file, applies ``--set a.b=value`` overrides, and this
module validates the result into frozen dataclasses. Sections that name a component
(``data``, ``model``, ``objective``) are validated against the config class that the component
registered, so every key is checked and an unknown key or component name is a one-line
`FaceganError` that lists the valid choices.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError

from facegan.errors import FaceganError
from facegan.registry import DATASETS, MODELS, OBJECTIVES, Registry

STRICT = ConfigDict(extra="forbid")

# The ranges of numeric config fields (pydantic constraints): a value outside them is the usual
# one-line `config key 'train.batch_size': ...` error, before anything is created. Every int
# and float field of a config class has one (tests/test_config_bounds.py checks).
Count = Annotated[int, Field(ge=1)]  # how many: images, steps, epochs, channels, widths
Cardinal = Annotated[int, Field(ge=0)]  # 0 allowed: off, or none
Seed = Annotated[int, Field(ge=0, lt=2**63)]
ImageSize = Annotated[int, Field(ge=4, le=4096)]  # pixels
LearningRate = Annotated[float, Field(gt=0, le=1)]
Weight = Annotated[float, Field(ge=0)]  # a loss or penalty weight (0: off), a guidance scale
Beta = Annotated[float, Field(ge=0, lt=1)]  # Adam betas
Probability = Annotated[float, Field(gt=0, le=1)]
# How a value moves from its start to its end over training (learning rates, penalty weights;
# facegan.methods.base.scheduled_value), and that end as a fraction of the start.
ScheduleShape = Literal["constant", "linear", "cosine"]
FinalFraction = Annotated[float, Field(ge=0, le=1)]


def config_dataclass(cls: type) -> type:
    """Make ``cls`` a frozen dataclass that pydantic validates strictly (unknown keys rejected)."""
    cls.__pydantic_config__ = STRICT  # type: ignore[attr-defined]
    return dataclass(frozen=True)(cls)


@config_dataclass
class RunConfig:
    name: str = "run"  # directory under <root>/<dataset display name>/
    root: str = "models"
    seed: Seed = 0
    keep_checkpoints: Cardinal = 3  # newest checkpoints kept; 0 keeps all


DIFFAUGMENT_OPS = ("color", "translation", "cutout")


def _check_diffaugment_policy(policy: str) -> str:
    unknown = [op for op in policy.split(",") if op not in DIFFAUGMENT_OPS]
    if policy and unknown:
        raise ValueError(f"unknown op {unknown[0]!r}; use a comma-separated subset of "
                         f"{','.join(DIFFAUGMENT_OPS)}, or \"\" for none")
    return policy


@config_dataclass
class TrainConfig:
    epochs: Count = 10
    # Stop after the epoch in which this many real images have been seen (None: no limit). It
    # lets one recipe train a fixed amount whatever the dataset size: few epochs of a big set,
    # many of a small one.
    max_images: Count | None = None
    # Stop after the step at which the run has trained this many minutes (summed over resumes;
    # None: no limit); with epochs and max_images, whichever comes first ends the run.
    max_minutes: Annotated[float, Field(gt=0)] | None = None
    batch_size: Count = 64  # per process: under torchrun the global batch is this x processes
    num_critic_steps: Count = 1  # discriminator steps per generator step
    g_lr: LearningRate = 1e-4
    d_lr: LearningRate = 1e-4
    g_betas: tuple[Beta, Beta] = (0.0, 0.9)
    d_betas: tuple[Beta, Beta] = (0.0, 0.9)
    # Every optimizer's learning rate over the planned run (train.epochs, or fewer where
    # train.max_images ends it first), from its configured rate to lr_final_fraction of it.
    lr_schedule: ScheduleShape = "constant"
    lr_final_fraction: FinalFraction = 0.0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    num_workers: Annotated[int, Field(ge=0, le=256)] = 0
    # EMA of the generator's weights, used for samples and saved generators; 0 = off. The
    # decay is per generator step; ema_rampup > 0 shortens the averaging horizon early on to
    # images_seen * ema_rampup images, as in StyleGAN (0.05 there).
    ema_decay: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    ema_rampup: Annotated[float, Field(ge=0.0)] = 0.0
    # DiffAugment (Zhao et al. 2020) on every image the discriminator sees: a comma-separated
    # subset of "color,translation,cutout"; "" = off. Meant for small datasets.
    diffaugment: Annotated[str, AfterValidator(_check_diffaugment_policy)] = ""
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast dtype; fp16 needs a GPU
    channels_last: bool = False  # NHWC memory format for models and batches (faster on GPU)
    # Under torchrun: seconds a process waits for the others (at a step, a checkpoint, the
    # end-of-epoch work of the main process) before the job ends with an error.
    dist_timeout: Annotated[float, Field(gt=0)] = 1800.0


@config_dataclass
class LogConfig:
    every: Count = 20  # batches between two lines of metrics.jsonl
    tensorboard: bool = True
    progress: bool = True
    num_samples: Annotated[int, Field(ge=1, le=1024)] = 64  # images in the epoch grid
    histograms: bool = True
    # epochs between two loss plots, progression pictures and weight histograms (the last
    # epoch always gets them); the sample grid is drawn every epoch
    plots_every: Annotated[int, Field(ge=1)] = 1
    wandb: bool = False  # Weights & Biases (pip install 'facegan[wandb]'); offline unless logged in
    wandb_project: str = "facegan"


@config_dataclass
class EvalConfig:
    """Evaluation during training (facegan.metrics); results go to metrics.jsonl as eval/*."""

    every: Cardinal = 0  # epochs between two evaluations; 0 turns evaluation off
    metrics: tuple[Literal["fid", "kid", "pr", "acc", "id"], ...] = ("fid",)
    features: str = "classifier"  # feature extractor: inception, classifier or face
    features_weights: str | None = None  # None: the extractor's default place
    # reads identities for id: face (dlib, real photos) or synthfaces_identity (SynthFaces);
    # None: features when it is one of those, else the one for the data
    embedder: str | None = None
    num_samples: Count = 1000  # generated images per evaluation
    num_real: Count | None = None  # None: as many as num_samples (at most the dataset)
    batch_size: Count = 64
    # keep saved_models/best/ by this result (None: do not keep a best generator)
    best_metric: Literal["fid", "kid", "precision", "recall", "accuracy",
                         "identity_similarity", "identity_score"] | None = "fid"


@dataclass(frozen=True)
class Config:
    """A complete, validated run configuration."""

    data: Any
    model: Any
    objective: Any
    run: RunConfig = field(default_factory=RunConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    log: LogConfig = field(default_factory=LogConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


PLAIN_SECTIONS: dict[str, type] = {"run": RunConfig, "train": TrainConfig, "log": LogConfig,
                                   "eval": EvalConfig}
NAMED_SECTIONS: dict[str, Registry] = {"data": DATASETS, "model": MODELS, "objective": OBJECTIVES}
SECTIONS = ("run", "data", "model", "objective", "train", "log", "eval")


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read a YAML recipe, apply ``key.sub=value`` overrides and validate."""
    return config_from_dict(apply_overrides(read_yaml(path), overrides))


def read_yaml(path: str | Path, what: str = "config file",
              fix: str = "pass a YAML recipe such as configs/mnist_wgan_gp.yaml",
              keys: str = f"sections ({', '.join(SECTIONS)})") -> dict[str, Any]:
    """The mapping in the YAML file ``path``; a missing, binary, invalid or non-mapping file is
    one line naming it as ``what`` and saying what to do (``fix``; ``keys``: what it maps)."""
    path = Path(path)
    if path.is_dir():
        raise FaceganError(f"{what} {path} is a folder; {fix}")
    if not path.is_file():
        raise FaceganError(f"{what} {path} not found; {fix}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FaceganError(f"{what} {path} is not UTF-8 text (a binary file?); {fix}") from None
    except OSError as exc:
        raise FaceganError(f"cannot read {what} {path} ({exc.strerror or exc}); check "
                           "its permissions") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise FaceganError(f"{what} {path} is not valid YAML{where}: "
                           f"{getattr(exc, 'problem', exc)}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise FaceganError(f"{what} {path} must be a mapping of {keys}")
    return raw


def apply_overrides(raw: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Return a copy of ``raw`` with each ``a.b.c=value`` applied; values are parsed as YAML."""
    result = copy.deepcopy(raw)
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise FaceganError(f"--set {item!r} is not of the form key.sub=value "
                               "(e.g. --set train.epochs=3)")
        parts = key.split(".")
        if parts[0] not in SECTIONS:
            raise FaceganError(f"unknown config section {parts[0]!r} in --set {item!r}; "
                               f"valid sections: {', '.join(SECTIONS)}")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise FaceganError(f"--set {item!r}: {'.'.join(parts[:depth + 1])} is a value, "
                                   "not a section")
            node = child
        node[parts[-1]] = value
    return result


def config_from_dict(raw: dict[str, Any]) -> Config:
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise FaceganError(f"unknown config section {unknown[0]!r}; valid sections: "
                           f"{', '.join(SECTIONS)}")
    values: dict[str, Any] = {}
    for section in SECTIONS:
        body = raw.get(section) or {}
        if not isinstance(body, dict):
            raise FaceganError(f"config section {section!r} must be a mapping of keys to values")
        if section in NAMED_SECTIONS:
            registry = NAMED_SECTIONS[section]
            if "name" not in body:
                raise FaceganError(f"config section {section!r} needs a name; valid choices: "
                                   f"{', '.join(registry.names())}")
            entry = _get_entry(registry, section, body["name"])
            values[section] = validate_section(entry.config_class, body, section)
        else:
            values[section] = validate_section(PLAIN_SECTIONS[section], body, section)
    return Config(**values)


def _get_entry(registry: Registry, section: str, name: Any):
    try:
        return registry.get(str(name))
    except FaceganError:
        raise FaceganError(f"config key '{section}.name': unknown {registry.kind} {name!r}; "
                           f"valid choices: {', '.join(registry.names())}") from None


def validate_section(cls: type, body: dict[str, Any], section: str) -> Any:
    """Validate one section against its dataclass; errors name the key and the valid choices."""
    try:
        return TypeAdapter(cls).validate_python(body)
    except ValidationError as exc:
        raise FaceganError(_describe(exc.errors()[0], cls, section)) from None


def _describe(error: dict[str, Any], cls: type, section: str) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    key = f"{section}.{loc}" if loc else section
    if error["type"] == "unexpected_keyword_argument" or error["type"] == "extra_forbidden":
        valid = ", ".join(f.name for f in dataclasses.fields(cls))
        return f"unknown config key '{key}'; valid keys in '{section}': {valid}"
    if error["type"] == "missing":
        return f"config key '{key}' is required"
    message = error["msg"].removeprefix("Value error, ")
    return f"config key '{key}': {message} (got {error.get('input')!r})"


def _plain(value: Any) -> Any:
    """Turn tuples into lists so the YAML dump is plain and reloadable with safe_load."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
