"""The config classes of the built-in methods (a config's ``objective`` section), declared to
the registry by name without importing their modules (which import torch): validating a config
stays cheap (`facegan.registry`). Each method's builder lives in the module named in its
declaration."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from facegan.config import (
    Beta,
    Count,
    FinalFraction,
    Probability,
    ScheduleShape,
    Weight,
    config_dataclass,
)
from facegan.registry import OBJECTIVES


@config_dataclass
class ObjectiveConfig:
    """Fields every objective has; variants add theirs."""

    name: str = ""
    r1_gamma: Weight = 0.0  # R1 weight gamma (the penalty is gamma / 2 * E||grad D(real)||^2)
    r1_every: Count = 16  # R1 runs on every r1_every-th batch ("lazy regularisation")
    # the penalty weights (r1_gamma, and rpgan's r2_gamma) over the planned run, from their
    # value to gamma_final_fraction of it (R3GAN anneals gamma tenfold: cosine, 0.1)
    gamma_schedule: ScheduleShape = "constant"
    gamma_final_fraction: FinalFraction = 0.1


@config_dataclass
class DCGANObjectiveConfig(ObjectiveConfig):
    name: str = "dcgan"
    real_label: Probability = 1.0  # < 1: one-sided label smoothing of the real targets (e.g. 0.9)


@config_dataclass
class HingeConfig(ObjectiveConfig):
    name: str = "hinge"


@config_dataclass
class LSGANConfig(ObjectiveConfig):
    name: str = "lsgan"


@config_dataclass
class RpGANConfig(ObjectiveConfig):
    """The relativistic pairing GAN with R1 and R2 (Huang et al. 2024, R3GAN). R3GAN uses one
    gamma for both, every step (r1_every = r2_every = 1); as in every objective, a penalty is
    off until its gamma is set."""

    name: str = "rpgan"
    r2_gamma: Weight = 0.0  # R2 weight (gamma / 2 * E||grad D(fake)||^2)
    r2_every: Count = 16  # R2 runs on every r2_every-th batch, scaled by it as R1


@config_dataclass
class WGANGPConfig(ObjectiveConfig):
    name: str = "wgan_gp"
    gp_weight: Weight = 10.0


@config_dataclass
class ACGANConfig(ObjectiveConfig):
    name: str = "acgan"
    real_label: Probability = 1.0
    d_aux_weight: Weight = 1.0  # weight of the classifier loss in the discriminator's loss
    g_aux_weight: Weight = 1.0  # weight of the classifier loss on fakes in the generator's loss
    d_aux_on_fake: bool = True  # the discriminator also learns to classify fakes (Odena et al.)


@config_dataclass
class WACGANConfig(ObjectiveConfig):
    name: str = "wacgan"
    gp_weight: Weight = 10.0
    d_aux_weight: Weight = 1.0
    g_aux_weight: Weight = 0.1  # Gulrajani et al.'s conditional recipe weighs it down for G
    d_aux_on_fake: bool = False  # the critic learns classes from real images only


@config_dataclass
class EmbeddingObjectiveConfig(ObjectiveConfig):
    name: str = "embedding"
    loss: Literal["hinge", "non_saturating"] = "hinge"


Schedule = Literal["linear", "cosine"]
Prediction = Literal["epsilon", "v_prediction"]
SamplerKind = Literal["ddim", "ddpm"]
MAX_STEPS = 1000


@config_dataclass
class DDPMConfig:
    name: str = "ddpm"
    num_train_timesteps: Annotated[int, Field(ge=2)] = 1000
    beta_schedule: Schedule = "linear"
    prediction_type: Prediction = "epsilon"
    lr: Annotated[float, Field(gt=0.0)] = 2e-4
    betas: tuple[Beta, Beta] = (0.9, 0.999)
    ema_decay: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.999  # 0 = off
    ema_rampup: Annotated[float, Field(ge=0.0)] = 0.05
    label_dropout: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1  # for classifier-free guidance
    # how the run's grids and a saved model sample by default (facegan generate can override)
    sampler: SamplerKind = "ddim"
    sampling_steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = 50
    guidance: Weight = 1.0


OBJECTIVES.declare("dcgan", config=DCGANObjectiveConfig, module="facegan.methods.gan.objectives")
OBJECTIVES.declare("hinge", config=HingeConfig, module="facegan.methods.gan.objectives")
OBJECTIVES.declare("lsgan", config=LSGANConfig, module="facegan.methods.gan.objectives")
OBJECTIVES.declare("rpgan", config=RpGANConfig, module="facegan.methods.gan.objectives")
OBJECTIVES.declare("wgan_gp", config=WGANGPConfig, module="facegan.methods.gan.objectives")
OBJECTIVES.declare("acgan", config=ACGANConfig, module="facegan.methods.gan.objectives")
OBJECTIVES.declare("wacgan", config=WACGANConfig, module="facegan.methods.gan.objectives")
OBJECTIVES.declare("embedding", config=EmbeddingObjectiveConfig,
                   module="facegan.methods.gan.objectives")
OBJECTIVES.declare("ddpm", config=DDPMConfig, module="facegan.methods.diffusion.method")
