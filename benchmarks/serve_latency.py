"""Latency of POST /api/generate through a real uvicorn server on 127.0.0.1, PyTorch vs ONNX.

The generator is a 64-px DCGAN with the default config (latent 100, widths 512..64, batch norm;
``--width`` sets the last block's width, 64 by default), UNTRAINED: latency does not depend on
the weights. Prints the median and 90th percentile of the wall time per request (client side,
including HTTP and PNG encoding) and of the model call alone, for one image and for a grid of
``--grid`` images.

    OMP_NUM_THREADS=1 python benchmarks/serve_latency.py [--repeats 20] [--threads 1]
                                                         [--width 64] [--grid 64]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx2
import torch
import uvicorn

from facegan.datainfo import DataInfo
from facegan.export import export_model
from facegan.methods.gan.sampler import save_gan_generator
from facegan.methods.io import load_model_dir
from facegan.models.base import build_models
from facegan.models.dcgan import DCGANConfig
from facegan.serve.app import create_app
from facegan.serve.images import latent_noise, seeded
from facegan.serve.models import ServedModel, load_served_model
from facegan.serve.runner import NoDelayH11Protocol

INFO = DataInfo("Faces64", 64, 3)


def percentiles(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f} ms   (n={len(ms)})"


def timed(call, repeats: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def serve(models: list[ServedModel]) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(models), log_level="warning",
                                           http=NoDelayH11Protocol))  # as facegan serve
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch/onnxruntime threads (default: torch's, from OMP_NUM_THREADS)")
    parser.add_argument("--width", type=int, default=DCGANConfig().g_width,
                        help="generator width (channels of its last block)")
    parser.add_argument("--grid", type=int, default=64, help="images in the grid request")
    parser.add_argument("--no-nodelay", dest="nodelay", action="store_false",
                        help="leave Nagle on in the client (as httpx does by default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = DCGANConfig(g_width=args.width)
    with tempfile.TemporaryDirectory() as tmp:
        generator_dir = Path(tmp) / "generator"
        generator_dir.mkdir()
        save_gan_generator(generator_dir, build_models(config, INFO).generator, config, INFO)
        model, meta = load_model_dir(generator_dir)
        generator = model.networks["generator"]
        export = export_model(model, meta, "onnx", Path(tmp) / "generator.onnx")
        models = [load_served_model("pytorch", generator_dir, torch.device("cpu")),
                  load_served_model("onnx", export.path, torch.device("cpu"))]
        params = sum(p.numel() for p in generator.parameters())
        print(f"64-px DCGAN generator, width {args.width}, untrained: {params / 1e6:.2f} M "
              f"parameters; {torch.get_num_threads()} thread(s); CPU count {os.cpu_count()}; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"ONNX export matches PyTorch within {export.max_abs_difference:.1e}")
        url, server, thread = serve(models)
        try:
            # TCP_NODELAY as browsers set it: else the client's Nagle holds the request body
            # back until the server's delayed ACK (40 ms on Linux) of the headers
            nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)] if args.nodelay else []
            transport = httpx2.HTTPTransport(socket_options=nodelay)
            with httpx2.Client(base_url=url, timeout=120, transport=transport) as http:
                for model in models:
                    for n in (1, args.grid):
                        repeats = args.repeats if n == 1 else max(3, args.repeats // 4)
                        z = latent_noise(n, model.latent_dim, seeded(0), None)

                        def request(name=model.name, n=n):
                            response = http.post("/api/generate",
                                                 json={"model": name, "seed": 0, "n": n})
                            response.raise_for_status()

                        api = timed(request, repeats)
                        call = timed(lambda model=model, z=z: model.run(z, None), repeats)
                        what = "1 image" if n == 1 else f"{n}-image grid"
                        print(f"{model.name:8s} {what:13s}  API: {percentiles(api)}")
                        print(f"{'':8s} {'':13s}  model call alone: {percentiles(call)}")
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
