"""GET /api/image: the image of POST /api/generate n=1, cacheable forever by its strong ETag."""

import shutil

import pytest
import torch

from facegan.serve.models import load_served_model
from tests.serve.conftest import conditional_model, save_tiny_mnist_generator

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from facegan.serve.app import create_app  # noqa: E402

CPU = torch.device("cpu")
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def generator_dir(tmp_path_factory):
    return save_tiny_mnist_generator(tmp_path_factory.mktemp("generator"))


def served_client(*models):
    return TestClient(create_app(list(models)))


def test_the_image_is_generate_s_with_a_strong_etag_and_immutable_caching(generator_dir):
    with served_client(load_served_model("mnist", generator_dir, CPU),
                       conditional_model("class")) as client:
        got = client.get("/api/image", params={"seed": 7, "truncation": 0.7})
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        posted = client.post("/api/generate", json={"seed": 7, "truncation": 0.7})
        assert got.content == posted.content
        tag = got.headers["etag"]
        assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34  # strong: no W/
        assert got.headers["cache-control"] == IMMUTABLE
        assert client.get("/api/image", params={"seed": 7, "truncation": 0.7}
                          ).headers["etag"] == tag
        others = {client.get("/api/image", params=p).headers["etag"] for p in
                  ({"seed": 8, "truncation": 0.7}, {"seed": 7}, {"seed": 7, "model": "class"})}
        assert tag not in others and len(others) == 3
        labelled = client.get("/api/image", params={"model": "class", "labels": "two",
                                                    "seed": 3})
        assert labelled.content == client.post("/api/generate", json={
            "model": "class", "labels": ["two"], "seed": 3}).content


def test_if_none_match_gets_304_without_running_the_model(generator_dir, monkeypatch):
    model = load_served_model("mnist", generator_dir, CPU)
    calls = []
    original = model.run
    object.__setattr__(model, "run", lambda *a, **k: calls.append(1) or original(*a, **k))
    with served_client(model) as client:
        tag = client.get("/api/image", params={"seed": 1}).headers["etag"]
        assert len(calls) == 1
        for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = client.get("/api/image", params={"seed": 1},
                               headers={"If-None-Match": header})
            assert again.status_code == 304 and again.content == b""
            assert again.headers["etag"] == tag and again.headers["cache-control"] == IMMUTABLE
        assert len(calls) == 1  # none of the 304s ran the model
        stale = client.get("/api/image", params={"seed": 1}, headers={"If-None-Match": '"x"'})
        assert stale.status_code == 200 and len(calls) == 2


def test_a_changed_model_file_gives_new_etags(generator_dir, tmp_path):
    copy = tmp_path / "generator"
    shutil.copytree(generator_dir, copy)
    params = {"seed": 5}
    with served_client(load_served_model("mnist", copy, CPU)) as client:
        before = client.get("/api/image", params=params).headers["etag"]
    with served_client(load_served_model("mnist", copy, CPU)) as client:  # restarted
        assert client.get("/api/image", params=params).headers["etag"] == before
    from safetensors.torch import load_file, save_file

    weights = load_file(copy / "generator.safetensors")
    first = next(key for key, value in weights.items() if value.is_floating_point())
    weights[first] = weights[first] + 0.01  # the model is trained further, saved again
    save_file(weights, copy / "generator.safetensors")
    with served_client(load_served_model("mnist", copy, CPU)) as client:
        assert client.get("/api/image", params=params).headers["etag"] != before


@pytest.mark.parametrize(("params", "field"), [
    ({"seed": -1}, "seed"), ({"seed": 2**32}, "seed"), ({"seed": "x"}, "seed"),
    ({"truncation": 0.0}, "truncation"), ({"truncation": "nan"}, "truncation"),
    ({"model": "nope"}, "model"), ({"model": "class", "labels": "seven"}, "labels"),
    ({"model": "embedding"}, "model"),
])
def test_bad_queries_are_422s_naming_the_field(params, field):
    with served_client(conditional_model("class"), conditional_model("embedding")) as client:
        answer = client.get("/api/image", params=params)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", field]
