"""Requests that arrive while the model is busy run as one batch; each gets its own images."""

import asyncio
import threading
import time

import numpy as np
import pytest
import torch

from facegan.serve.models import ServedModel, load_served_model
from tests.serve.conftest import pixels

pytest.importorskip("fastapi")
import httpx2  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from facegan.serve.app import create_app  # noqa: E402


class Counted:
    """A served model whose calls are counted (the batch sizes), the first one slow so that
    the others arrive while it runs."""

    def __init__(self, model: ServedModel) -> None:
        self.model, self.sizes, self.lock = model, [], threading.Lock()

    def served(self) -> ServedModel:
        def run(z, c):
            with self.lock:
                self.sizes.append(len(z))
                first = len(self.sizes) == 1
            if first:
                time.sleep(0.3)
            return self.model.run(z, c)

        m = self.model
        return ServedModel(m.name, m.backend, m.latent_dim, m.data, run, conditional=False)


def test_concurrent_requests_share_a_model_call_and_get_their_own_images(
        mnist_generator_dir):
    model = load_served_model("mnist", mnist_generator_dir, torch.device("cpu"))
    with TestClient(create_app([model])) as lone:  # each request alone, one after another
        expected = {(seed, n): lone.post("/api/generate", json={"seed": seed, "n": n}).content
                    for seed, n in [(0, 1), (1, 1), (2, 3), (3, 1), (4, 2), (5, 1)]}
    counted = Counted(model)
    app = create_app([counted.served()], queue_limit=16)

    async def together():
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(*(http.post("/api/generate", json={"seed": s, "n": n})
                                          for s, n in expected))

    answers = asyncio.run(together())
    assert [a.status_code for a in answers] == [200] * len(expected)
    assert sum(counted.sizes) == 9 and len(counted.sizes) < len(expected)  # batched
    assert max(counted.sizes) > 1
    for (key, png), answer in zip(expected.items(), answers, strict=True):
        got, want = pixels(answer.content).astype(int), pixels(png).astype(int)
        assert got.shape == want.shape, key  # the request's own grid
        assert np.abs(got - want).max() <= 1, key  # batched kernels may round differently


def test_a_failing_batch_fails_each_of_its_requests_and_the_next_ones_run(mnist_generator_dir):
    model = load_served_model("mnist", mnist_generator_dir, torch.device("cpu"))
    calls = []

    def run(z, c):
        calls.append(len(z))
        if len(calls) == 1:
            raise RuntimeError("out of memory")
        return model.run(z, c)

    app = create_app([ServedModel("m", "pytorch", model.latent_dim, model.data, run,
                                  conditional=False)])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/api/generate", json={"seed": 0}).status_code == 500
        assert client.post("/api/generate", json={"seed": 0}).status_code == 200
        assert client.get("/api/health").json()["queue"]["pending"] == 0
