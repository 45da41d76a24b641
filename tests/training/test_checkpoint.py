"""Checkpoints hold every named network, its optimizer and the averages a method keeps."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import nn

from facegan.cli import main
from facegan.config import Config
from facegan.datainfo import DataInfo
from facegan.methods.base import Sampler
from facegan.models.dcgan import DCGANConfig
from facegan.training.checkpoint import Counters, load_checkpoint, save_checkpoint
from facegan.training.trainer import Trainer


class OneNetworkSampler(Sampler):
    networks = ("a",)

    def describe(self):
        return {"name": "gan"}


def test_networks_optimizers_and_an_average_outside_sampling_come_back(tmp_path):
    torch.manual_seed(0)
    networks = {"a": nn.Linear(3, 2), "b": nn.Linear(2, 2)}
    averages = {"b": copy.deepcopy(networks["b"])}
    with torch.no_grad():
        averages["b"].weight.mul_(0.5)  # an average that differs from the trained weights
    optimizers = {name: torch.optim.Adam(net.parameters()) for name, net in networks.items()}
    networks["a"](torch.ones(1, 3)).sum().backward()
    optimizers["a"].step()
    saved = {k: copy.deepcopy(v.state_dict()) for k, v in {**networks, "avg": averages["b"]}
             .items()}
    config = Config(data=None, model=DCGANConfig(), objective=None)
    checkpoint = save_checkpoint(tmp_path, config=config, info=DataInfo("X", 8, 1),
                                 sampler=OneNetworkSampler(), networks=networks,
                                 optimizers=optimizers, rng_state={}, counters=Counters(step=3),
                                 keep=2, averages=averages)
    assert sorted(p.name for p in checkpoint.iterdir()) == [
        "a.safetensors", "b.safetensors", "b_raw.safetensors", "checkpoint.json", "config.yaml",
        "generator.json", "training_state.pt"]

    fresh = {"a": nn.Linear(3, 2), "b": nn.Linear(2, 2)}
    fresh_average = {"b": nn.Linear(2, 2)}
    fresh_optimizers = {name: torch.optim.Adam(net.parameters()) for name, net in fresh.items()}
    counters, _ = load_checkpoint(checkpoint, networks=fresh, optimizers=fresh_optimizers,
                                  averages=fresh_average)
    assert counters.step == 3
    for name in ("a", "b"):
        for key, value in saved[name].items():
            assert torch.equal(fresh[name].state_dict()[key], value), (name, key)
    assert torch.equal(fresh_average["b"].weight, saved["avg"]["weight"])
    assert fresh_optimizers["a"].state_dict()["state"][0]["step"] == 1


def test_resume_skips_damaged_checkpoints_saying_why(tiny_config, caplog):
    first = Trainer(tiny_config("train.epochs=3"), progress=False).fit()
    saved = sorted((first.run_dir / "saved_models").glob("checkpoint_*"))
    assert [p.name for p in saved] == [f"checkpoint_{s:08d}" for s in (8, 16, 24)]
    weights = saved[2] / "discriminator.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated
    (saved[1] / "training_state.pt").write_bytes(pickle.dumps(Exception("not ours")))
    with caplog.at_level("INFO", logger="facegan"):
        resumed = Trainer(tiny_config("train.epochs=4"), resume=True, progress=False)
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    assert len(skipped) == 2 and all("\n" not in m for m in skipped)
    assert "checkpoint_00000024: " in skipped[0] and "is damaged or not a safetensors" in skipped[0]
    assert "checkpoint_00000016: " in skipped[1] and "not a facegan training state" in skipped[1]
    assert "from checkpoint_00000008 (epoch 1, step 8" in caplog.text
    assert resumed.counters.step == 8
    saved_models = first.run_dir / "saved_models"
    assert {p.name for p in saved_models.glob("damaged-*")} == {
        "damaged-checkpoint_00000016", "damaged-checkpoint_00000024"}  # out of the way
    assert resumed.fit().counters.step == 32


def test_a_damaged_generator_file_is_one_line_for_generate(tiny_config, tmp_path, capsys):
    run = Trainer(tiny_config("train.epochs=1"), progress=False).fit().run_dir
    (run / "saved_models" / "generator" / "generator.safetensors").write_bytes(b"garbage")
    capsys.readouterr()  # what training logged (to a stream an earlier test may have closed)
    with pytest.raises(SystemExit) as stopped:
        main(["generate", str(run), "--grid", str(tmp_path / "out.png")])
    err = capsys.readouterr().err.strip()
    assert stopped.value.code == 2 and "\n" not in err, err
    assert "generator.safetensors is damaged or not a safetensors file" in err
    assert "use an earlier checkpoint" in err and not (tmp_path / "out.png").exists()
