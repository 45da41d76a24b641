import asyncio
import base64
import json
import os
import re

import numpy as np
import pytest
import torch

from facegan.methods.io import load_model_dir
from facegan.sampling import generate_images
from facegan.serve.images import to_uint8
from facegan.serve.models import load_served_model
from tests.serve.conftest import SlowModel, conditional_model, pixels

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from facegan.serve.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def mnist(mnist_generator_dir):
    return load_served_model("mnist", mnist_generator_dir, torch.device("cpu"))


@pytest.fixture(scope="module")
def client(mnist):
    models = [mnist, conditional_model("class"), conditional_model("multilabel"),
              conditional_model("embedding"), conditional_model("tagged")]
    with TestClient(create_app(models)) as test_client:
        yield test_client


def test_health_lists_models_and_queue(client):
    assert client.get("/api/health").json() == {
        "status": "ok", "models": ["mnist", "class", "multilabel", "embedding", "tagged"],
        "queue": {"pending": 0, "limit": 16}, "process": os.getpid()}


def test_model_description(client):
    described = client.get("/api/model").json()
    assert described["name"] == "mnist" and described["dataset"] == "MNIST"
    assert (described["resolution"], described["channels"], described["latent_dim"]) == (32, 1, 16)
    assert (described["label_kind"], described["labels"], described["embedding_dim"]) == \
        ("none", [], 0)
    assert described["training"] == {"epoch": 2, "step": 16}
    assert client.get("/api/model", params={"name": "class"}).json()["labels"] == \
        ["zero", "one", "two"]
    assert client.get("/api/model", params={"name": "embedding"}).json()["embedding_dim"] == 5
    assert [m["name"] for m in client.get("/api/models").json()] == \
        ["mnist", "class", "multilabel", "embedding", "tagged"]
    assert described["label_groups"] == {}
    assert client.get("/api/model", params={"name": "multilabel"}).json()["label_groups"] == {}
    assert client.get("/api/model", params={"name": "tagged"}).json()["label_groups"] == {
        "hair_color": ["hair_color=black", "hair_color=blond", "hair_color=red"],
        "eye_color": ["eye_color=blue", "eye_color=green"]}


def test_one_image_and_a_grid_as_png(client):
    one = client.post("/api/generate", json={"seed": 1})
    assert one.status_code == 200 and one.headers["content-type"] == "image/png"
    assert pixels(one.content).shape == (32, 32)  # greyscale, no grid padding
    grid = client.post("/api/generate", json={"seed": 1, "n": 16})
    assert pixels(grid.content).shape == (4 * 34 + 2, 4 * 34 + 2, 3)  # 4x4, 2-px padding


def test_same_seed_same_images_as_facegan_generate(client, mnist_generator_dir):
    answer = client.post("/api/generate", json={"seed": 5, "n": 3, "format": "json"}).json()
    assert (answer["model"], answer["width"], answer["height"]) == ("mnist", 32, 32)
    served = np.stack([pixels(base64.b64decode(image)) for image in answer["images"]])
    model, _ = load_model_dir(mnist_generator_dir)
    expected = to_uint8(generate_images(model, 3, 5, torch.device("cpu")))[:, 0].numpy()
    np.testing.assert_array_equal(served, expected)
    again = client.post("/api/generate", json={"seed": 5, "n": 3, "format": "json"}).json()
    assert again == answer
    other = client.post("/api/generate", json={"seed": 6, "n": 3, "format": "json"}).json()
    assert other["images"][0] != answer["images"][0]


def test_truncation_changes_images_and_large_truncation_is_a_no_op(client):
    def first(body):
        return client.post("/api/generate", json={"seed": 2, **body}).content

    assert first({"truncation": 0.3}) != first({})
    assert first({"truncation": 4.0}) == first({})  # |z| > 4 is rarer than 1 in 15,000


def test_interpolation_strip_runs_from_seed_a_to_seed_b(client):
    strip = pixels(client.post("/api/interpolate",
                               json={"seed_a": 3, "seed_b": 4, "steps": 5}).content)
    assert strip.shape == (36, 5 * 34 + 2, 3)
    for seed, column in ((3, 0), (4, 4)):
        image = pixels(client.post("/api/generate", json={"seed": seed}).content)
        frame = strip[2:34, 2 + 34 * column:34 + 34 * column, 0]
        assert np.abs(frame.astype(int) - image).max() <= 1


@pytest.mark.parametrize(("body", "field"), [
    ({"n": 65}, "n"),
    ({"n": 0}, "n"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**32}, "seed"),
    ({"truncation": 0}, "truncation"),
    ({"format": "gif"}, "format"),
    ({"path": "/etc/passwd"}, "path"),
    ({"model": "nope"}, "model"),
    ({"labels": ["smiling"]}, "labels"),
    ({"embedding": [0.0]}, "embedding"),
    ({"model": "class", "labels": ["nine"]}, "labels"),
    ({"model": "class", "labels": ["zero", "one"]}, "labels"),
    ({"model": "multilabel", "labels": ["smiling", "moustache"]}, "labels"),
    ({"model": "embedding"}, "embedding"),
    ({"model": "embedding", "embedding": [0.0] * 4}, "embedding"),
    ({"model": "embedding", "embedding": [0.0] * 5000}, "embedding"),
    ({"model": "tagged", "labels": ["hair_color=black", "smiling", "hair_color=red"]}, "labels"),
    # strict types: no coercion of strings, floats or booleans into the numbers asked for
    ({"n": "4"}, "n"),
    ({"n": 4.0}, "n"),
    ({"n": True}, "n"),
    ({"seed": "1"}, "seed"),
    ({"truncation": "0.5"}, "truncation"),
    ({"sampling_steps": "2"}, "sampling_steps"),
    ({"model": 1}, "model"),
    ({"labels": "smiling"}, "labels"),
])
def test_bad_requests_are_422_naming_the_field(client, body, field):
    response = client.post("/api/generate", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", field]
    assert detail["msg"]


@pytest.mark.parametrize(("path", "body", "location"), [
    ("/api/generate", {"embedding": ["1"], "model": "embedding"}, ["body", "embedding", 0]),
    ("/api/generate", {"labels": [1], "model": "class"}, ["body", "labels", 0]),
    ("/api/interpolate", {"steps": "4"}, ["body", "steps"]),
    ("/api/interpolate", {"seed_b": 2.5}, ["body", "seed_b"]),
])
def test_wrong_types_are_422_not_coerced(client, path, body, location):
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == location


@pytest.mark.parametrize(("body", "location"), [
    (b'{"truncation": NaN}', ["body", "truncation"]),
    (b'{"model": "embedding", "embedding": [1, Infinity, 0, 0, 0]}', ["body", "embedding", 1]),
    (b'{"seed": -Infinity}', ["body", "seed"]),
    (b'{"labels": [NaN]}', ["body", "labels", 0]),
])
def test_nan_and_infinity_are_a_422_in_strict_json(client, body, location):
    response = client.post("/api/generate", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    detail = json.loads(response.text, parse_constant=pytest.fail)["detail"][0]
    assert detail["loc"] == location


def test_whole_numbers_are_taken_where_floats_are_expected(client):
    assert client.post("/api/generate", json={"truncation": 1}).content == \
        client.post("/api/generate", json={"truncation": 1.0}).content


def test_two_values_of_one_one_hot_group_are_refused_naming_the_group(client):
    response = client.post("/api/generate", json={
        "model": "tagged", "labels": ["eye_color=green", "hair_color=blond", "eye_color=blue"]})
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert message == ("'eye_color=blue' and 'eye_color=green' are both values of the one-hot "
                       "group 'eye_color'; choose at most one")
    interpolated = client.post("/api/interpolate", json={
        "model": "tagged", "labels": ["hair_color=black", "hair_color=red"]})
    assert interpolated.status_code == 422
    assert "'hair_color'" in interpolated.json()["detail"][0]["msg"]


def test_one_value_per_group_and_attributes_condition_the_image(client):
    def image(labels):
        response = client.post("/api/generate", json={"model": "tagged", "labels": labels})
        assert response.status_code == 200
        return response.content

    chosen = image(["smiling", "hair_color=red", "eye_color=blue", "eyeglasses"])
    assert chosen != image(["smiling", "hair_color=black", "eye_color=blue", "eyeglasses"])
    assert image([]) != image(["hair_color=red"])  # a group may stay unset
    assert image(["hair_color=red", "hair_color=red"]) == image(["hair_color=red"])


def test_unknown_model_in_query_is_422(client):
    response = client.get("/api/model", params={"name": "nope"})
    assert response.status_code == 422
    assert "served models: mnist, class" in response.json()["detail"][0]["msg"]


def test_oversized_body_is_413(client):
    response = client.post("/api/generate", content=b" " * 70_000,
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_class_labels_pick_the_class(client):
    def image(labels):
        return client.post("/api/generate", json={"model": "class", "seed": 0, "n": 4,
                                                  "labels": labels, "format": "json"}).json()

    zero, two = image(["zero"])["images"], image(["two"])["images"]
    assert zero != two
    random_classes = image(None)["images"]
    assert random_classes == image(None)["images"]  # classes drawn from the seed


def test_attributes_and_embeddings_condition_the_image(client):
    def post(body):
        response = client.post("/api/generate", json={"seed": 0, **body})
        assert response.status_code == 200
        return response.content

    assert post({"model": "multilabel", "labels": ["smiling"]}) != \
        post({"model": "multilabel", "labels": []})
    assert post({"model": "embedding", "embedding": [1, 0, 0, 0, 0]}) != \
        post({"model": "embedding", "embedding": [0, 0, 0, 0, 1]})


def test_page_and_its_assets_and_openapi_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'src="/static/app.js"' in page.text
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/../../pyproject.toml").status_code == 404
    assert "/api/generate" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_their_scripts_and_styles_from_the_server(client, page):
    html = client.get(page)
    assert html.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', html.text)
    assert any(url.endswith(".js") for url in urls)
    assert page == "/redoc" or any(url.endswith(".css") for url in urls)
    for url in urls:
        assert url.startswith("/static/docs/"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert "cdn" not in html.text.lower() and "fonts.googleapis" not in html.text
    assert client.get("/static/docs/%2e%2e/%2e%2e/core.py").status_code == 404


def test_full_queue_answers_503_at_once(mnist):
    import httpx2

    app = create_app([SlowModel(mnist, delay=0.3).served()], queue_limit=2)

    async def burst():
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(*(http.post("/api/generate", json={"seed": i})
                                          for i in range(6)))

    responses = asyncio.run(burst())
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 503, 503, 503, 503]
    busy = next(r for r in responses if r.status_code == 503)
    assert busy.headers["retry-after"] == "1" and "busy" in busy.json()["detail"]
