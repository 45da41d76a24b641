import math

import pytest
import torch

from facegan.conditions import shuffled_labels
from facegan.config import Config, TrainConfig, validate_section
from facegan.errors import FaceganError
from facegan.methods.base import Batch, StepContext
from facegan.models.base import GANModels
from facegan.randomness import BatchRandom
from facegan.registry import OBJECTIVES
from tests.conftest import (
    CLASS_INFO,
    EMBEDDING_INFO,
    MULTILABEL_INFO,
    UNLABELLED_INFO,
    random_labels,
    tiny_models,
)

UNCONDITIONAL = {}
AUX = {"g_condition": "embedding", "d_condition": "aux"}
PROJECTION = {"g_condition": "onehot", "d_condition": "projection"}
EMBEDDING = {"g_condition": "embedding", "d_condition": "projection"}

# (objective, its settings, data, model conditioning): every pairing that makes sense
CASES = [
    *[(name, {}, UNLABELLED_INFO, UNCONDITIONAL) for name in ("dcgan", "wgan_gp", "hinge",
                                                               "lsgan")],
    ("dcgan", {"r1_gamma": 1.0, "r1_every": 2, "real_label": 0.9}, UNLABELLED_INFO,
     UNCONDITIONAL),
    ("hinge", {}, CLASS_INFO, PROJECTION),
    ("rpgan", {"r1_gamma": 0.05, "r2_gamma": 0.05, "r1_every": 1, "r2_every": 1,
               "gamma_schedule": "cosine"}, UNLABELLED_INFO, UNCONDITIONAL),
    ("rpgan", {"r2_gamma": 1.0, "r2_every": 1}, CLASS_INFO, PROJECTION),
    ("wgan_gp", {}, MULTILABEL_INFO, PROJECTION),
    ("acgan", {}, CLASS_INFO, AUX),
    ("acgan", {"r1_gamma": 10.0}, MULTILABEL_INFO, AUX),
    ("wacgan", {}, CLASS_INFO, AUX),
    ("wacgan", {"d_aux_on_fake": True}, MULTILABEL_INFO, AUX),
    ("embedding", {}, EMBEDDING_INFO, EMBEDDING),
    ("embedding", {"loss": "non_saturating"}, EMBEDDING_INFO, PROJECTION),
]


def make_objective(name, info, num_critic_steps=1, **fields):
    cfg = validate_section(OBJECTIVES.get(name).config_class, fields, "objective")
    config = Config(data=None, model=None, objective=cfg,
                    train=TrainConfig(num_critic_steps=num_critic_steps))
    return OBJECTIVES.get(name).builder(cfg, config, info)


def train_one_step(objective, models, batch, rng):
    """What the trainer does with each phase: zero grads, compute, backward, step."""
    optimizers = {"generator": torch.optim.Adam(models.generator.parameters(), lr=1e-3),
                  "discriminator": torch.optim.Adam(models.discriminator.parameters(), lr=1e-3)}
    outputs = {}
    for phase in objective.phases:
        for name, module in models._asdict().items():
            module.requires_grad_(name == phase.updates)
        before = {name: [p.detach().clone() for p in m.parameters()]
                  for name, m in models._asdict().items()}
        optimizers[phase.updates].zero_grad(set_to_none=True)
        out = objective.compute(phase, models._asdict(), batch, StepContext(rng))
        out["loss"].backward()
        optimizers[phase.updates].step()
        for name, module in models._asdict().items():
            after = list(module.parameters())
            changed = any(not torch.equal(a, b)
                          for a, b in zip(before[name], after, strict=True))
            assert changed == (name == phase.updates), (phase.name, name)
        outputs.update({f"{phase.name}/{k}": v.item() for k, v in out.items()})
    return outputs


@pytest.mark.parametrize("model", ["dcgan", "resnet"])
@pytest.mark.parametrize(("objective", "settings", "info", "conditioning"), CASES,
                         ids=[f"{c[0]}-{c[2].label_kind}-{i}" for i, c in enumerate(CASES)])
def test_one_training_step_changes_the_weights_and_gives_finite_losses(
        model, objective, settings, info, conditioning):
    torch.manual_seed(0)
    models = tiny_models(model, info, **conditioning)
    obj = make_objective(objective, info, **settings)
    real = torch.rand(4, info.channels, 16, 16) * 2 - 1
    outputs = train_one_step(obj, models, Batch(real, random_labels(info, 4)),
                             BatchRandom.seeded(0))
    assert all(math.isfinite(v) for v in outputs.values()), outputs
    assert {"discriminator/loss", "generator/loss"} <= outputs.keys()
    for penalty in ("r1", "r2"):
        if settings.get(f"{penalty}_gamma"):
            assert outputs[f"{penalty}/penalty"] > 0
    if conditioning is AUX:
        for key in ("discriminator/aux_real", "discriminator/aux_fake",
                    "discriminator/aux_accuracy", "generator/aux", "generator/aux_accuracy"):
            assert key in outputs


def test_phases_follow_critic_steps_and_the_lazy_r1_interval():
    plain = make_objective("wgan_gp", UNLABELLED_INFO, num_critic_steps=5)
    assert [(p.name, p.updates, p.every) for p in plain.phases] == [
        ("discriminator", "discriminator", 1), ("generator", "generator", 5)]
    lazy = make_objective("hinge", UNLABELLED_INFO, r1_gamma=2.0, r1_every=8)
    assert lazy.phases[-1].name == "r1" and lazy.phases[-1].every == 8
    assert lazy.phases[-1].updates == "discriminator"


def test_r1_phase_is_scaled_by_its_interval():
    # D(x) = <w, x> has ||grad||^2 = ||w||^2 = 9, so the phase's loss is gamma/2 * 9 * every.
    class Linear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1, 2, 2))
            with torch.no_grad():
                self.w[0, 0, 0], self.w[0, 1, 1] = 2.0, math.sqrt(5.0)

        def forward(self, x, c=None):
            return (x * self.w).flatten(1).sum(1)

    objective = make_objective("dcgan", UNLABELLED_INFO, r1_gamma=4.0, r1_every=8)
    models = GANModels(torch.nn.Identity(), Linear())
    out = objective.compute(objective.phases[-1], models._asdict(),
                            Batch(torch.randn(3, 1, 2, 2), torch.full((3,), -1)),
                            StepContext(BatchRandom.seeded(0)))
    assert out["penalty"].item() == pytest.approx(9.0)
    assert out["loss"].item() == pytest.approx(4.0 / 2 * 9.0 * 8)


def test_fake_labels_are_the_real_ones_shuffled():
    labels = torch.arange(32)
    shuffled = shuffled_labels(labels, BatchRandom.seeded(0))
    assert not torch.equal(shuffled, labels)
    assert torch.equal(shuffled.sort().values, labels)
    again = shuffled_labels(labels, BatchRandom.seeded(0))
    assert torch.equal(shuffled, again)
    multi = random_labels(MULTILABEL_INFO, 8)
    rows = shuffled_labels(multi, BatchRandom.seeded(1))
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, multi.tolist()))


@pytest.mark.parametrize(("name", "info", "message"), [
    ("acgan", UNLABELLED_INFO, "objective acgan needs class or multilabel labels, but dataset "
                               "'X' has no labels"),
    ("wacgan", UNLABELLED_INFO, "objective wacgan needs class or multilabel labels"),
    ("acgan", EMBEDDING_INFO, "has embedding labels"),
    ("embedding", CLASS_INFO, "objective embedding needs face-embedding labels, but dataset "
                              "'X' has class labels"),
])
def test_conditional_objectives_refuse_data_without_their_labels(name, info, message):
    with pytest.raises(FaceganError, match=message):
        make_objective(name, info)


@pytest.mark.parametrize(("conditioning", "message"), [
    (UNCONDITIONAL, "objective acgan needs a conditional model; set model.g_condition"),
    (PROJECTION, "needs a discriminator with an auxiliary classifier; set model.d_condition=aux"),
])
def test_acgan_needs_an_auxiliary_head_and_says_so_before_training(conditioning, message):
    models = tiny_models("dcgan", CLASS_INFO, **conditioning)
    objective = make_objective("acgan", CLASS_INFO)
    with pytest.raises(FaceganError, match=message):
        objective.check(models._asdict())
    batch = Batch(torch.zeros(4, 1, 16, 16), random_labels(CLASS_INFO, 4))
    with pytest.raises(FaceganError, match="set model.d_condition=aux"):
        objective.compute(objective.phases[0], models._asdict(), batch,
                          StepContext(BatchRandom.seeded(0)))
    good = tiny_models("dcgan", CLASS_INFO, **AUX)
    good.discriminator.train()
    objective.check(good._asdict())
    assert good.discriminator.training
    make_objective("hinge", CLASS_INFO).check(models._asdict())


def test_embedding_objective_needs_an_embedding_conditioned_model():
    objective = make_objective("embedding", EMBEDDING_INFO)
    with pytest.raises(FaceganError, match="model.d_condition=projection"):
        objective.check(tiny_models("resnet", EMBEDDING_INFO)._asdict())
    objective.check(tiny_models("resnet", EMBEDDING_INFO, **EMBEDDING)._asdict())


def test_bad_r1_settings_are_refused():
    with pytest.raises(FaceganError, match="config key 'objective.r1_every': Input should be "
                                           "greater than or equal to 1"):
        make_objective("hinge", UNLABELLED_INFO, r1_gamma=1.0, r1_every=0)
