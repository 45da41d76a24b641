import json

import torch

from facegan.training import Trainer
from tests.training.test_trainer import state_of

SHORT = ("train.max_images=24", "log.histograms=false", "log.tensorboard=false")


def test_max_images_stops_mid_epoch_with_a_checkpoint(tiny_config):
    result = Trainer(tiny_config(*SHORT), progress=False).fit()
    c = result.counters
    assert (c.step, c.images_seen, c.epoch, c.batch_in_epoch) == (3, 24, 0, 3)
    assert result.interrupted_by is None and result.checkpoint.name == "checkpoint_00000003"
    last = json.loads((result.run_dir / "metrics.jsonl").read_text().splitlines()[-1])
    assert (last["step"], last["images_seen"]) == (3, 24)


def test_channels_last_trains_like_the_default_layout(tiny_config):
    default = Trainer(tiny_config(*SHORT, name="default"), progress=False).fit()
    trainer = Trainer(tiny_config(*SHORT, "train.channels_last=true", name="nhwc"),
                      progress=False)
    conv_weights = [p for p in trainer.models.discriminator.parameters() if p.dim() == 4]
    assert conv_weights and all(p.is_contiguous(memory_format=torch.channels_last)
                                for p in conv_weights)
    channels_last = trainer.fit()
    _, weights_a, _ = state_of(default.run_dir)
    _, weights_b, _ = state_of(channels_last.run_dir)
    assert weights_a.keys() == weights_b.keys()
    for key in weights_a:
        assert torch.allclose(weights_a[key], weights_b[key], rtol=1e-4, atol=1e-5), key
