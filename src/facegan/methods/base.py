"""What a method is: the networks it trains, their optimizers, its phases, and how it samples.

A method is the registered component that a config's ``objective`` section names. The trainer
builds the method's networks, one optimizer per network, and runs the phases on named networks;
it never knows what a network is for. Sampling belongs to the method too (`Sampler`): one
forward pass for a GAN, many denoising steps for a diffusion model. Every place that draws
images -- the epoch grid, ``generate`` and its modes, ``evaluate``, ``serve``, ``export``'s
check, the report -- decodes through `SamplingModel`, the sampler bound to its networks (the
server draws its noise itself, for truncation, and its ONNX backend runs the exported module).

Noise decides the image: a sampler whose steps are random (DDPM) draws them from a generator
seeded by the starting noise when the caller gives none.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from facegan.conditions import ConditionSpec
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.randomness import BatchRandom
from facegan.registry import OBJECTIVES

Networks = Mapping[str, nn.Module]


@dataclass(frozen=True)
class Phase:
    name: str  # used in stat names: "<name>/<loss key>"
    updates: str  # the network whose optimizer steps
    every: int = 1  # runs on steps whose 1-based index (counted across epochs) divides by this
    every_key: str = ""  # the config key that sets ``every``, named when a run is too short


@dataclass(frozen=True)
class Batch:
    real: torch.Tensor  # (N, C, H, W) in [-1, 1]
    labels: torch.Tensor  # (N,) classes, (N, L) multi-hot or (N, E) embeddings; -1 unlabelled


@dataclass(frozen=True)
class StepContext:
    """What a phase gets from the trainer besides the batch."""

    rng: BatchRandom  # every random draw of the step comes from it (checkpointed)
    grad_scale: torch.Tensor | None = None  # the fp16 loss scale of this phase's optimizer
    # steps done / steps planned, in [0, 1]: a method anneals its own weights from it
    # (`scheduled_value`), so the trainer needs to know none of them
    progress: float = 0.0


def scheduled_value(start: float, final_fraction: float, shape: str, progress: float) -> float:
    """A value at ``progress`` in [0, 1] of training, moving from ``start`` to
    ``start * final_fraction`` along ``shape``: ``constant`` (always ``start``), ``linear``, or
    ``cosine`` (half a cosine period: slow at both ends)."""
    final = start * final_fraction
    if shape == "constant":
        return start
    if shape == "linear":
        return start + (final - start) * progress
    if shape == "cosine":
        return final + (start - final) * (1 + math.cos(math.pi * progress)) / 2
    raise ValueError(f"unknown schedule shape {shape!r}")


@dataclass(frozen=True)
class OptimizerSpec:
    """Adam settings for one network; ``lr_key`` names the config key of the rate (for the
    hint after a divergence)."""

    lr: float
    betas: tuple[float, float]
    lr_key: str


@dataclass(frozen=True)
class EMASpec:
    """An exponential moving average of one network's weights, used for sampling."""

    network: str
    decay: float  # per step of that network
    rampup: float = 0.0


class Sampler:
    """How a method turns noise into images with its sampling networks.

    ``noise`` draws the starting point (a GAN's latent vector, a diffusion model's noise
    image); ``decode`` maps it to images. Drawing both from seeded CPU generators makes a seed
    give the same images on any device.
    """

    networks: tuple[str, ...] = ()  # what a saved model keeps
    export_output = "images"  # the output name of `export_module` in an ONNX file

    def noise_shape(self, networks: Networks) -> tuple[int, ...]:
        raise NotImplementedError

    def conditional(self, networks: Networks) -> bool:
        """True when the networks take a condition ``c``."""
        raise NotImplementedError

    def decode(self, networks: Networks, noise: torch.Tensor, conditions: torch.Tensor | None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """``noise (N, *noise_shape)`` and ``c`` (on the networks' device) -> images
        ``(N, C, H, W)`` in [-1, 1]; called without gradients, networks in eval mode."""
        raise NotImplementedError

    def with_options(self, **options: Any) -> Sampler:
        """This sampler with sampling options set (a diffusion model's ``steps``, ``sampler``,
        ``guidance``, ``eta``); None values keep the saved defaults."""
        given = sorted(key for key, value in options.items() if value is not None)
        if given:
            flags = ", ".join("--sampling-steps" if key == "steps" else f"--{key}"
                              for key in given)
            raise FaceganError(f"this model draws an image in one pass; {flags} apply to "
                               "diffusion models")
        return self

    def export_module(self, networks: Networks) -> nn.Module:
        """The module an export holds: a GAN's ``(z, c) -> images``, a diffusion model's
        denoiser ``(x, t, c, drop) -> prediction`` (the sampling loop runs around it)."""
        raise NotImplementedError

    def export_inputs(self, networks: Networks, noise: torch.Tensor,
                      conditions: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """Named example inputs of `export_module` for a batch of ``noise``."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """The registered sampler's name and the settings sampling needs, saved with the model
        (``generator.json``'s ``sampler``) and read back by that sampler's builder."""
        raise NotImplementedError


class Method:
    """Base of registered methods; see the module docstring."""

    name: str
    phases: tuple[Phase, ...]
    sampler: Sampler
    ema: EMASpec | None = None
    progress_names: Mapping[str, str] = {}  # stat -> short name on the progress bar

    def build_networks(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def optimizers(self) -> dict[str, OptimizerSpec]:
        raise NotImplementedError

    def compute(self, phase: Phase, networks: Networks, batch: Batch,
                step: StepContext) -> dict[str, torch.Tensor]:
        """Named loss tensors of ``phase``; ``"loss"`` is back-propagated, the rest reported."""
        raise NotImplementedError

    def check(self, networks: Networks) -> None:
        """Raise FaceganError before training when the networks cannot serve the method."""

    def example_inputs(self, networks: Networks, n: int) -> dict[str, tuple[Any, ...]]:
        """Inputs of each network for ``n`` items (for architecture summaries)."""
        raise NotImplementedError


def build_method(config: Any, info: DataInfo) -> Method:
    """The method a config's ``objective`` section names, for the data described by ``info``."""
    return OBJECTIVES.get(config.objective.name).builder(config.objective, config, info)


@contextlib.contextmanager
def evaluating(networks: Networks) -> Iterator[None]:
    """Networks in eval mode and without gradients, then back as they were."""
    modes = {name: net.training for name, net in networks.items()}
    for net in networks.values():
        net.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for name, net in networks.items():
            net.train(modes[name])


class SamplingModel:
    """A sampler bound to its networks and data description: draws images by itself.

    ``condition`` says what ``c`` the networks take (none when they ignore the data's labels).
    """

    def __init__(self, sampler: Sampler, networks: Networks, info: DataInfo) -> None:
        self.sampler, self.networks, self.info = sampler, dict(networks), info
        self.condition = (ConditionSpec.from_info(info) if sampler.conditional(self.networks)
                          else ConditionSpec("none"))
        self.conditional = self.condition.conditional  # takes c, and the data have labels
        self.noise_shape = sampler.noise_shape(self.networks)

    @property
    def device(self) -> torch.device:
        for net in self.networks.values():
            for param in net.parameters():
                return param.device
        return torch.device("cpu")

    def to(self, device: torch.device) -> SamplingModel:
        for net in self.networks.values():
            net.to(device)
        return self

    def with_options(self, **options: Any) -> SamplingModel:
        """The same networks sampled with other options (`Sampler.with_options`)."""
        sampler = self.sampler.with_options(**options)
        return self if sampler is self.sampler else SamplingModel(sampler, self.networks,
                                                                  self.info)

    def noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``(n, *noise_shape)`` standard normal noise from ``generator`` (a CPU one)."""
        return torch.randn(n, *self.noise_shape, generator=generator)

    def seeded_noise(self, n: int, seed: int) -> torch.Tensor:
        return self.noise(n, torch.Generator().manual_seed(seed))

    def decode(self, noise: torch.Tensor, conditions: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """One batch: images on the networks' device."""
        self._check_conditions(conditions, len(noise))
        device = self.device
        c = None if conditions is None else conditions.to(device)
        with evaluating(self.networks):
            return self.sampler.decode(self.networks, noise.to(device), c, generator)

    def draw(self, noise: torch.Tensor, conditions: torch.Tensor | None = None,
             batch_size: int = 64, generator: torch.Generator | None = None) -> torch.Tensor:
        """Images ``(N, C, H, W)`` in [-1, 1] on the CPU, decoded in batches."""
        chunks = []
        for start in range(0, len(noise), batch_size):
            c = None if conditions is None else conditions[start:start + batch_size]
            chunks.append(self.decode(noise[start:start + batch_size], c, generator).cpu())
        return torch.cat(chunks)

    def sample(self, n: int, conditions: torch.Tensor | None,
               generator: torch.Generator) -> torch.Tensor:
        """``n`` images from noise drawn with ``generator``, on the CPU: with
        ``torch.Generator().manual_seed(seed)`` the images of ``facegan generate --seed``."""
        return self.draw(self.noise(n, generator), conditions)

    def _check_conditions(self, conditions: torch.Tensor | None, n: int) -> None:
        if self.conditional and conditions is None:
            raise FaceganError("this generator is conditional: pass labels (--label)")
        if not self.conditional and conditions is not None:
            raise FaceganError("this generator is unconditional: it takes no labels; drop "
                               "--label")
        if conditions is not None and len(conditions) != n:
            raise ValueError(f"{len(conditions)} conditions for {n} images")
