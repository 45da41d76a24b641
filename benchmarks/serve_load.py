"""Load on ``facegan serve``: N requests from C concurrent clients to 127.0.0.1, against the
same requests from one client; prints requests/s, p50/p99 latency, errors and the server's
peak memory. Requests that arrive while the model is busy run as one batch.

    python benchmarks/serve_load.py                         # 2,000 requests, 32 clients
    python benchmarks/serve_load.py --requests 40 --clients 4 --width 8   # the smoke run

The server is a ``facegan serve`` subprocess on an untrained 64-px DCGAN (``--width``, default
64: 3.58 M parameters) saved in a temporary directory. Measure on a quiet machine.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2
import torch

from facegan.datainfo import DataInfo
from facegan.methods.gan.sampler import save_gan_generator
from facegan.models.base import build_models
from facegan.models.dcgan import DCGANConfig

INFO = DataInfo("CelebA", 64, 3)
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(url: str, requests: int, clients: int) -> tuple[float, list[float], int]:
    """(requests/s, per-request seconds, errors) of ``requests`` spread over ``clients``."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx2.Client(base_url=url, timeout=120,
                           transport=httpx2.HTTPTransport(socket_options=NODELAY)) as http:
            for seed in counter:  # one shared iterator: each request sent once
                start = time.perf_counter()
                try:
                    ok = http.post("/api/generate", json={"seed": seed}).status_code == 200
                except httpx2.HTTPError:
                    ok = False
                with lock:
                    latencies.append(time.perf_counter() - start)
                    errors[0] += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests / (time.perf_counter() - start), latencies, errors[0]


def report(name: str, rate: float, latencies: list[float], errors: int) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(f"{name:<12} {rate:8.1f} requests/s   p50 {statistics.median(ordered) * 1e3:7.1f} ms"
          f"   p99 {p99 * 1e3:7.1f} ms   errors {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--width", type=int, default=DCGANConfig().g_width)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = DCGANConfig(g_width=args.width, d_width=8)
        torch.manual_seed(0)
        save_gan_generator(Path(tmp), build_models(config, INFO).generator, config, INFO)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "facegan", "serve", tmp, "--port",
                                   str(port), "--queue-limit", str(max(16, args.clients))],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx2.get(f"{url}/api/health", timeout=5)
                    break
                except httpx2.HTTPError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the server did not start:\n"
                                         f"{server.stderr.read().decode()[-2000:]}") from None
                    time.sleep(0.2)
            load(url, min(20, args.requests), 1)  # warm up
            single = load(url, max(args.requests // 10, 1), 1)
            loaded = load(url, args.requests, args.clients)
            print(f"64-px DCGAN width {args.width}; {args.requests} requests")
            report("1 client", *single)
            report(f"{args.clients} clients", *loaded)
            print(f"throughput {loaded[0] / single[0]:.1f}x one client's; server peak memory "
                  f"{peak_memory_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
