import pytest
import torch

from facegan.errors import FaceganError
from facegan.methods.gan import losses
from facegan.methods.gan.critic import TrainingCritic
from facegan.runs import RunDir
from facegan.training import precision
from facegan.training.trainer import Trainer
from tests.training.test_trainer import assert_same_state, state_of

QUIET = ("log.histograms=false", "log.tensorboard=false")


def test_fp16_on_the_cpu_is_refused_before_anything_is_written(tiny_config):
    cfg = tiny_config("train.precision=fp16", "train.device=cpu")
    with pytest.raises(FaceganError, match=r"^train.precision=fp16 needs a CUDA GPU .*; use "
                                           r"train.precision=fp32$"):
        Trainer(cfg)
    assert not RunDir.for_config(cfg).exists()


def test_bf16_is_refused_on_a_cpu_without_native_bf16(tiny_config, monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    with pytest.raises(FaceganError, match=r"bf16 would be slower than fp32 on this CPU .*; use "
                                           r"train.precision=fp32$"):
        Trainer(tiny_config("train.precision=bf16", "train.device=cpu"))


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert not precision.cpu_has_native_bf16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 amx_bf16\n")
    assert precision.cpu_has_native_bf16(cpuinfo)
    assert not precision.cpu_has_native_bf16(tmp_path / "missing")


def test_bf16_trains_under_autocast_where_allowed(tiny_config, monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    trainer = Trainer(tiny_config("train.precision=bf16", "train.device=cpu",
                                  "data.limit=16", "train.epochs=1", "log.every=1", *QUIET),
                      progress=False)
    assert trainer.precision.dtype == torch.bfloat16 and not trainer.precision.scalers
    with trainer.precision.autocast():
        assert trainer.networks["generator"](trainer.fixed_noise[:2]).dtype == torch.bfloat16
    result = trainer.fit()
    assert result.counters.step == 2
    record = trainer.reporter.last
    assert all(isinstance(record[k], float) for k in ("discriminator/loss",
                                                      "discriminator/gradient_penalty"))


def test_loss_scaled_input_gradient_survives_fp16_underflow():
    # D(x) = sum(x * 1e-4 * 1e-4) in fp16: the input gradient 1e-8 is below fp16's smallest
    # subnormal (6e-8), so unscaled it vanishes on the way back; scaled by 2^16 it survives
    # and is unscaled in float32.
    def critic(x, cond=None):
        return (x.half() * 1e-4 * 1e-4).flatten(1).sum(1)

    x = torch.randn(4, 1, 2, 2, requires_grad=True)
    assert losses.critic_input_gradient(critic(x), x).abs().max() == 0  # underflow
    scaled = losses.critic_input_gradient(critic(x), x, torch.tensor(2.0**16))
    assert scaled.dtype == torch.float32
    assert torch.allclose(scaled, torch.full_like(scaled, 1e-8), rtol=0.01)


def test_gradient_penalty_is_the_same_with_a_loss_scale():
    linear = torch.nn.Linear(4, 1)
    view = TrainingCritic(lambda x, c=None: linear(x.flatten(1))[:, 0])
    real, fake, alpha = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2), torch.rand(3)
    expected = losses.gradient_penalty(view, real, fake, alpha=alpha)
    scaled = losses.gradient_penalty(view, real, fake, alpha=alpha,
                                     grad_scale=torch.tensor(1024.0))
    assert torch.allclose(scaled, expected)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_mixed_precision_on_a_gpu_trains_and_resumes_exactly(tiny_config, dtype):
    features = (f"train.precision={dtype}", "train.device=cuda", "train.channels_last=true",
                *QUIET)
    straight = Trainer(tiny_config(*features, name="straight"), progress=False).fit()
    state = state_of(straight.run_dir)[2]
    assert bool(state["grad_scalers"]) == (dtype == "fp16")
    Trainer(tiny_config(*features, "train.epochs=1", name="split"), progress=False).fit()
    resumed = Trainer(tiny_config(*features, name="split"), resume=True, progress=False).fit()
    assert_same_state(state_of(straight.run_dir), state_of(resumed.run_dir))
