"""The time budget (train.max_minutes), the learning-rate schedule and the progress methods see.

The tiny runs have 64 images in batches of 8: 8 steps an epoch, 16 planned (train.epochs=2).
Their clock is a fake one that reads 30 s per step done, so the budget falls on a known step.
"""

import json
import logging
import math

import pytest

from facegan.cli import main
from facegan.errors import FaceganError
from facegan.methods.base import scheduled_value
from facegan.runs import RunDir
from facegan.training.budget import Budget
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG
from tests.training.test_trainer import assert_same_state, state_of

SECONDS_PER_STEP = 30.0
QUIET = ("log.histograms=false", "log.tensorboard=false")


def trainer_with_step_clock(config, **kwargs) -> Trainer:
    trainer = Trainer(config, progress=False, **kwargs)
    trainer.clock = lambda: SECONDS_PER_STEP * trainer.counters.step
    return trainer


def counters_of(checkpoint):
    return json.loads((checkpoint / "checkpoint.json").read_text())


def test_the_time_budget_stops_after_the_step_that_reaches_it(tiny_config, caplog):
    config = tiny_config("train.max_minutes=2", *QUIET)  # 120 s: after step 4 of 16
    with caplog.at_level(logging.INFO, logger="facegan"):
        result = trainer_with_step_clock(config).fit()
    assert result.interrupted_by is None  # the run's own end, not a signal
    assert (result.counters.epoch, result.counters.batch_in_epoch, result.counters.step) == (
        0, 4, 4)
    assert result.checkpoint.name == "checkpoint_00000004"
    saved = counters_of(result.checkpoint)
    assert (saved["step"], saved["images_seen"], saved["elapsed"]) == (4, 32, 120.0)
    assert ("stopping: train.max_minutes=2 reached after 2.0 min of training (step 4, epoch 1); "
            "continue with --resume --set train.max_minutes=<more>") in caplog.messages
    assert (RunDir.for_config(config).saved_model / "generator.safetensors").is_file()


def test_a_budget_spent_at_an_epochs_last_step_ends_that_epoch_as_usual(tiny_config):
    config = tiny_config("train.max_minutes=4", *QUIET)  # 240 s: after step 8, epoch 1's last
    result = trainer_with_step_clock(config).fit()
    assert (result.counters.epoch, result.counters.batch_in_epoch) == (1, 0)
    assert result.checkpoint.name == "checkpoint_00000008"
    assert (RunDir.for_config(config).visualizations / "samples" / "epoch_001.png").is_file()


def test_epochs_end_a_run_before_a_larger_time_budget(tiny_config):
    result = trainer_with_step_clock(tiny_config("train.max_minutes=100", *QUIET)).fit()
    assert result.counters.step == 16


SCHEDULED = ("train.lr_schedule=cosine", "train.lr_final_fraction=0.1",
             "objective.r1_gamma=1.0", "objective.r1_every=2",
             "objective.gamma_schedule=linear", *QUIET)


def test_resuming_with_a_larger_budget_continues_exactly(tiny_config, caplog):
    # straight: 300 s = step 10; split: step 4, then on to step 10 with the larger budget
    straight = trainer_with_step_clock(
        tiny_config("train.max_minutes=5", *SCHEDULED, name="straight")).fit()
    assert straight.counters.step == 10
    trainer_with_step_clock(tiny_config("train.max_minutes=2", *SCHEDULED, name="split")).fit()

    with caplog.at_level(logging.INFO, logger="facegan"):  # the same budget: nothing to do
        again = trainer_with_step_clock(
            tiny_config("train.max_minutes=2", *SCHEDULED, name="split"), resume=True).fit()
    assert again.counters.step == 4
    assert "stopping: train.max_minutes=2 reached after 2.0 min of training (step 4, epoch " \
           "1)" in caplog.text

    resumed = trainer_with_step_clock(
        tiny_config("train.max_minutes=5", *SCHEDULED, name="split"), resume=True)
    result = resumed.fit()
    assert result.counters.step == 10 and counters_of(result.checkpoint)["elapsed"] == 300.0
    assert_same_state(state_of(straight.run_dir), state_of(result.run_dir))
    # the recipe's rates are 1e-4; cosine at 10 of 16 planned steps, to a tenth of it
    expected = 1e-4 * (0.1 + 0.9 * (1 + math.cos(math.pi * 10 / 16)) / 2)
    for optimizer in resumed.optimizers.values():
        assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("shape", "fraction", "steps", "expected"), [
    ("cosine", 0.1, 4, 1e-4 * (0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2)),  # 0.868198e-4
    ("linear", 0.0, 4, 0.75e-4),  # a quarter of the way to 0
    ("linear", 0.5, 12, 0.625e-4),  # three quarters of the way to 0.5e-4
    ("constant", 0.1, 4, 1e-4),
])
def test_the_learning_rate_after_k_steps(tiny_config, shape, fraction, steps, expected):
    config = tiny_config(f"train.max_minutes={steps * SECONDS_PER_STEP / 60}",
                         f"train.lr_schedule={shape}", f"train.lr_final_fraction={fraction}",
                         *QUIET)
    trainer = trainer_with_step_clock(config)
    assert trainer.fit().counters.step == steps
    for optimizer in trainer.optimizers.values():
        assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12)


def test_the_method_sees_the_progress_of_the_planned_run(tiny_config):
    # R1 runs on steps 2, 4, ..., 16; step k sees progress (k - 1) / 16 and a linear gamma
    # 1 - 0.9 (k - 1) / 16; one R1 step per log line of 2 steps
    config = tiny_config("objective.r1_gamma=1.0", "objective.r1_every=2",
                         "objective.gamma_schedule=linear", *QUIET)
    result = Trainer(config, progress=False).fit()
    records = [json.loads(line)
               for line in RunDir(result.run_dir).metrics_file.read_text().splitlines()]
    gammas = {r["step"]: r["r1/gamma"] for r in records if "r1/gamma" in r}
    assert gammas[2] == pytest.approx(1 - 0.9 / 16, rel=1e-6)  # 0.94375
    assert gammas[16] == pytest.approx(1 - 0.9 * 15 / 16, rel=1e-6)  # 0.15625


@pytest.mark.parametrize(("shape", "progress", "expected"), [
    ("constant", 0.7, 2.0),
    ("linear", 0.0, 2.0), ("linear", 0.5, 1.2), ("linear", 1.0, 0.4),
    ("cosine", 0.0, 2.0), ("cosine", 0.5, 1.2), ("cosine", 1.0, 0.4),
    ("cosine", 0.25, 0.4 + 1.6 * (1 + math.sqrt(0.5)) / 2),  # 1.765685
])
def test_scheduled_values_by_hand(shape, progress, expected):
    assert scheduled_value(2.0, 0.2, shape, progress) == pytest.approx(expected)


def test_progress_is_the_share_of_the_planned_steps():
    budget = Budget(planned_epochs=2, steps_per_epoch=8)
    assert [budget.progress(s) for s in (0, 4, 16, 20)] == [0.0, 0.25, 1.0, 1.0]
    assert not budget.time_spent(1e9) and not budget.images_spent(10**9)
    timed = Budget(2, 8, max_images=100, max_minutes=1.5)
    assert not timed.time_spent(89.9) and timed.time_spent(90.0)
    assert not timed.images_spent(99) and timed.images_spent(100)


def test_max_minutes_comes_from_the_command_line_and_must_be_positive(tiny_config, capsys):
    assert tiny_config("train.max_minutes=12").train.max_minutes == 12.0
    with pytest.raises(FaceganError, match="config key 'train.max_minutes': Input should be "
                                           "greater than 0"):
        tiny_config("train.max_minutes=0")
    with pytest.raises(FaceganError, match="config key 'train.lr_schedule': Input should be "
                                           "'constant', 'linear' or 'cosine'"):
        tiny_config("train.lr_schedule=step")
    with pytest.raises(SystemExit) as exited:
        main(["train", str(MNIST_CONFIG), "--set", "train.max_minutes=12", "--dry-run"])
    assert exited.value.code == 0
    assert "max_minutes: 12.0\n" in capsys.readouterr().out
