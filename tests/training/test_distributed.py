"""Training under torchrun: two CPU processes (gloo) compute what one process computes on the
same global batch, resume bit for bit, write files once, and stop together."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from facegan.config import apply_overrides, load_config, read_yaml
from facegan.pipelines import run_pipeline
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG, REPO, TINY

ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
# Networks without batch norm, whose per-sample losses make one global batch's gradient the
# mean of the processes' gradients; 64 digits = 8 global batches of 8 an epoch.
NO_BATCH_NORM = ("model.g_norm=none", "log.histograms=false", "log.tensorboard=true",
                 "train.num_critic_steps=2")
WGAN_DIFFAUGMENT = ("train.diffaugment=color,translation,cutout",)
ACGAN_CONFIG = REPO / "configs" / "mnist_acgan.yaml"
ACGAN_R1 = ("objective.r1_gamma=1.0", "objective.r1_every=3")  # r1 leaves the aux head unused


def overrides(tmp_root: Path, mnist_dir: Path, name: str, *extra: str) -> list[str]:
    return [*TINY, *NO_BATCH_NORM, f"data.root={mnist_dir}", f"run.root={tmp_root}",
            f"run.name={name}", *extra]


def torchrun(*args: str, script: list[str] | None = None, wait: bool = True):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node=2", *(script or ["-m", "facegan"]), *args]
    process = subprocess.Popen(command, env=ENV, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    if not wait:
        return process
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


def train_args(settings: list[str], *flags: str, recipe: Path = MNIST_CONFIG) -> list[str]:
    return ["train", str(recipe), "--no-progress", *flags,
            *(item for s in settings for item in ("--set", s))]


def last_checkpoint(run_dir: Path) -> Path:
    return sorted((run_dir / "saved_models").glob("checkpoint_*"))[-1]


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return {f"{f.stem}.{k}": v for f in sorted(checkpoint.glob("*.safetensors"))
            for k, v in load_file(f).items()}


def losses(run_dir: Path) -> list[dict[str, float]]:
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if "/" in k and not k.startswith(("eval", "time"))}
            for r in records]


def single_process(settings: list[str], recipe: Path = MNIST_CONFIG) -> Path:
    config = load_config(recipe, [*settings, "train.batch_size=8"])
    return Trainer(config, progress=False).fit().run_dir


@pytest.fixture(scope="module")
def wgan_runs(tmp_path_factory, mnist_dir):
    """The same WGAN-GP + DiffAugment training, 2 epochs: 2 processes x batch 4, 1 x 8."""
    root = tmp_path_factory.mktemp("ddp")
    two = overrides(root, mnist_dir, "two", *WGAN_DIFFAUGMENT, "train.batch_size=4")
    code, output = torchrun(*train_args(two))
    assert code == 0, output
    one = single_process(overrides(root, mnist_dir, "one", *WGAN_DIFFAUGMENT))
    return root / "MNIST" / "two", one, output


def assert_same_training(two: Path, one: Path, atol: float = 1e-5) -> None:
    a, b = weights(last_checkpoint(two)), weights(last_checkpoint(one))
    assert a.keys() == b.keys() and a
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=atol, msg=key)
    logged_two, logged_one = losses(two), losses(one)
    assert len(logged_two) == len(logged_one) > 0  # rank 1 appended no lines of its own
    for row_two, row_one in zip(logged_two, logged_one, strict=True):
        assert row_two.keys() == row_one.keys()
        for key in row_two:  # the logged values are the global batch's, not rank 0's
            assert row_two[key] == pytest.approx(row_one[key], rel=1e-4, abs=1e-5), key


def test_two_processes_train_as_one_with_gradient_penalty_and_diffaugment(wgan_runs):
    two, one, output = wgan_runs
    assert_same_training(two, one)
    counters = json.loads((last_checkpoint(two) / "checkpoint.json").read_text())
    assert counters["step"] == 16 and counters["images_seen"] == 128  # global batches
    assert "2 processes x train.batch_size 4 = global batch 8" in output
    assert output.count("trained 2 epochs (16 steps, 128 images)") == 1  # the main process
    assert len(list((two / "tensorboard").iterdir())) == 1  # one writer, rank 0's


def test_two_processes_train_an_acgan_with_r1_as_one_and_evaluate_it_as_one(
        tmp_path, mnist_dir, trained_classifier):
    evaluation = ("eval.every=1", "eval.metrics=[fid,acc]", "eval.num_samples=48",
                  "eval.num_real=48", "eval.best_metric=null",
                  f"eval.features_weights={trained_classifier.directory}")
    two = overrides(tmp_path, mnist_dir, "two", *ACGAN_R1, *evaluation, "train.batch_size=4",
                    "train.epochs=1")
    code, output = torchrun(*train_args(two, recipe=ACGAN_CONFIG))
    assert code == 0, output
    one = single_process(overrides(tmp_path, mnist_dir, "one", *ACGAN_R1, *evaluation,
                                   "train.epochs=1"), recipe=ACGAN_CONFIG)
    assert_same_training(tmp_path / "MNIST" / "two", one)
    scores = [{k: v for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
               for k, v in r.items() if k.startswith("eval/") and isinstance(v, float)
               and k != "eval/seconds"}
              for run in (tmp_path / "MNIST" / "two", one)]
    assert {"eval/fid", "eval/accuracy"} <= scores[0].keys() == scores[1].keys()
    for key, value in scores[0].items():  # the FID of a one-process evaluation
        assert value == pytest.approx(scores[1][key], rel=1e-3, abs=1e-4), key


DDPM_CONFIG = REPO / "configs" / "mnist_ddpm.yaml"
TINY_DDPM = ("model.block_out_channels=[8,16]", "model.attention_levels=[1]",
             "model.layers_per_block=1", "data.image_size=16", "data.limit=32",
             "data.download=false", "objective.num_train_timesteps=20",
             "objective.sampling_steps=2", "train.epochs=2", "log.every=1", "log.num_samples=4",
             "log.histograms=false", "log.tensorboard=false")


def test_two_processes_train_a_conditional_ddpm_as_one(tmp_path, mnist_dir):
    """Timesteps, noise and the label dropout of classifier-free guidance drawn for the global
    batch; the UNet's group norm is per image, so the gradients average exactly."""
    pytest.importorskip("diffusers")
    common = (f"data.root={mnist_dir}", f"run.root={tmp_path}", *TINY_DDPM)
    code, output = torchrun(*train_args([*common, "run.name=two", "train.batch_size=4"],
                                        recipe=DDPM_CONFIG))
    assert code == 0, output
    one = single_process([*common, "run.name=one"], recipe=DDPM_CONFIG)
    # The logged losses (every step) agree to float rounding, so every draw is the same; the
    # weights less closely: Adam's first steps move each weight by about lr * sign(gradient),
    # so the weights whose gradient is near 0 (1-2% here, mostly the time embedding's) flip
    # with the order of the additions. The bound is that flip, 2 lr per step for 8 steps.
    assert_same_training(tmp_path / "MNIST" / "two", one, atol=2 * 2e-4 * 8)


def test_resume_with_two_processes_is_bit_exact(wgan_runs, tmp_path, mnist_dir):
    straight, _, _ = wgan_runs
    settings = overrides(tmp_path, mnist_dir, "two", *WGAN_DIFFAUGMENT, "train.batch_size=4")
    code, output = torchrun(*train_args([*settings, "train.epochs=1"]))
    assert code == 0, output
    code, output = torchrun(*train_args(settings, "--resume"))
    assert code == 0, output
    resumed = weights(last_checkpoint(tmp_path / "MNIST" / "two"))
    expected = weights(last_checkpoint(straight))
    assert resumed.keys() == expected.keys()
    for key in expected:
        assert torch.equal(resumed[key], expected[key]), key

    # A different number of processes cannot continue exactly: said in one line.
    one = load_config(MNIST_CONFIG, [*settings, "train.epochs=3"])
    with pytest.raises(Exception, match="written by 2 training process"):
        Trainer(one, resume=True, progress=False)


def test_a_nan_on_one_rank_stops_both_and_restores_the_checkpoint(tmp_path, mnist_dir):
    settings = overrides(tmp_path, mnist_dir, "nan", "train.batch_size=4", "train.epochs=3")
    code, output = torchrun(*train_args(settings),
                            script=[str(REPO / "tests" / "training" / "nan_on_rank1.py")])
    assert code != 0
    # both processes stop with the guard's one line, after going back to epoch 1's checkpoint
    assert output.count("training diverged:") == 2, output
    assert output.count("restored checkpoint_00000008 (epoch 1, step 8)") == 2, output
    assert "src/facegan" not in output  # no traceback through our code (torchrun prints its
    # own summary of the failed workers)


def rank_process(parent: int, rank: int) -> int:
    """The pid of torchrun's worker with ``RANK=rank``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if ppid == parent and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    raise AssertionError(f"no worker with RANK={rank}")


def started_job(settings: list[str], run_dir: Path) -> subprocess.Popen:
    """A 2-process training job, once it has written its first checkpoint."""
    job = torchrun(*train_args(settings), wait=False)
    deadline = time.monotonic() + 300
    while not list((run_dir / "saved_models").glob("checkpoint_*")):
        assert job.poll() is None, job.communicate()[0]
        assert time.monotonic() < deadline, "no checkpoint within 300 s"
        time.sleep(0.2)
    return job


def test_a_killed_process_ends_the_job_and_the_run_resumes(tmp_path, mnist_dir):
    settings = overrides(tmp_path, mnist_dir, "killed", "train.batch_size=4",
                         "train.epochs=500", "train.dist_timeout=30")
    run_dir = tmp_path / "MNIST" / "killed"
    job = started_job(settings, run_dir)
    os.kill(rank_process(job.pid, 1), signal.SIGKILL)
    started = time.monotonic()
    output, _ = job.communicate(timeout=120)
    assert job.returncode != 0
    assert time.monotonic() - started < 60, output  # within the 30 s timeout and the teardown
    assert "another process stopped or stalled; resume the run" in output

    saved = json.loads((last_checkpoint(run_dir) / "checkpoint.json").read_text())
    finish = saved["epoch"] + 1
    code, output = torchrun(*train_args([*settings, f"train.epochs={finish}"], "--resume"))
    assert code == 0, output
    assert f"trained {finish} epochs ({finish * 8} steps" in output


def test_sigterm_to_the_job_saves_once_and_every_process_exits(tmp_path, mnist_dir):
    settings = overrides(tmp_path, mnist_dir, "stopped", "train.batch_size=4",
                         "train.epochs=500")
    run_dir = tmp_path / "MNIST" / "stopped"
    job = started_job(settings, run_dir)
    time.sleep(0.5)  # into a later epoch
    job.send_signal(signal.SIGTERM)  # torchrun passes it to both processes
    output, _ = job.communicate(timeout=120)
    assert output.count("SIGTERM: saved") == 1, output
    saved = json.loads((last_checkpoint(run_dir) / "checkpoint.json").read_text())
    assert saved["batch_in_epoch"] > 0 or saved["epoch"] > 1  # saved where it stopped
    assert saved["images_seen"] == saved["step"] * 8  # (resuming: the killed-process test)


def test_a_pipeline_cycle_under_torchrun_gives_the_weights_of_a_straight_job(
        wgan_runs, tmp_path, mnist_dir, monkeypatch):
    straight, _, _ = wgan_runs
    settings = overrides(tmp_path, mnist_dir, "two", *WGAN_DIFFAUGMENT, "train.batch_size=4")
    recipe = tmp_path / "two.yaml"
    recipe.write_text(yaml.safe_dump(apply_overrides(read_yaml(MNIST_CONFIG), settings)))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    result = run_pipeline(recipe, epochs=1, nproc_per_node=2)  # later cycles resume as in
    assert (result.status, result.epoch) == ("finished", 1), result.message  # the test above
    cycle = json.loads((result.run_dir / "pipeline" / "cycle_001.json").read_text())
    assert cycle["images_seen"] == 64 and cycle["step"] == 8
    piped = weights(last_checkpoint(result.run_dir))
    expected = weights(straight / "saved_models" / "checkpoint_00000008")
    assert piped.keys() == expected.keys()
    for key in expected:
        assert torch.equal(piped[key], expected[key]), key


def test_a_signal_to_one_process_stops_every_process_at_the_same_step(tmp_path, mnist_dir):
    settings = overrides(tmp_path, mnist_dir, "one_signal", "train.batch_size=4",
                         "train.epochs=500")
    run_dir = tmp_path / "MNIST" / "one_signal"
    job = started_job(settings, run_dir)
    os.kill(rank_process(job.pid, 1), signal.SIGTERM)  # rank 1 alone, as a scheduler might
    output, _ = job.communicate(timeout=120)
    assert "a stop in another process: saved" in output, output  # rank 0 says so
    assert "trained" not in output  # neither process reports a finished training
    saved = json.loads((last_checkpoint(run_dir) / "checkpoint.json").read_text())
    assert saved["images_seen"] == saved["step"] * 8
