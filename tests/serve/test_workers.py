"""facegan serve --workers N: N uvicorn worker processes, each with the models loaded."""

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import REPO

pytest.importorskip("uvicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read()


def test_two_workers_each_serve_the_models(mnist_generator_dir):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "facegan", "serve", str(mnist_generator_dir), "--workers", "2",
         "--port", str(port)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={"PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        seen: set[int] = set()
        while len(seen) < 2 and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                status, body = get(f"{base}/api/health")
            except OSError:
                time.sleep(0.3)
                continue
            health = json.loads(body)
            assert status == 200 and health["models"] == [mnist_generator_dir.stem]
            seen.add(health["process"])
        assert len(seen) == 2 and server.pid not in seen  # two workers, neither the parent
        status, png = get(f"{base}/api/image?seed=3")
        assert status == 200 and png.startswith(b"\x89PNG")
    finally:
        server.terminate()
        server.wait(timeout=30)
