"""Pipelines end to end: every cycle is a real subprocess, so these tests keep to 2-3 cycles."""

import json
import textwrap

import pytest
import torch
import yaml

from facegan.cli import main
from facegan.config import apply_overrides, read_yaml
from facegan.pipelines import format_status, read_status, run_pipeline
from facegan.training import Trainer
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
        Path(pipeline_file).write_text(
            Path(pipeline_file).read_text().replace("swap_to_b", "mark"))
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
    config = recipe()
    result = run_pipeline(config, epochs=3)
    assert (result.status, result.epoch) == ("finished", 3)
    assert_same_state(state_of(straight_run(tiny_config, 3)), state_of(result.run_dir))

    files = result.run_dir / "pipeline"
    assert [e["outcome"] for e in events(result.run_dir, "cycle")] == ["done"] * 3
    for cycle in (1, 2, 3):
        assert "attempt 1" in (files / f"cycle_{cycle:03d}.log").read_text()
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


