"""Tiny generators (unconditional DCGAN, hand-built conditional ones) and a live server helper."""

from __future__ import annotations

import io
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from facegan.datainfo import DataInfo
from facegan.methods.gan.sampler import gan_model, save_gan_generator
from facegan.models.base import build_models
from facegan.models.dcgan import DCGANConfig
from facegan.serve.models import ServedModel, torch_model

MNIST_INFO = DataInfo("MNIST", 32, 1)
TINY_DCGAN = DCGANConfig(latent_dim=16, g_width=8, d_width=8)


def pixels(png: bytes) -> np.ndarray:
    """A PNG's pixels, ``(H, W)`` or ``(H, W, 3)`` uint8."""
    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.fixture(scope="session")
def mnist_generator_dir(tmp_path_factory) -> Path:
    return save_tiny_mnist_generator(tmp_path_factory.mktemp("generator"))


def save_tiny_mnist_generator(directory: Path) -> Path:
    """A saved (untrained) tiny MNIST DCGAN generator: generator.safetensors + generator.json."""
    torch.manual_seed(0)
    generator = build_models(TINY_DCGAN, MNIST_INFO).generator
    # BatchNorm running stats at their defaults would make every image nearly the same grey;
    # spread them so different seeds give visibly different images.
    for module in generator.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_var.fill_(0.02)
    save_gan_generator(directory, generator, TINY_DCGAN, MNIST_INFO, epoch=2, step=16)
    return directory


class TinyConditionalGenerator(nn.Module):
    """``G(z, c)`` on 8x8 RGB: c is (N,) class indices or (N, width) attributes/embeddings."""

    latent_dim = 8

    def __init__(self, kind: str, width: int) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.condition = nn.Embedding(width, 8) if kind == "class" else nn.Linear(width, 8)
        self.to_image = nn.Linear(8, 3 * 8 * 8)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return torch.tanh(self.to_image(z + 3 * self.condition(c))).view(-1, 3, 8, 8)


TAGGED_LABELS = ["smiling", "hair_color=black", "hair_color=blond", "hair_color=red",
                 "eyeglasses", "eye_color=blue", "eye_color=green"]


def conditional_model(kind: str, name: str | None = None) -> ServedModel:
    """A served tiny model: kind 'class' (digits 'zero'..'two'), 'multilabel' (three face
    attributes), 'tagged' (two attributes and two one-hot tag groups, `TAGGED_LABELS`, as
    `facegan.data.labels` names them) or 'embedding' (5 numbers)."""
    data = {"name": "Tiny", "image_size": 8, "channels": 3, "label_names": [],
            "label_kind": "none"}
    if kind == "class":
        data.update(label_names=["zero", "one", "two"], label_kind="class")
    elif kind == "multilabel":
        data.update(label_names=["smiling", "eyeglasses", "bangs"], label_kind="multilabel")
    elif kind == "tagged":
        data.update(label_names=TAGGED_LABELS, label_kind="multilabel")
    else:
        data.update(embedding_dim=5)
    width = len(data["label_names"]) or data.get("embedding_dim", 0)
    generator = TinyConditionalGenerator(kind, width)
    return torch_model(name or kind, gan_model(generator, DataInfo.from_dict(data)),
                       {"data": data})


class SlowModel:
    """Wraps a served model so each generation takes ``delay`` seconds (to fill the queue)."""

    def __init__(self, model: ServedModel, delay: float) -> None:
        self.model, self.delay = model, delay

    def served(self) -> ServedModel:
        def run(z, c):
            time.sleep(self.delay)
            return self.model.run(z, c)

        return ServedModel(self.model.name, self.model.backend, self.model.latent_dim,
                           self.model.data, run)


@contextmanager
def live_server(app):
    """Run ``app`` under a real uvicorn on 127.0.0.1 (a free port); yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
