"""Concurrent requests against a real uvicorn server on 127.0.0.1."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from facegan.serve.models import load_served_model
from tests.serve.conftest import SlowModel, live_server

pytest.importorskip("uvicorn")
httpx2 = pytest.importorskip("httpx2")
from facegan.serve.app import create_app  # noqa: E402

REQUESTS, CONCURRENCY, TOTAL_TIMEOUT_S = 32, 8, 60


def fire(url: str, bodies: list[dict]) -> list[httpx2.Response]:
    """POST every body to /api/generate, CONCURRENCY at a time, within TOTAL_TIMEOUT_S."""
    with httpx2.Client(base_url=url, timeout=30) as http, \
            ThreadPoolExecutor(CONCURRENCY) as pool:
        futures = [pool.submit(http.post, "/api/generate", json=body) for body in bodies]
        deadline = time.monotonic() + TOTAL_TIMEOUT_S
        return [f.result(timeout=max(0.0, deadline - time.monotonic())) for f in futures]


@pytest.fixture(scope="module")
def mnist(mnist_generator_dir):
    return load_served_model("mnist", mnist_generator_dir, torch.device("cpu"))


def test_concurrent_requests_all_succeed_and_stay_deterministic(mnist):
    bodies = [{"seed": i % 4, "n": 1 + i % 8} for i in range(REQUESTS)]
    with live_server(create_app([mnist], queue_limit=CONCURRENCY)) as url:
        responses = fire(url, bodies)
        assert httpx2.get(f"{url}/api/health").json()["queue"]["pending"] == 0
    assert [r.status_code for r in responses] == [200] * REQUESTS
    by_request = {}
    for body, response in zip(bodies, responses, strict=True):
        key = (body["seed"], body["n"])
        assert by_request.setdefault(key, response.content) == response.content


def test_overload_gets_503_not_errors_or_timeouts(mnist):
    slow = SlowModel(mnist, delay=0.1).served()
    with live_server(create_app([slow], queue_limit=2)) as url:
        responses = fire(url, [{"seed": i} for i in range(REQUESTS)])
    codes = [r.status_code for r in responses]
    assert set(codes) == {200, 503}, codes
    assert codes.count(200) >= 2
    assert all("busy" in r.json()["detail"] for r in responses if r.status_code == 503)
