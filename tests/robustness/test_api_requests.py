"""Property-based checks of the REST API's request handling (hypothesis): whatever a client
sends to the generation endpoints, the answer is images or a 4xx with a JSON error body, and
never a 500. Bodies are sent as raw bytes, so NaN and Infinity (which Python's JSON reader
accepts) reach the server too."""

from __future__ import annotations

import base64
import json

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facegan.serve.models import load_served_model
from facegan.serve.schemas import MAX_IMAGES, MAX_INTERPOLATION_STEPS, MAX_SEED
from tests.serve.conftest import (
    TAGGED_LABELS,
    conditional_model,
    pixels,
    save_tiny_mnist_generator,
)

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from facegan.serve.app import create_app  # noqa: E402

ENDPOINTS = ("/api/generate", "/api/interpolate")
MODELS = ("mnist", "class", "tagged", "embedding")
# a few dozen requests per property keep the file within seconds on a laptop CPU
FAST = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
# each field with values near its bounds, or any JSON at all
NEAR_BOUNDS = {
    "model": st.sampled_from(MODELS + ("nope", "")),
    "seed": st.integers(-2, MAX_SEED + 2), "seed_a": st.integers(-2, MAX_SEED + 2),
    "seed_b": st.integers(-2, MAX_SEED + 2),
    "n": st.integers(-1, MAX_IMAGES + 2), "steps": st.integers(0, MAX_INTERPOLATION_STEPS + 2),
    "truncation": st.floats(-1, 5), "format": st.sampled_from(["png", "json", "gif", "PNG"]),
    "labels": st.lists(st.sampled_from(TAGGED_LABELS + ["zero", "two", "nine"]), max_size=4),
    "embedding": st.lists(st.floats(), max_size=7),
    "sampling_steps": st.integers(-1, 3), "guidance": st.floats(-1, 30),
}
any_field_body = st.fixed_dictionaries(
    {}, optional={name: values | json_values for name, values in NEAR_BOUNDS.items()})
# per endpoint: (field, a value of the wrong type for it) and (field, a value out of its bounds)
WHOLE_NUMBERS = {"/api/generate": ["seed", "n"], "/api/interpolate": ["seed_a", "seed_b", "steps"]}
not_a_number = st.text(max_size=6) | st.booleans() | st.lists(st.integers(), max_size=2)
not_a_string = st.integers() | st.booleans() | st.lists(st.text(max_size=3), max_size=2)


def wrong_types(path: str):
    return st.one_of(
        st.tuples(st.sampled_from(WHOLE_NUMBERS[path]),
                  not_a_number | st.floats(allow_nan=False).map(lambda x: x + 0.5)),
        st.tuples(st.sampled_from(["truncation", "guidance"]), not_a_number),
        st.tuples(st.sampled_from(["model", "format"]), not_a_string),
        st.tuples(st.just("labels"), st.text(max_size=6) | st.integers() | st.dictionaries(
            st.text(max_size=3), st.text(max_size=3), max_size=2)))


def below_or_above(low: int, high: int):
    return st.integers(max_value=low - 1) | st.integers(min_value=high + 1)


COUNTS = {"/api/generate": ("n", below_or_above(1, MAX_IMAGES)),
          "/api/interpolate": ("steps", below_or_above(2, MAX_INTERPOLATION_STEPS))}


def out_of_range(path: str):
    count, counts = COUNTS[path]
    return st.one_of(
        st.tuples(st.just(count), counts),
        st.tuples(st.sampled_from([name for name in WHOLE_NUMBERS[path] if "seed" in name]),
                  below_or_above(0, MAX_SEED)),
        st.tuples(st.just("truncation"), st.floats(max_value=0.049) | st.floats(min_value=4.01)),
        st.tuples(st.just("guidance"), st.floats(max_value=-0.01) | st.floats(min_value=20.01)),
        st.tuples(st.just("sampling_steps"), st.integers(max_value=0)))


@st.composite
def valid_requests(draw) -> tuple[str, dict]:
    """A request every served model must answer with images: (endpoint, body)."""
    model = draw(st.sampled_from(MODELS))
    body: dict = {"model": model, "format": draw(st.sampled_from(["png", "json"]))}
    if draw(st.booleans()):
        body["truncation"] = draw(st.floats(0.05, 4.0))
    if model == "class":
        body["labels"] = draw(st.sampled_from([[], ["zero"], ["one"], ["two"]]))
    elif model == "tagged":
        attributes = draw(st.lists(st.sampled_from(["smiling", "eyeglasses"]), unique=True))
        hair = draw(st.sampled_from([[], ["hair_color=black"], ["hair_color=red"]]))
        body["labels"] = attributes + hair + draw(st.sampled_from([[], ["eye_color=blue"]]))
    elif model == "embedding":
        body["embedding"] = draw(st.lists(st.floats(-3, 3) | st.integers(-3, 3), min_size=5,
                                          max_size=5))
    if draw(st.booleans()):
        body.update(seed=draw(st.integers(0, MAX_SEED)), n=draw(st.integers(1, 8)))
        return "/api/generate", body
    body.update(seed_a=draw(st.integers(0, MAX_SEED)), seed_b=draw(st.integers(0, MAX_SEED)),
                steps=draw(st.integers(2, 6)))
    return "/api/interpolate", body


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    mnist_dir = save_tiny_mnist_generator(tmp_path_factory.mktemp("generator"))
    models = [load_served_model("mnist", mnist_dir, torch.device("cpu")),
              conditional_model("class"), conditional_model("tagged"),
              conditional_model("embedding")]
    with TestClient(create_app(models)) as test_client:
        yield test_client


def post(client, path: str, body) -> object:
    return client.post(path, content=json.dumps(body).encode(),
                       headers={"content-type": "application/json"})


def assert_refused(response) -> list | str:
    """A 4xx whose body is JSON with a ``detail``; returns the detail."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/json"
    return response.json()["detail"]


@FAST
@given(path=st.sampled_from(ENDPOINTS),
       body=any_field_body | json_values | st.binary(max_size=64))
def test_any_body_gives_images_or_a_4xx_with_a_json_error_never_a_500(client, path, body):
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = post(client, path, body)
    if response.status_code != 200:
        assert_refused(response)
    else:
        assert response.headers["content-type"] in ("image/png", "application/json")


@FAST
@given(valid=valid_requests(), data=st.data())
def test_a_value_of_the_wrong_type_is_a_422_naming_its_field(client, valid, data):
    path, body = valid
    field, value = data.draw(wrong_types(path))
    detail = assert_refused(post(client, path, {**body, field: value}))
    assert [error["loc"][:2] for error in detail] == [["body", field]]


@FAST
@given(valid=valid_requests(), data=st.data())
def test_an_out_of_range_value_is_a_422_naming_its_field(client, valid, data):
    path, body = valid
    field, value = data.draw(out_of_range(path))
    detail = assert_refused(post(client, path, {**body, field: value}))
    assert [error["loc"] for error in detail] == [["body", field]]


@FAST
@given(valid=valid_requests())
def test_a_valid_request_gives_its_images(client, valid):
    path, body = valid
    response = post(client, path, body)
    assert response.status_code == 200, response.text[:300]
    count = body.get("n", body.get("steps"))
    size = 32 if body["model"] == "mnist" else 8
    if body["format"] == "json":
        images = response.json()["images"]
        assert len(images) == count
        assert pixels(base64.b64decode(images[0])).shape[:2] == (size, size)
    else:
        assert response.headers["content-type"] == "image/png"
        assert pixels(response.content).shape[0] >= size
