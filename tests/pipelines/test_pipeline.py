"""Pipelines end to end: every cycle is a real subprocess, so these tests keep to 2-3 cycles."""

import json
import textwrap

import pytest
import torch
import yaml

from facegan.cli import main
from facegan.config import apply_overrides, read_yaml
from facegan.pipelines import format_status, read_status, run_pipeline
from facegan.pipelines.orchestrator import Pipeline
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG, TINY
from tests.training.test_trainer import assert_same_state, state_of

QUICK = ("log.histograms=false", "log.tensorboard=false", "log.progress=false")

STAGES = textwrap.dedent('''
    import os, signal, time
    from pathlib import Path

    import yaml


    def mark(context, tag):
        (context.run.path / f"mark_{tag}_{context.cycle}").touch()


    def swap_to_b(context, pipeline_file, config_file):
        mark(context, "a")
        stages = {"post_epoch": [{"use": "piped_stages:mark", "options": {"tag": "b"}}]}
        Path(pipeline_file).write_text(yaml.safe_dump({"stages": stages}))
        raw = yaml.safe_load(Path(config_file).read_text())
        raw["train"]["g_lr"] = 0.0005
        Path(config_file).write_text(yaml.safe_dump(raw))


    def widen_generator(context, config_file):
        raw = yaml.safe_load(Path(config_file).read_text())
        raw["model"]["g_width"] = 16
        Path(config_file).write_text(yaml.safe_dump(raw))


    def boom(context):
        raise RuntimeError(f"boom in cycle {context.cycle}")


    def stop_once(context):
        marker = context.run.path / "stopped_once"
        if not marker.exists():
            marker.touch()
            os.kill(os.getppid(), signal.SIGINT)  # as Ctrl+C on the orchestrator
            time.sleep(30)  # the orchestrator forwards the signal, which ends this sleep
''')


@pytest.fixture
def recipe(tmp_path, mnist_dir, monkeypatch):
    """Write a tiny MNIST recipe (and optionally its pipeline file) to tmp; stages live in the
    importable module ``piped_stages``."""
    (tmp_path / "piped_stages.py").write_text(STAGES)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))

    def make(*overrides: str, post_epoch=None, retries: int = 2, name: str = "piped"):
        raw = apply_overrides(read_yaml(MNIST_CONFIG), [
            *TINY, *QUICK, f"data.root={mnist_dir}", f"run.root={tmp_path / 'models'}",
            f"run.name={name}", *overrides])
        config = tmp_path / f"{name}.yaml"
        config.write_text(yaml.safe_dump(raw))
        if post_epoch is not None:
            pipeline = {"retries": retries, "stages": {"post_epoch": post_epoch}}
            config.with_name(f"{name}.pipeline.yaml").write_text(yaml.safe_dump(pipeline))
        return config

    return make


def straight_run(tiny_config, epochs):
    cfg = tiny_config(*QUICK, f"train.epochs={epochs}", name="straight")
    return Trainer(cfg, progress=False).fit().run_dir


def events(run_dir, kind):
    lines = (run_dir / "pipeline" / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == kind]


def test_three_cycles_give_the_weights_of_three_epochs_in_one_process(recipe, tiny_config,
                                                                      capsys):
    # an end-of-epoch callback as a post-epoch stage, though the run's config turns it off
    config = recipe(post_epoch=[{"use": "histograms", "every": 2}])
    result = run_pipeline(config, epochs=3)
    assert (result.status, result.epoch) == ("finished", 3)
    assert_same_state(state_of(straight_run(tiny_config, 3)), state_of(result.run_dir))
    histograms = sorted(p.name for p in (result.run_dir / "visualizations/histograms").iterdir())
    assert histograms == ["epoch_002.png", "epoch_003.png"]  # every 2nd, and the last

    files = result.run_dir / "pipeline"
    assert [e["outcome"] for e in events(result.run_dir, "cycle")] == ["done"] * 3
    for cycle in (1, 2, 3):
        log_text = (files / f"cycle_{cycle:03d}.log").read_text()
        assert "attempt 1" in log_text and "Warning" not in log_text
        assert f"epoch {cycle}/3 done" in log_text  # counted as the pipeline counts
        timing = json.loads((files / f"cycle_{cycle:03d}.json").read_text())
        assert timing["epoch"] == cycle and set(timing["seconds"]) == {
            "startup", "load", "train", "post"}
    assert not list(result.run_dir.parent.glob("*.log"))  # the first log moved into the run

    status = read_status(result.run_dir)
    assert (status.state, status.epochs_done, status.final_epoch) == ("finished", 3, 3)
    assert [r["epoch"] for r in status.recent] == [1, 2, 3]
    with pytest.raises(SystemExit) as info:
        main(["pipeline", "status", str(result.run_dir)])
    assert info.value.code is None or info.value.code == 0
    shown = capsys.readouterr().out
    assert "3/3 done" in shown and "g_lr=0.0001" in shown and "epoch 3" in shown

    again = run_pipeline(config, epochs=3)  # nothing left to do: no cycle runs
    assert (again.status, again.epoch) == ("finished", 3)
    assert len(events(result.run_dir, "cycle")) == 3




def test_a_stage_swapped_between_cycles_takes_effect_at_the_next_cycle(recipe, tmp_path):
    files = {"pipeline_file": str(tmp_path / "piped.pipeline.yaml"),
             "config_file": str(tmp_path / "piped.yaml")}
    config = recipe(post_epoch=[{"use": "piped_stages:swap_to_b", "options": files}])
    result = run_pipeline(config, epochs=2)
    assert (result.status, result.epoch) == ("finished", 2)
    marks = sorted(p.name for p in result.run_dir.glob("mark_*"))
    assert marks == ["mark_a_1", "mark_b_2"]  # cycle 1 ran the old stage, cycle 2 the new one

    [change] = events(result.run_dir, "settings")
    assert change["cycle"] == 2
    assert change["changes"]["train.g_lr"] == [1e-4, 5e-4]
    assert [s["use"] for s in change["changes"]["stages.post_epoch"][1]] == ["piped_stages:mark"]
    state = torch.load(sorted((result.run_dir / "saved_models").glob("checkpoint_*"))[-1]
                       / "training_state.pt", weights_only=True)
    assert state["optimizers"]["generator"]["param_groups"][0]["lr"] == 5e-4
    assert state["optimizers"]["discriminator"]["param_groups"][0]["lr"] == 1e-4
    assert "g_lr: 0.0005" in (result.run_dir / "config.yaml").read_text()


def test_an_architecture_change_is_refused_and_the_previous_settings_stay(recipe, tmp_path):
    config = recipe(post_epoch=[{"use": "piped_stages:widen_generator",
                                 "options": {"config_file": str(tmp_path / "piped.yaml")}}])
    result = run_pipeline(config, epochs=2)
    assert (result.status, result.epoch) == ("finished", 2)
    [refused] = events(result.run_dir, "refused")  # logged once, not at every cycle
    assert refused["cycle"] == 2
    assert refused["reason"].startswith("model.g_width changed from 8 to 16; the checkpoint's "
                                        "architecture and run directory are fixed")
    generator = json.loads((result.run_dir / "saved_models" / "generator" / "generator.json")
                           .read_text())
    assert generator["model"]["g_width"] == 8 and generator["epoch"] == 2
    assert "refused    at cycle 2: model.g_width" in format_status(read_status(result.run_dir))


def test_a_crashing_cycle_is_retried_then_reported(recipe):
    config = recipe(post_epoch=["piped_stages:boom"], retries=1)
    result = run_pipeline(config, epochs=2)
    assert (result.status, result.epoch) == ("failed", 0)
    assert result.message.startswith("cycle 1 crashed 2 times; see ")
    assert result.log == result.run_dir / "pipeline" / "cycle_001.log"
    log = result.log.read_text()
    assert "attempt 1" in log and "attempt 2" in log
    assert log.count("RuntimeError: boom in cycle 1") == 2
    attempts = events(result.run_dir, "cycle")
    assert [(e["cycle"], e["attempt"], e["outcome"]) for e in attempts] == [
        (1, 1, "crashed"), (1, 2, "crashed")]
    assert read_status(result.run_dir).state == "failed"


def test_the_pipeline_resumes_after_being_stopped(recipe, tiny_config):
    config = recipe(post_epoch=["piped_stages:stop_once"])
    stopped = run_pipeline(config, epochs=2)
    assert (stopped.status, stopped.epoch) == ("stopped", 0)  # cycle 1's stages did not finish

    resumed = run_pipeline(config, epochs=2)
    assert (resumed.status, resumed.epoch) == ("finished", 2)
    assert [(e["cycle"], e["outcome"]) for e in events(resumed.run_dir, "cycle")] == [
        (1, "stopped"), (1, "done"), (2, "done")]
    assert_same_state(state_of(straight_run(tiny_config, 2)), state_of(resumed.run_dir))


def test_files_that_do_not_validate_are_refused_and_the_previous_settings_stay(recipe):
    config = recipe(post_epoch=["samples"])
    pipeline = Pipeline(config, epochs=2)
    before = pipeline.in_force
    pipeline_file = config.with_name("piped.pipeline.yaml")

    pipeline_file.write_text("stages: {post_epoch: [sampels]}\n")
    assert pipeline.refresh(2).startswith("unknown pipeline stage 'sampels'; valid choices: "
                                          "keep_generator, samples, train_epoch")
    pipeline_file.write_text("stages: {post_epoch: [{use: samples, options: {n: 0}}]}\n")
    assert "samples.options.n" in pipeline.refresh(2)
    pipeline_file.write_text("stages: {post_epoch: [no_such_module:stage]}\n")
    assert "module no_such_module not found" in pipeline.refresh(2)
    pipeline_file.write_text("stages: {post_epoch: [samples]}\n")
    assert pipeline.refresh(2) is None
    config.write_text(config.read_text().replace("image_size: 32", "image_size: 64"))
    assert pipeline.refresh(2).startswith("data.image_size changed from 32 to 64")
    config.write_text("train: {g_lr: [")  # saved half-way through an edit
    assert "is not valid YAML" in pipeline.refresh(2)
    assert pipeline.in_force == before


def test_cli_pipeline_status_errors_are_one_line(tmp_path, capsys):
    for args, expected in ((["pipeline", "status"], "needs a run directory"),
                           (["pipeline", "status", str(tmp_path)], "has no pipeline/events.jsonl")):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1
