"""Starting the server: load the models, build the app, run uvicorn (the ``serve`` extra:
check `facegan.serve.require_serve` before importing this module)."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

import torch
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from facegan.errors import FaceganError
from facegan.serve.app import create_app
from facegan.serve.models import ServedModel, load_served_model

log = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
SPEC_VARIABLE = "FACEGAN_SERVE_SPEC"  # what each worker process of --workers N loads


def load_models(named_paths: list[tuple[str, Path]], device: torch.device) -> list[ServedModel]:
    names = [name for name, _ in named_paths]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise FaceganError(f"model name {duplicates[0]!r} is given twice; give each --model "
                           "its own NAME")
    return [load_served_model(name, path, device) for name, path in named_paths]


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP protocol with TCP_NODELAY on every connection.

    asyncio sets it only on sockets made with ``proto=IPPROTO_TCP``; the socket uvicorn binds
    for ``--workers`` (and one made with a plain ``socket.socket()``) is not, and then a
    response's body waits for the client's delayed ACK of its headers: 40 ms on Linux, where a
    one-image request takes 1-3 ms.
    """

    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def run_server(models: list[ServedModel], host: str, port: int, queue_limit: int) -> None:
    """Serve until Ctrl+C."""
    if host not in LOOPBACK:
        log.warning("listening on %s: anyone who can reach this machine can use the server", host)
    app = create_app(models, queue_limit=queue_limit)
    log.info("serving %s on http://%s:%d/ (API docs at /docs)",
             ", ".join(m.name for m in models), host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning", http=NoDelayH11Protocol)


def run_workers(named_paths: list[tuple[str, Path]], device: torch.device, host: str,
                port: int, queue_limit: int, workers: int) -> None:
    """Serve with ``workers`` processes (uvicorn's own), each loading the models itself; the
    models are loaded here first, so a bad path is one line before any worker starts."""
    names = ", ".join(m.name for m in load_models(named_paths, device))
    if host not in LOOPBACK:
        log.warning("listening on %s: anyone who can reach this machine can use the server", host)
    os.environ[SPEC_VARIABLE] = json.dumps({
        "models": [[name, str(path)] for name, path in named_paths], "device": str(device),
        "queue_limit": queue_limit})
    log.info("serving %s on http://%s:%d/ with %d worker processes (API docs at /docs)",
             names, host, port, workers)
    uvicorn.run("facegan.serve.runner:app_from_environment", factory=True, host=host,
                port=port, workers=workers, log_level="warning", http=NoDelayH11Protocol)


def app_from_environment():
    """The app of one worker process, from the spec `run_workers` left in the environment."""
    spec = json.loads(os.environ[SPEC_VARIABLE])
    models = load_models([(name, Path(path)) for name, path in spec["models"]],
                         torch.device(spec["device"]))
    return create_app(models, queue_limit=spec["queue_limit"])
