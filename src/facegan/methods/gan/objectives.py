"""The GAN methods: per-variant composition of losses into training phases.

A GAN method trains two networks, ``generator`` and ``discriminator``, built by the ``model``
section's builder, with Adam from ``train.g_lr``/``g_betas`` and ``train.d_lr``/``d_betas``.
It says which phases a training iteration has (which network each one updates, and on which
batches it runs) and returns named loss tensors for a phase; ``"loss"`` is the one to
back-propagate and the others are reported. Only the trainer calls ``backward`` and steps
optimizers. The generator can have an EMA (``train.ema_decay``); the discriminator sees every
image through DiffAugment when ``train.diffaugment`` is set (`TrainingCritic`).

Conditional generators (``generator.conditional``) get the batch's labels. Fake images are
drawn for the batch's real labels in a random order (`facegan.conditions.shuffled_labels`).

Every objective can add R1 (``r1_gamma > 0``) as its own lazy phase that runs on every
``r1_every``-th batch, scaled by ``r1_every`` as in StyleGAN2 so its strength does not depend
on the interval; ``rpgan`` adds R2 (``r2_gamma``, ``r2_every``) the same way. The penalty
weights follow ``gamma_schedule`` over the training's progress (`StepContext.progress`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from facegan.conditions import fixed_conditions, shuffled_labels
from facegan.config import Config
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.methods.base import (
    Batch,
    EMASpec,
    Method,
    OptimizerSpec,
    Phase,
    SamplingModel,
    StepContext,
    scheduled_value,
)
from facegan.methods.configs import (  # noqa: F401
    ACGANConfig,
    DCGANObjectiveConfig,
    EmbeddingObjectiveConfig,
    HingeConfig,
    LSGANConfig,
    ObjectiveConfig,
    RpGANConfig,
    WACGANConfig,
    WGANGPConfig,
)
from facegan.methods.gan import losses
from facegan.methods.gan.critic import TrainingCritic
from facegan.methods.gan.sampler import GANSampler
from facegan.models.base import build_models, discriminator_scores, split_discriminator_output
from facegan.randomness import BatchRandom
from facegan.registry import register_objective

LABELLED = ("class", "multilabel")
PROGRESS_NAMES = {
    "discriminator/loss": "D",
    "generator/loss": "G",
    "discriminator/wasserstein_distance": "W",
    "discriminator/gradient_penalty": "GP",
}


def sample_latent(generator: nn.Module, n: int, rng: BatchRandom,
                  device: torch.device) -> torch.Tensor:
    return rng.randn(n, generator.latent_dim).to(device)  # (N, latent)


class GANObjective(Method):
    """A discriminator phase on every batch, a generator phase on every
    ``num_critic_steps``-th, and optionally R1. Variants give the adversarial losses;
    ``d_aux_weight``/``g_aux_weight`` (not None) add auxiliary-classifier terms."""

    sampler = GANSampler()
    progress_names = PROGRESS_NAMES

    def __init__(self, cfg: Any, config: Config, info: DataInfo, *,
                 d_aux_weight: float | None = None, g_aux_weight: float = 0.0,
                 d_aux_on_fake: bool = True, needs_conditional_models: bool = False) -> None:
        train = config.train
        self.name = cfg.name
        self.model_config, self.info, self.train = config.model, info, train
        self.diffaugment = train.diffaugment
        self.ema = (EMASpec("generator", train.ema_decay, train.ema_rampup)
                    if train.ema_decay > 0 else None)
        self.gamma = {"r1": cfg.r1_gamma, "r2": getattr(cfg, "r2_gamma", 0.0)}  # by phase
        self.gamma_schedule = cfg.gamma_schedule
        self.gamma_final_fraction = cfg.gamma_final_fraction
        self.d_aux_weight, self.g_aux_weight = d_aux_weight, g_aux_weight
        self.d_aux_on_fake = d_aux_on_fake
        self.needs_conditional_models = needs_conditional_models or d_aux_weight is not None
        phases = [Phase("discriminator", updates="discriminator"),
                  Phase("generator", updates="generator", every=train.num_critic_steps,
                        every_key="train.num_critic_steps")]
        for name in ("r1", "r2"):
            if self.gamma[name] > 0:
                phases.append(Phase(name, updates="discriminator",
                                    every=getattr(cfg, f"{name}_every"),
                                    every_key=f"objective.{name}_every"))
        self.phases = tuple(phases)

    # -- networks ------------------------------------------------------------------------------

    def build_networks(self) -> dict[str, nn.Module]:
        return dict(build_models(self.model_config, self.info)._asdict())

    def optimizers(self) -> dict[str, OptimizerSpec]:
        t = self.train
        return {"discriminator": OptimizerSpec(t.d_lr, t.d_betas, "train.d_lr"),
                "generator": OptimizerSpec(t.g_lr, t.g_betas, "train.g_lr")}

    def example_inputs(self, networks: Mapping[str, nn.Module],
                       n: int) -> dict[str, tuple[Any, ...]]:
        G = networks["generator"]
        device = next(G.parameters()).device
        c = SamplingModel(self.sampler, networks, self.info).condition.example(n)
        c = None if c is None else c.to(device)
        z = torch.zeros(n, G.latent_dim, device=device)
        info = self.info
        x = torch.zeros(n, info.channels, info.image_size, info.image_size, device=device)
        return {"generator": (z, c), "discriminator": (x, c)}

    # -- what variants define -----------------------------------------------------------------

    def discriminator_losses(self, D: Any, batch: Batch, fake: torch.Tensor,
                             real_c: torch.Tensor | None, real_scores: torch.Tensor,
                             fake_scores: torch.Tensor,
                             rng: torch.Generator) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def generator_adversarial_loss(self, D: Any, batch: Batch, real_c: torch.Tensor | None,
                                   fake_scores: torch.Tensor) -> torch.Tensor:
        """The generator's loss from the critic; most variants need only the fakes' scores."""
        return self.generator_loss(fake_scores)

    # -- composition ---------------------------------------------------------------------------

    def compute(self, phase: Phase, networks: Mapping[str, nn.Module], batch: Batch,
                step: StepContext) -> dict[str, torch.Tensor]:
        rng = step.rng
        G = networks["generator"]
        D = TrainingCritic(networks["discriminator"], self.diffaugment, rng, step.grad_scale)
        n, device = batch.real.shape[0], batch.real.device
        conditional = getattr(G, "conditional", False)
        real_c = batch.labels if conditional else None
        if phase.name == "r1":
            return self._penalty(phase, losses.r1_penalty(
                discriminator_scores(D), batch.real, real_c,
                grad_scale=getattr(D, "grad_scale", None)), step.progress)
        fake_c = shuffled_labels(batch.labels, rng) if conditional else None
        z = sample_latent(G, n, rng, device)
        if phase.name == "r2":
            with torch.no_grad():
                fake = G(z, fake_c)
            return self._penalty(phase, losses.r2_penalty(
                discriminator_scores(D), fake, fake_c,
                grad_scale=getattr(D, "grad_scale", None)), step.progress)
        if phase.updates == "discriminator":
            with torch.no_grad():
                fake = G(z, fake_c)
            real_scores, real_aux = self._split(D(batch.real, real_c))
            fake_scores, fake_aux = self._split(D(fake, fake_c))
            out = self.discriminator_losses(D, batch, fake, real_c, real_scores, fake_scores,
                                            rng)
            if self.d_aux_weight is not None:
                aux_real = losses.auxiliary_classifier_loss(real_aux, real_c)
                aux_fake = losses.auxiliary_classifier_loss(fake_aux, fake_c)
                aux = (aux_real + aux_fake) / 2 if self.d_aux_on_fake else aux_real
                out["loss"] = out["loss"] + self.d_aux_weight * aux
                out["aux_real"], out["aux_fake"] = aux_real.detach(), aux_fake.detach()
                out["aux_accuracy"] = losses.auxiliary_accuracy(real_aux.detach(), real_c)
            return out
        fake_scores, fake_aux = self._split(D(G(z, fake_c), fake_c))
        out = {"loss": self.generator_adversarial_loss(D, batch, real_c, fake_scores)}
        if self.d_aux_weight is not None:
            aux = losses.auxiliary_classifier_loss(fake_aux, fake_c)
            out["loss"] = out["loss"] + self.g_aux_weight * aux
            out["aux"] = aux.detach()
            # How often the discriminator's classifier reads the asked-for label in a fake.
            out["aux_accuracy"] = losses.auxiliary_accuracy(fake_aux.detach(), fake_c)
        return out

    def _penalty(self, phase: Phase, penalty: torch.Tensor,
                 progress: float) -> dict[str, torch.Tensor]:
        """``gamma / 2 * every * penalty``: scaled by the phase's interval as in StyleGAN2, so
        that its strength does not depend on it; gamma at ``progress`` of its schedule."""
        gamma = scheduled_value(self.gamma[phase.name], self.gamma_final_fraction,
                                self.gamma_schedule, progress)
        out = {"loss": 0.5 * gamma * phase.every * penalty, "penalty": penalty.detach()}
        if self.gamma_schedule != "constant":
            out["gamma"] = torch.tensor(gamma, device=penalty.device)
        return out

    def check(self, networks: Mapping[str, nn.Module]) -> None:
        """Conditional objectives need a conditional generator, and auxiliary-classifier ones
        a discriminator that returns aux logits: one forward pass on two blank images (eval
        mode, no state change) tells."""
        G, D, info = networks["generator"], networks["discriminator"], self.info
        if self.needs_conditional_models and not getattr(G, "conditional", False):
            head = "aux" if self.d_aux_weight is not None else "projection"
            raise FaceganError(f"objective {self.name} needs a conditional model; set "
                               "model.g_condition (embedding or onehot) and "
                               f"model.d_condition={head}")
        if self.d_aux_weight is None:
            return
        device = next(D.parameters()).device
        x = torch.zeros(2, info.channels, info.image_size, info.image_size, device=device)
        c = (fixed_conditions(info, 2, 0).to(device)
             if getattr(G, "conditional", False) else None)
        was_training = D.training
        D.eval()
        try:
            with torch.no_grad():
                self._split(D(x, c))
        finally:
            D.train(was_training)

    def _split(self, output: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        scores, aux = split_discriminator_output(output)
        if self.d_aux_weight is not None and aux is None:
            raise FaceganError(f"objective {self.name} needs a discriminator with an auxiliary "
                               "classifier; set model.d_condition=aux (and model.g_condition)")
        return scores, aux


def require_labels(objective: str, info: DataInfo, kinds: tuple[str, ...]) -> None:
    """Conditional objectives refuse data without the labels they need, before training."""
    if info.label_kind in kinds:
        return
    wanted = " or ".join("face-embedding" if k == "embedding" else k for k in kinds)
    have = "no labels" if info.label_kind == "none" else f"{info.label_kind} labels"
    raise FaceganError(f"objective {objective} needs {wanted} labels, but dataset "
                       f"{info.name!r} has {have}; use a dataset with such labels or an "
                       "unconditional objective (dcgan, wgan_gp, hinge, lsgan, rpgan)")


# -- unconditional variants -------------------------------------------------------------------


class NonSaturatingObjective(GANObjective):
    """Binary cross-entropy for the discriminator, the non-saturating generator loss."""

    def __init__(self, cfg: Any, config: Config, info: DataInfo, **aux: Any) -> None:
        super().__init__(cfg, config, info, **aux)
        self.real_label = getattr(cfg, "real_label", 1.0)

    def discriminator_losses(self, D, batch, fake, real_c, real_scores, fake_scores, rng):
        loss = losses.bce_discriminator_loss(real_scores, fake_scores,
                                             real_target=self.real_label)
        return {"loss": loss, "real_probability": torch.sigmoid(real_scores).mean().detach(),
                "fake_probability": torch.sigmoid(fake_scores).mean().detach()}

    def generator_loss(self, fake_scores):
        return losses.non_saturating_generator_loss(fake_scores)


@register_objective("dcgan")
def build_dcgan(cfg: DCGANObjectiveConfig, config: Config,
                info: DataInfo) -> NonSaturatingObjective:
    return NonSaturatingObjective(cfg, config, info)


class HingeObjective(GANObjective):
    def discriminator_losses(self, D, batch, fake, real_c, real_scores, fake_scores, rng):
        return {"loss": losses.hinge_discriminator_loss(real_scores, fake_scores)}

    def generator_loss(self, fake_scores):
        return losses.hinge_generator_loss(fake_scores)


@register_objective("hinge")
def build_hinge(cfg: HingeConfig, config: Config, info: DataInfo) -> HingeObjective:
    return HingeObjective(cfg, config, info)


class LeastSquaresObjective(GANObjective):
    def discriminator_losses(self, D, batch, fake, real_c, real_scores, fake_scores, rng):
        return {"loss": losses.least_squares_discriminator_loss(real_scores, fake_scores)}

    def generator_loss(self, fake_scores):
        return losses.least_squares_generator_loss(fake_scores)


@register_objective("lsgan")
def build_lsgan(cfg: LSGANConfig, config: Config, info: DataInfo) -> LeastSquaresObjective:
    return LeastSquaresObjective(cfg, config, info)


class RpGANObjective(GANObjective):
    """The relativistic pairing GAN (Huang et al. 2024): every real image is judged against
    the fake drawn alongside it, in both phases; meant with R1 and R2 (``r1_gamma``,
    ``r2_gamma``)."""

    def discriminator_losses(self, D, batch, fake, real_c, real_scores, fake_scores, rng):
        return {"loss": losses.rpgan_discriminator_loss(real_scores, fake_scores),
                "real_minus_fake": (real_scores - fake_scores).mean().detach()}

    def generator_adversarial_loss(self, D, batch, real_c, fake_scores):
        with torch.no_grad():  # constants for the generator, as the paper's stop-gradient
            real_scores, _ = self._split(D(batch.real, real_c))
        return losses.rpgan_generator_loss(real_scores, fake_scores)


@register_objective("rpgan")
def build_rpgan(cfg: RpGANConfig, config: Config, info: DataInfo) -> RpGANObjective:
    return RpGANObjective(cfg, config, info)


class WGANGPObjective(GANObjective):
    """Wasserstein losses with the gradient penalty (Gulrajani et al. 2017); the penalty is
    taken on the score only, at the real images' labels."""

    def __init__(self, cfg: Any, config: Config, info: DataInfo, **aux: Any) -> None:
        super().__init__(cfg, config, info, **aux)
        self.gp_weight = cfg.gp_weight

    def discriminator_losses(self, D, batch, fake, real_c, real_scores, fake_scores, rng):
        n, device = batch.real.shape[0], batch.real.device
        alpha = rng.rand(n).to(device)
        penalty = losses.gradient_penalty(discriminator_scores(D), batch.real, fake, real_c,
                                          alpha=alpha, grad_scale=getattr(D, "grad_scale", None))
        critic_loss = losses.wasserstein_critic_loss(real_scores, fake_scores)
        return {
            "loss": critic_loss + self.gp_weight * penalty,
            "wasserstein_distance": -critic_loss.detach(),
            "gradient_penalty": penalty.detach(),
        }

    def generator_loss(self, fake_scores):
        return losses.wasserstein_generator_loss(fake_scores)


@register_objective("wgan_gp")
def build_wgan_gp(cfg: WGANGPConfig, config: Config, info: DataInfo) -> WGANGPObjective:
    return WGANGPObjective(cfg, config, info)


# -- conditional variants ---------------------------------------------------------------------


@register_objective("acgan")
def build_acgan(cfg: ACGANConfig, config: Config, info: DataInfo) -> NonSaturatingObjective:
    require_labels(cfg.name, info, LABELLED)
    return NonSaturatingObjective(cfg, config, info, d_aux_weight=cfg.d_aux_weight,
                                  g_aux_weight=cfg.g_aux_weight, d_aux_on_fake=cfg.d_aux_on_fake)


@register_objective("wacgan")
def build_wacgan(cfg: WACGANConfig, config: Config, info: DataInfo) -> WGANGPObjective:
    require_labels(cfg.name, info, LABELLED)
    return WGANGPObjective(cfg, config, info, d_aux_weight=cfg.d_aux_weight,
                           g_aux_weight=cfg.g_aux_weight, d_aux_on_fake=cfg.d_aux_on_fake)


@register_objective("embedding")
def build_embedding(cfg: EmbeddingObjectiveConfig, config: Config,
                    info: DataInfo) -> GANObjective:
    """For G(z, e) with a projection discriminator: fakes are drawn for the batch's real
    embeddings, shuffled, and the discriminator judges image and embedding together."""
    require_labels(cfg.name, info, ("embedding",))
    variant = HingeObjective if cfg.loss == "hinge" else NonSaturatingObjective
    return variant(cfg, config, info, needs_conditional_models=True)
