"""Checkpoints hold every named network, its optimizer and the averages a method keeps."""

from __future__ import annotations

import copy

import torch
from torch import nn

from facegan.config import Config
from facegan.datainfo import DataInfo
from facegan.methods.base import Sampler
from facegan.models.dcgan import DCGANConfig
from facegan.training.checkpoint import Counters, load_checkpoint, save_checkpoint


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
