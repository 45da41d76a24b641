import torch

from facegan.training.trainer import Trainer
from tests.training.test_trainer import state_of

SHORT = ("data.limit=24", "train.epochs=1", "log.histograms=false", "log.tensorboard=false")


def test_channels_last_trains_like_the_default_layout(tiny_config):
    default = Trainer(tiny_config(*SHORT, name="default"), progress=False).fit()
    trainer = Trainer(tiny_config(*SHORT, "train.channels_last=true", name="nhwc"),
                      progress=False)
    conv_weights = [p for p in trainer.networks["discriminator"].parameters() if p.dim() == 4]
    assert conv_weights and all(p.is_contiguous(memory_format=torch.channels_last)
                                for p in conv_weights)
    channels_last = trainer.fit()
    _, weights_a, _ = state_of(default.run_dir)
    _, weights_b, _ = state_of(channels_last.run_dir)
    assert weights_a.keys() == weights_b.keys()
    for key in weights_a:
        assert torch.allclose(weights_a[key], weights_b[key], rtol=1e-4, atol=1e-5), key
