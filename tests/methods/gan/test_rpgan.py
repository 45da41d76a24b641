"""RpGAN with R1 and R2 (R3GAN), and the penalty weights' schedule."""

import json
import math

import pytest
import torch

from facegan.methods.base import Batch, StepContext
from facegan.methods.gan import losses
from facegan.models.base import GANModels
from facegan.randomness import BatchRandom
from facegan.runs import RunDir
from facegan.training.trainer import Trainer
from tests.conftest import UNLABELLED_INFO
from tests.methods.gan.test_objectives import make_objective

LN2, LN3, LN4 = math.log(2.0), math.log(3.0), math.log(4.0)


def test_rpgan_losses_by_hand():
    real, fake = torch.tensor([LN3, 1.0]), torch.tensor([0.0, 1.0])
    # softplus(0 - ln 3) = ln(4/3), softplus(0) = ln 2; softplus(ln 3) = ln 4
    assert losses.rpgan_discriminator_loss(real, fake).item() == pytest.approx(
        (math.log(4 / 3) + LN2) / 2)
    assert losses.rpgan_generator_loss(real, fake).item() == pytest.approx((LN4 + LN2) / 2)
    # only differences count: the same shift of every score changes nothing
    assert losses.rpgan_discriminator_loss(real + 5, fake + 5).item() == pytest.approx(
        (math.log(4 / 3) + LN2) / 2)


def test_rpgan_pairs_each_real_image_with_its_own_fake():
    real = torch.tensor([LN3, 0.0])
    paired = losses.rpgan_discriminator_loss(real, torch.tensor([0.0, LN3]))
    swapped = losses.rpgan_discriminator_loss(real, torch.tensor([LN3, 0.0]))
    assert paired.item() == pytest.approx((math.log(4 / 3) + LN4) / 2)
    assert swapped.item() == pytest.approx(LN2)  # every pair even


def test_r2_penalty_is_taken_at_the_fakes():
    # D(x) = ||x||^2 / 2 has input gradient x: the penalty is mean ||fake_i||^2
    def critic(x, cond=None):
        return 0.5 * x.flatten(1).pow(2).sum(1)

    fake = torch.ones(2, 1, 2, 2)
    fake[1] *= 2  # ||fake||^2 = 4 and 16
    assert losses.r2_penalty(critic, fake).item() == pytest.approx(10.0)
    assert losses.r2_penalty(critic, torch.zeros(2, 1, 2, 2)).item() == 0.0


def test_r2_penalty_of_a_linear_critic_reaches_its_weights():
    # D(x, c) = c <w, x>: gradient c w, penalty mean(c^2) ||w||^2, d/dw = 2 mean(c^2) w
    w = torch.zeros(1, 2, 2)
    w[0, 0, 0], w[0, 1, 1] = 2.0, math.sqrt(5.0)  # ||w||^2 = 9
    w.requires_grad_(True)
    penalty = losses.r2_penalty(lambda x, c: c * (x * w).flatten(1).sum(1),
                                torch.randn(2, 1, 2, 2), torch.tensor([1.0, 2.0]))
    assert penalty.item() == pytest.approx((9 + 36) / 2, rel=1e-6)
    penalty.backward()
    assert torch.allclose(w.grad, 2 * 2.5 * w.detach())


class LinearCritic(torch.nn.Module):
    """D(x) = <w, x> with ||w||^2 = 9, on (N, 1, 2, 2) images."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1, 2, 2))
        with torch.no_grad():
            self.w[0, 0, 0], self.w[0, 1, 1] = 2.0, math.sqrt(5.0)

    def forward(self, x, c=None):
        return (x * self.w).flatten(1).sum(1)


class BlankGenerator(torch.nn.Module):
    """Draws black (zero) 2x2 images: every fake scores 0 under `LinearCritic`."""

    latent_dim = 3
    conditional = False

    def forward(self, z, c=None):
        return torch.zeros(len(z), 1, 2, 2)


def rpgan_step(phase_name, **settings):
    objective = make_objective("rpgan", UNLABELLED_INFO, **settings)
    phase = next(p for p in objective.phases if p.name == phase_name)
    real = torch.zeros(2, 1, 2, 2)
    real[0, 0, 0, 0] = LN3 / 2  # scores ln 3 and 0
    networks = GANModels(BlankGenerator(), LinearCritic())._asdict()
    return phase, objective.compute(phase, networks, Batch(real, torch.full((2,), -1)),
                                    StepContext(BatchRandom.seeded(0), progress=0.5))


def test_rpgan_objective_phases_and_losses_by_hand():
    settings = {"r1_gamma": 0.05, "r2_gamma": 0.05, "r1_every": 1, "r2_every": 4}
    objective = make_objective("rpgan", UNLABELLED_INFO, **settings)
    assert [(p.name, p.updates, p.every) for p in objective.phases] == [
        ("discriminator", "discriminator", 1), ("generator", "generator", 1),
        ("r1", "discriminator", 1), ("r2", "discriminator", 4)]
    # reals score (ln 3, 0), fakes 0
    _, d = rpgan_step("discriminator", **settings)
    assert d["loss"].item() == pytest.approx((math.log(4 / 3) + LN2) / 2)
    assert d["real_minus_fake"].item() == pytest.approx(LN3 / 2)
    _, g = rpgan_step("generator", **settings)  # the generator step judges against the reals
    assert g["loss"].item() == pytest.approx((LN4 + LN2) / 2)
    # ||grad D||^2 = ||w||^2 = 9 at the fakes: gamma / 2 * 9 * r2_every
    _, r2 = rpgan_step("r2", **settings)
    assert r2["penalty"].item() == pytest.approx(9.0)
    assert r2["loss"].item() == pytest.approx(0.05 / 2 * 9.0 * 4)
    assert make_objective("rpgan", UNLABELLED_INFO).phases[-1].name == "generator"  # 0: off


@pytest.mark.parametrize(("shape", "gamma"), [
    ("constant", 4.0),
    ("linear", 3.0),  # halfway from 4 to 2
    ("cosine", 3.0),  # half a cosine: halfway too at progress 0.5
])
def test_the_penalty_weight_follows_its_schedule(shape, gamma):
    phase, out = rpgan_step("r1", r1_gamma=4.0, r1_every=8, gamma_schedule=shape,
                            gamma_final_fraction=0.5)
    assert out["penalty"].item() == pytest.approx(9.0)
    assert out["loss"].item() == pytest.approx(gamma / 2 * 9.0 * 8)
    assert ("gamma" in out) == (shape != "constant")


def test_a_quarter_of_a_cosine_gamma_schedule():
    objective = make_objective("hinge", UNLABELLED_INFO, r1_gamma=4.0, r1_every=1,
                               gamma_schedule="cosine", gamma_final_fraction=0.5)
    networks = GANModels(BlankGenerator(), LinearCritic())._asdict()
    out = objective.compute(objective.phases[-1], networks,
                            Batch(torch.zeros(2, 1, 2, 2), torch.full((2,), -1)),
                            StepContext(BatchRandom.seeded(0), progress=0.25))
    gamma = 2.0 + 2.0 * (1 + math.cos(math.pi / 4)) / 2  # 3.707107
    assert out["gamma"].item() == pytest.approx(gamma)
    assert out["loss"].item() == pytest.approx(gamma / 2 * 9.0)


def test_an_rpgan_recipe_trains_with_finite_losses(tiny_config):
    config = tiny_config("objective={name: rpgan, r1_gamma: 0.05, r2_gamma: 0.05, r1_every: 1, "
                         "r2_every: 2, gamma_schedule: cosine}", "train.num_critic_steps=1",
                         "train.epochs=1", "data.limit=32", "log.every=1",
                         "log.histograms=false", "log.tensorboard=false", name="rpgan")
    result = Trainer(config, progress=False).fit()
    assert result.counters.step == 4
    records = [json.loads(line)
               for line in RunDir(result.run_dir).metrics_file.read_text().splitlines()]
    keys = ("discriminator/loss", "generator/loss", "r1/penalty", "r2/penalty", "r2/gamma")
    for key in keys:
        values = [r[key] for r in records if key in r]
        assert values and all(math.isfinite(v) for v in values), key
    assert len([r for r in records if "r2/penalty" in r]) == 2  # steps 2 and 4
