"""The ddpm method and its sampler on tiny UNets (8-16 channels, 16 px, 20 timesteps)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from facegan.config import config_from_dict
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.methods.base import Batch, SamplingModel, StepContext, build_method
from facegan.methods.diffusion.sampler import DiffusionSampler, DiffusionSamplerConfig
from facegan.models.unet import Denoiser, UNetConfig
from facegan.randomness import BatchRandom
from facegan.sampling import generate_images, load_model
from facegan.training.trainer import Trainer
from facegan.viz.report import write_report

pytest.importorskip("diffusers")

CLASSES = DataInfo("MNIST", 16, 1, tuple("0123456789"), "class")
TINY_UNET = {"name": "unet", "block_out_channels": [8, 16], "attention_levels": [1],
             "layers_per_block": 1}


def ddpm_config(root, name="ddpm", epochs=2, **objective):
    return config_from_dict({
        "run": {"root": str(root), "name": name},
        "data": {"name": "mnist", "download": False, "limit": 32, "image_size": 16},
        "model": TINY_UNET,
        "objective": {"name": "ddpm", "num_train_timesteps": 20, "sampling_steps": 4,
                      **objective},
        "train": {"epochs": epochs, "batch_size": 8},
        "log": {"every": 2, "num_samples": 4, "progress": False, "histograms": False,
                "tensorboard": False},
    })


class Zero(torch.nn.Module):
    """A denoiser that predicts 0: the loss is then the mean square of the target."""

    conditional = False

    def forward(self, x, t, c=None, drop=None):
        return torch.zeros_like(x)


@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction"])
def test_the_loss_is_the_mse_to_the_noise_or_the_velocity(tmp_path, prediction):
    method = build_method(ddpm_config(tmp_path, prediction_type=prediction), CLASSES)
    real = torch.rand(3, 1, 16, 16) * 2 - 1
    out = method.compute(method.phases[0], {"denoiser": Zero()},
                         Batch(real, torch.zeros(3, dtype=torch.long)),
                         StepContext(BatchRandom.seeded(5)))
    rng = torch.Generator().manual_seed(5)  # the draws the method makes, in its order
    t = torch.randint(0, 20, (3,), generator=rng)
    noise = torch.randn(real.shape, generator=rng)
    if prediction == "epsilon":
        target = noise
    else:  # by hand: v = sqrt(abar_t) * noise - sqrt(1 - abar_t) * x_0
        abar = method.scheduler.alphas_cumprod[t][:, None, None, None]
        target = abar.sqrt() * noise - (1 - abar).sqrt() * real
    torch.testing.assert_close(out["loss"], target.pow(2).mean())


def tiny_model(conditional=True, **sampling):
    torch.manual_seed(0)
    info = CLASSES if conditional else DataInfo("X", 16, 1)
    denoiser = Denoiser(UNetConfig(block_out_channels=(8, 16), attention_levels=(1,),
                                   layers_per_block=1), info).eval()
    sampler = DiffusionSampler(DiffusionSamplerConfig(num_train_timesteps=20,
                                                      **{"steps": 4, **sampling}))
    return SamplingModel(sampler, {"denoiser": denoiser}, info)


def test_ddim_with_eta_1_over_every_timestep_is_ddpm():
    model = tiny_model(steps=20)
    noise, c = model.seeded_noise(3, 1), torch.tensor([1, 2, 3])
    ddpm = model.with_options(sampler="ddpm").draw(noise, c, generator=torch.Generator()
                                                   .manual_seed(9))
    ddim = model.with_options(sampler="ddim", eta=1.0).draw(noise, c, generator=torch
                                                            .Generator().manual_seed(9))
    torch.testing.assert_close(ddim, ddpm, atol=1e-4, rtol=0)
    deterministic = model.with_options(sampler="ddim").draw(noise, c)
    assert (deterministic - ddpm).abs().max() > 1e-3  # eta 0 is another path


def test_guidance_0_is_the_unconditional_prediction_and_1_the_conditional():
    model = tiny_model()
    denoiser = model.networks["denoiser"]
    x, t, c = torch.randn(2, 1, 16, 16), torch.tensor(7), torch.tensor([4, 5])
    with torch.no_grad():
        cond = denoiser(x, t.expand(2), c)
        uncond = denoiser(x, t.expand(2), c, torch.ones(2, dtype=torch.bool))
        for weight, expected in ((0.0, uncond), (1.0, cond), (3.0, uncond + 3 * (cond - uncond))):
            sampler = model.sampler.with_options(guidance=weight)
            torch.testing.assert_close(sampler.predict(denoiser, x, t, c), expected)
    assert not torch.allclose(cond, uncond)  # the condition changes the prediction


def test_the_same_seed_gives_the_same_images_with_either_sampler():
    for sampler in ("ddim", "ddpm"):
        model = tiny_model(conditional=False, sampler=sampler, steps=5)
        first = generate_images(model, 3, seed=2, device=torch.device("cpu"))
        assert first.shape == (3, 1, 16, 16) and first.abs().max() <= 1
        assert torch.equal(first, generate_images(model, 3, seed=2, device=torch.device("cpu")))
        assert torch.equal(first, model.sample(3, None, torch.Generator().manual_seed(2)))
        assert not torch.equal(first, generate_images(model, 3, seed=3,
                                                      device=torch.device("cpu")))
    with pytest.raises(FaceganError, match="more than the 20 timesteps"):
        model.with_options(steps=21)


def test_a_ddpm_run_leaves_a_gan_runs_files_and_resumes_exactly(tmp_path, tiny_config):
    straight = Trainer(ddpm_config(tmp_path, "straight")).fit()
    gan = Trainer(tiny_config("train.epochs=2", "log.histograms=false",
                              "log.tensorboard=false")).fit()

    def files(run):
        return sorted(str(p.relative_to(run)) for p in run.rglob("*")
                      if "checkpoint_" not in str(p) and p.suffix != ".safetensors")

    assert files(straight.run_dir) == files(gan.run_dir)
    assert sorted(p.name for p in straight.checkpoint.iterdir()) == [
        "checkpoint.json", "config.yaml", "denoiser.safetensors", "denoiser_raw.safetensors",
        "generator.json", "training_state.pt"]

    Trainer(ddpm_config(tmp_path, "split", epochs=1)).fit()
    resumed = Trainer(ddpm_config(tmp_path, "split"), resume=True).fit()
    for name in ("denoiser.safetensors", "denoiser_raw.safetensors"):
        a, b = load_file(straight.checkpoint / name), load_file(resumed.checkpoint / name)
        assert all(torch.equal(a[k], b[k]) for k in a), name

    model, meta = load_model(straight.run_dir)
    assert meta["sampler"]["name"] == "diffusion" and meta["sampler"]["steps"] == 4
    sevens = generate_images(model, 2, 0, torch.device("cpu"), labels=torch.tensor([7, 7]))
    assert sevens.shape == (2, 1, 16, 16)

    report = write_report(straight.run_dir)  # every label and an interpolation of the noise
    for picture in ("per_label.png", "interpolation.png", "real_vs_generated.png"):
        assert (straight.run_dir / "visualizations" / picture).is_file(), picture
    assert "Every label, the same noise" in report.read_text()


def test_face_embeddings_condition_the_denoiser_and_train(tmp_path):
    info = DataInfo("Faces", 16, 3, (), "embedding", embedding_dim=6)
    cfg = config_from_dict({"data": {"name": "synthfaces", "n": 8, "image_size": 16},
                            "model": TINY_UNET,
                            "objective": {"name": "ddpm", "num_train_timesteps": 20,
                                          "sampling_steps": 2}})
    method = build_method(cfg, info)
    denoiser = method.build_networks()["denoiser"]
    assert denoiser.conditional
    x, t = torch.randn(2, 3, 16, 16), torch.tensor([3, 3])
    a, b = torch.randn(2, 6), torch.randn(2, 6)
    with torch.no_grad():
        assert not torch.allclose(denoiser(x, t, a), denoiser(x, t, b))
    out = method.compute(method.phases[0], {"denoiser": denoiser},
                         Batch(torch.rand(2, 3, 16, 16) * 2 - 1, a),
                         StepContext(BatchRandom.seeded(0)))
    out["loss"].backward()
    assert torch.isfinite(out["loss"]) and denoiser.condition.map.weight.grad is not None
