import json

import pytest
import torch
from safetensors.torch import load_file

from facegan.errors import FaceganError
from facegan.methods.gan.objectives import WGANGPObjective
from facegan.training.guard import NonFiniteError, check_weights
from facegan.training.trainer import Trainer

QUIET = ("log.histograms=false", "log.tensorboard=false")


def inject_nan(monkeypatch, at_call: int) -> None:
    """Make the objective's ``at_call``-th compute return a NaN loss."""
    compute = WGANGPObjective.compute
    calls = {"n": 0}

    def compute_with_nan(self, phase, models, batch, rng):
        calls["n"] += 1
        outputs = compute(self, phase, models, batch, rng)
        if calls["n"] == at_call:
            outputs["loss"] = outputs["loss"] * float("nan")
        return outputs

    monkeypatch.setattr(WGANGPObjective, "compute", compute_with_nan)


@pytest.mark.parametrize(("check_each_step", "where"), [
    (True, "at step 10"),  # the CPU default
    (False, "between steps 9 and 10"),  # as on a GPU: checked when the stats are flushed
])
def test_a_nan_loss_stops_restores_the_last_good_checkpoint_and_says_so(
        tiny_config, monkeypatch, check_each_step, where):
    # 8 steps per epoch, the critic every step and the generator every 2nd: the generator's
    # call in step 10 is the 15th.
    inject_nan(monkeypatch, at_call=15)
    cfg = tiny_config(*QUIET)
    trainer = Trainer(cfg, progress=False)
    trainer.check_each_step = check_each_step
    with pytest.raises(FaceganError, match=(
            rf"^training diverged: non-finite generator/loss \(nan\) {where}; restored "
            r"checkpoint_00000008 \(epoch 1, step 8\); lower the learning rates and continue "
            r"with --resume --set train.d_lr=5e-05 --set train.g_lr=5e-05$")):
        trainer.fit()

    run = trainer.run
    assert (trainer.counters.step, trainer.counters.epoch) == (8, 1)
    saved = load_file(run.saved_models / "checkpoint_00000008" / "discriminator.safetensors")
    for key, value in trainer.networks["discriminator"].state_dict().items():
        assert torch.equal(value, saved[key]), key  # the weights in memory went back too
    assert sorted(p.name for p in run.saved_models.glob("checkpoint_*")) == [
        "checkpoint_00000008"]
    steps = [json.loads(line)["step"] for line in run.metrics_file.open()]
    assert steps == [2, 4, 6, 8]  # the diverged stretch is forgotten

    monkeypatch.undo()
    resumed = Trainer(tiny_config(*QUIET, "train.d_lr=5e-05", "train.g_lr=5e-05"), resume=True,
                      progress=False)
    assert [g["lr"] for o in resumed.optimizers.values() for g in o.param_groups] == [5e-05] * 2


def test_a_nan_before_the_first_checkpoint_says_to_start_again(tiny_config, monkeypatch):
    inject_nan(monkeypatch, at_call=3)
    with pytest.raises(FaceganError, match=r"non-finite generator/loss \(nan\) at step 2, "
                                           r"before the first checkpoint; start again"):
        Trainer(tiny_config(*QUIET), progress=False).fit()


def test_check_weights_names_the_model_with_non_finite_weights():
    healthy, broken = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    with torch.no_grad():
        broken.bias[1] = float("inf")
    check_weights({"generator": healthy}, step=3)
    with pytest.raises(NonFiniteError, match=r"non-finite discriminator weights .* at step 3"):
        check_weights({"generator": healthy, "discriminator": broken}, step=3)
