"""A diffusion model served: the same images as facegan generate, sampling options per
request, and their bounds."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch

from facegan.datainfo import DataInfo
from facegan.methods.diffusion.sampler import DiffusionSampler, DiffusionSamplerConfig
from facegan.methods.io import load_model_dir, save_model
from facegan.models.unet import Denoiser, UNetConfig
from facegan.sampling import generate_images
from facegan.serve.images import to_uint8
from facegan.serve.models import load_served_model
from tests.serve.conftest import pixels

pytest.importorskip("diffusers")
pytest.importorskip("fastapi")

INFO = DataInfo("Tiny", 16, 1)
UNET = UNetConfig(block_out_channels=(8, 16), attention_levels=(1,), layers_per_block=1)


def ddpm_model_dir(directory):
    """An untrained tiny unconditional DDPM saved in ``directory`` (4 DDIM steps of 20)."""
    torch.manual_seed(0)
    directory.mkdir(parents=True, exist_ok=True)
    sampler = DiffusionSampler(DiffusionSamplerConfig(num_train_timesteps=20, steps=4))
    save_model(directory, sampler, {"denoiser": Denoiser(UNET, INFO)}, UNET, INFO, epoch=1,
               step=5)
    return directory


@pytest.fixture(scope="module")
def ddpm_dir(tmp_path_factory):
    return ddpm_model_dir(tmp_path_factory.mktemp("ddpm"))


@pytest.fixture(scope="module")
def client(ddpm_dir, mnist_generator_dir):
    from fastapi.testclient import TestClient

    from facegan.serve.app import create_app

    return TestClient(create_app([
        load_served_model("ddpm", ddpm_dir, torch.device("cpu")),
        load_served_model("gan", mnist_generator_dir, torch.device("cpu"))]))


def images(answer) -> np.ndarray:
    return np.stack([pixels(base64.b64decode(i)) for i in answer.json()["images"]])


def test_served_diffusion_images_are_facegan_generate_s(client, ddpm_dir):
    described = client.get("/api/model", params={"name": "ddpm"}).json()
    assert described["sampling"]["steps"] == 4 and described["sampling"]["sampler"] == "ddim"
    answer = client.post("/api/generate", json={"model": "ddpm", "seed": 3, "n": 2,
                                                "format": "json"})
    model, _ = load_model_dir(ddpm_dir)
    expected = to_uint8(generate_images(model, 2, 3, torch.device("cpu")))[:, 0].numpy()
    np.testing.assert_array_equal(images(answer), expected)
    fewer = client.post("/api/generate", json={"model": "ddpm", "seed": 3, "n": 2,
                                               "format": "json", "sampling_steps": 2})
    assert fewer.status_code == 200 and not np.array_equal(images(fewer), expected)
    strip = client.post("/api/interpolate", json={"model": "ddpm", "seed_a": 1, "seed_b": 2,
                                                  "steps": 3, "sampling_steps": 2})
    assert strip.status_code == 200
    assert pixels(strip.content).shape[:2] == (18 + 2, 3 * 18 + 2)  # three 16-px images


@pytest.mark.parametrize(("body", "message"), [
    ({"model": "ddpm", "sampling_steps": 101}, "less than or equal to 100"),
    ({"model": "ddpm", "sampling_steps": 30}, "trained with 20 timesteps"),
    ({"model": "gan", "sampling_steps": 5}, "draws an image in one pass"),
    ({"model": "gan", "guidance": 3}, "draws an image in one pass"),
])
def test_sampling_options_out_of_bounds_or_for_a_gan_are_422(client, body, message):
    answer = client.post("/api/generate", json=body)
    assert answer.status_code == 422 and message in answer.text


def test_an_exported_denoiser_is_served_with_the_sampling_loop_around_onnxruntime(
        ddpm_dir, tmp_path):
    pytest.importorskip("onnxruntime")
    from fastapi.testclient import TestClient

    from facegan.export import export_model
    from facegan.serve.app import create_app

    model, meta = load_model_dir(ddpm_dir)
    result = export_model(model, meta, "onnx", tmp_path / "ddpm.onnx")
    assert result.max_abs_difference <= 1e-4
    client = TestClient(create_app([
        load_served_model("onnx", result.path, torch.device("cpu")),
        load_served_model("torch", ddpm_dir, torch.device("cpu"))]))
    assert client.get("/api/model").json()["sampling"]["steps"] == 4
    answers = [images(client.post("/api/generate", json={
        "model": name, "seed": 5, "n": 2, "format": "json", "sampling_steps": 3}))
        for name in ("onnx", "torch")]
    assert np.abs(answers[0].astype(int) - answers[1].astype(int)).max() <= 1
