import pytest

from facegan.cli import main
from tests.serve.conftest import save_tiny_mnist_generator

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture
def started(monkeypatch):
    """Capture what ``facegan serve`` hands to uvicorn instead of listening."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


def test_serve_binds_loopback_by_default_and_serves_every_model(started, mnist_generator_dir):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", str(mnist_generator_dir), "--model", f"second={mnist_generator_dir}",
              "--port", "8123"])
    assert exit_info.value.code in (0, None)
    app, options = started[0]
    assert (options["host"], options["port"]) == ("127.0.0.1", 8123)
    client = TestClient(app)
    assert client.get("/api/health").json()["models"] == [mnist_generator_dir.name, "second"]


def test_serve_from_a_run_directory_reports_epoch_and_metrics(started, tmp_path):
    # the layout a training run leaves (facegan.runs): saved_models/generator/ + metrics.jsonl
    run = tmp_path / "MNIST" / "WGAN_GP"
    (run / "saved_models" / "generator").mkdir(parents=True)
    save_tiny_mnist_generator(run / "saved_models" / "generator")
    (run / "metrics.jsonl").write_text('{"step": 8, "generator/loss": 0.5}\n'
                                       '{"step": 16, "generator/loss": 0.25}\n')
    with pytest.raises(SystemExit):
        main(["serve", str(run), "--queue-limit", "3"])
    client = TestClient(started[0][0])
    described = client.get("/api/model").json()
    assert described["name"] == "WGAN_GP"
    assert described["training"] == {"epoch": 2, "step": 16}
    assert described["metrics"] == {"step": 16, "generator/loss": 0.25}
    assert client.get("/api/health").json()["queue"]["limit"] == 3


@pytest.mark.parametrize(("args", "message"), [
    ([], "nothing to serve"),
    (["--model", "no-equals-sign"], "is not NAME=PATH"),
    (["--model", "a=missing/run"], "does not exist"),
    (["--queue-limit", "0", "GENERATOR"], "--queue-limit must be at least 1"),
    (["--model", "a=GENERATOR", "--model", "a=GENERATOR"], "'a' is given twice"),
])
def test_serve_mistakes_are_one_line_errors(started, mnist_generator_dir, capsys, args,
                                            message):
    args = [arg.replace("GENERATOR", str(mnist_generator_dir)) for arg in args]
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not started


def test_serve_refuses_pickles_and_other_files(started, tmp_path, capsys):
    weights = tmp_path / "generator.pt"
    weights.write_bytes(b"not loaded")
    with pytest.raises(SystemExit):
        main(["serve", str(weights)])
    assert "not something facegan serve runs" in capsys.readouterr().err


def test_every_connection_gets_tcp_nodelay(started, mnist_generator_dir):
    """Else a response's body waits for the client's delayed ACK of its headers (40 ms)."""
    import socket
    import threading
    import time
    import urllib.request

    import uvicorn

    from facegan.serve.runner import NoDelayH11Protocol

    with pytest.raises(SystemExit):
        main(["serve", str(mnist_generator_dir)])
    app, options = started[0]
    assert options["http"] is NoDelayH11Protocol

    accepted = []

    class Recording(NoDelayH11Protocol):
        def connection_made(self, transport):
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            accepted.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    listener = socket.socket()  # proto 0, as uvicorn binds for --workers: asyncio leaves Nagle on
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", http=Recording))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        port = listener.getsockname()[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as answer:
            assert answer.status == 200
        assert accepted == [1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
