"""The FastAPI app: a REST API over the loaded generators and the page that drives it.

Requests name a model and give numbers and label names; nothing in a request is ever used as a
file path (the page's files are read once, at start-up) except under ``/static/docs/``, where
Starlette's StaticFiles serves the API docs' assets from fastapi-offline's folder and refuses
any path outside it. Bounds are enforced by the request schemas (422 naming the field), a
body-size limit (413) and a bounded work queue (503 when full).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

import torch
from fastapi import FastAPI, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline

from facegan import __version__
from facegan.conditions import ConditionError
from facegan.serve.batching import Batcher
from facegan.serve.images import latent_noise, png_base64_list, png_bytes, seeded, slerp
from facegan.serve.models import ServedModel
from facegan.serve.schemas import (
    MAX_LABELS,
    MAX_SEED,
    Condition,
    GenerateRequest,
    ImagesResponse,
    InterpolateRequest,
)
from facegan.serve.work_queue import QueueFull, WorkQueue

MAX_BODY_BYTES = 64 * 1024
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
IMMUTABLE = "public, max-age=31536000, immutable"
DOCS_ASSETS = "/static/docs"  # Swagger UI's and ReDoc's scripts and styles (fastapi-offline's)


def create_app(models: Sequence[ServedModel], queue_limit: int = 16) -> FastAPI:
    """An app serving ``models`` (the first is the default); at most ``queue_limit`` generation
    requests wait or run at once, the rest get 503."""
    if not models:
        raise ValueError("create_app needs at least one model")
    by_name = {model.name: model for model in models}
    if len(by_name) != len(models):
        raise ValueError(f"model names must differ: {[m.name for m in models]}")
    queue = WorkQueue(queue_limit)
    batchers = {model.name: Batcher(model.run, queue) for model in models}
    page = files("facegan.serve").joinpath("static")
    index_html = page.joinpath("index.html").read_text()
    assets = {name: page.joinpath(name).read_text() for name in STATIC}

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        queue.close()

    # FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN, blank offline;
    # fastapi-offline serves the same pages with the packaged copies under DOCS_ASSETS
    app = FastAPIOffline(title="facegan", version=__version__, lifespan=lifespan,
                         static_url=DOCS_ASSETS,
                         description="Generate images from trained facegan generators.")
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_exception_handler(RequestValidationError, _validation_error)

    def pick(name: str | None, location: tuple[str, str]) -> ServedModel:
        if name is None:
            return models[0]
        if name not in by_name:
            raise _invalid(location, f"unknown model {name!r}; served models: "
                                     f"{', '.join(by_name)}", name)
        return by_name[name]

    def condition(model: ServedModel, body: Condition, n: int, rng: torch.Generator,
                  where: str = "body"):
        try:
            return model.condition.build(n, body.labels, body.embedding, rng)
        except ConditionError as exc:
            raise _invalid((where, exc.field), str(exc), getattr(body, exc.field)) from None

    async def respond(model: ServedModel, z: torch.Tensor, c: torch.Tensor | None,
                      body: Condition, nrow: int | None, filename: str,
                      headers: dict[str, str] | None = None) -> Response:
        options = _sampling_options(model, body)

        def finish(images: torch.Tensor) -> bytes | list[str]:
            return png_bytes(images, nrow) if body.format == "png" else png_base64_list(images)

        def job() -> bytes | list[str]:
            return finish(model.run(z, c, **options) if options else model.run(z, c))

        try:
            if options or model.sampling:  # a multi-step sampler: alone (see batching)
                result = await queue.run(job)
            else:  # with the requests that arrive while the model is busy, in one call
                queue.admit()
                try:
                    result = await batchers[model.name].submit(z, c, finish)
                finally:
                    queue.release()
        except QueueFull:
            return JSONResponse(
                {"detail": f"the server is busy: {queue.limit} requests are already waiting "
                           "(the queue limit); retry in a moment"},
                status_code=503, headers={"Retry-After": "1"})
        if body.format == "png":
            return Response(result, media_type="image/png", headers={
                "Content-Disposition": f'inline; filename="{filename}"', **(headers or {})})
        size = model.data["image_size"]
        return JSONResponse(ImagesResponse(model=model.name, width=size, height=size,
                                           images=result).model_dump())

    @app.get("/api/health")
    async def health() -> dict:
        """Liveness, the served model names, how full the work queue is and the process that
        answered: the probe for a load balancer."""
        return {"status": "ok", "models": list(by_name),
                "queue": {"pending": queue.pending, "limit": queue.limit},
                "process": os.getpid()}  # which worker answered, under --workers N

    @app.get("/api/models")
    async def list_models() -> list[dict]:
        """Every served model, described as GET /api/model describes one."""
        return [model.describe() for model in models]

    @app.get("/api/model")
    async def describe_model(name: str | None = Query(None, description="Default: the first.")
                             ) -> dict:
        """Resolution, channels, the labels or embedding it accepts, training progress and
        the run's last logged metrics when known."""
        return pick(name, ("query", "name")).describe()

    @app.post("/api/generate", responses={200: {"content": {"image/png": {}}}})
    async def generate(body: GenerateRequest) -> Response:
        """``n`` images from ``seed``: one PNG (a grid when n > 1) or JSON with one PNG each."""
        model = pick(body.model, ("body", "model"))
        rng = seeded(body.seed)
        z = latent_noise(body.n, model.shape, rng, body.truncation)
        c = condition(model, body, body.n, rng)
        return await respond(model, z, c, body, None, f"facegan-{model.name}-{body.seed}.png")

    @app.get("/api/image", responses={200: {"content": {"image/png": {}}},
                                      304: {"description": "Not modified (If-None-Match)"}})
    async def image(
        if_none_match: str | None = Header(None),
        model: str | None = Query(None, description="Model name; default: the first."),
        seed: int = Query(0, ge=0, le=MAX_SEED),
        truncation: float | None = Query(None, ge=0.05, le=4.0, allow_inf_nan=False),
        labels: list[str] | None = Query(None, max_length=MAX_LABELS,
                                         description="Repeat for several: labels=a&labels=b."),
    ) -> Response:
        """One image, the one ``POST /api/generate`` gives for ``n: 1``, with a strong ETag
        and ``Cache-Control: immutable``: a seed always gives the same image for a given model
        file, so any cache in front of the server can keep it (a changed file: new ETags)."""
        served = pick(model, ("query", "model"))
        if served.condition.kind == "embedding":
            raise _invalid(("query", "model"), f"model {served.name!r} draws faces for an "
                           "embedding: POST /api/generate with its embedding", served.name)
        body = GenerateRequest(model=served.name, seed=seed, truncation=truncation,
                               labels=labels)
        tag = image_etag(served.fingerprint, body)
        headers = {"ETag": tag, "Cache-Control": IMMUTABLE}
        if if_none_match is not None and _matches(if_none_match, tag):
            return Response(status_code=304, headers=headers)
        rng = seeded(seed)
        z = latent_noise(1, served.shape, rng, truncation)
        c = condition(served, body, 1, rng, where="query")
        return await respond(served, z, c, body, None,
                             f"facegan-{served.name}-{seed}.png", headers)

    @app.post("/api/interpolate", responses={200: {"content": {"image/png": {}}}})
    async def interpolate(body: InterpolateRequest) -> Response:
        """A strip of ``steps`` images walking from ``seed_a``'s noise to ``seed_b``'s."""
        model = pick(body.model, ("body", "model"))
        rng = seeded(body.seed_a)
        z_a = latent_noise(1, model.shape, rng, body.truncation)[0]
        z_b = latent_noise(1, model.shape, seeded(body.seed_b), body.truncation)[0]
        c = condition(model, body, 1, rng)  # one condition for the whole strip
        c = None if c is None else c.expand(body.steps, *c.shape[1:])
        name = f"facegan-{model.name}-{body.seed_a}-{body.seed_b}.png"
        return await respond(model, slerp(z_a, z_b, body.steps), c, body, body.steps, name)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(index_html)

    for asset, media_type in STATIC.items():
        app.add_api_route(f"/static/{asset}", _fixed(assets[asset], media_type),
                          include_in_schema=False)
    return app


def image_etag(fingerprint: str, body: GenerateRequest) -> str:
    """A strong ETag for the image of ``body`` from the model with ``fingerprint``."""
    key = json.dumps([fingerprint, body.seed, body.truncation, body.labels])
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _matches(if_none_match: str, tag: str) -> bool:
    """If-None-Match holds ``*`` or a list of (possibly weak, ``W/``) tags; its comparison
    is the weak one (RFC 9110 13.1.2)."""
    candidates = [part.strip().removeprefix("W/") for part in if_none_match.split(",")]
    return "*" in candidates or tag in candidates


def _fixed(content: str, media_type: str):
    async def serve() -> Response:
        return Response(content, media_type=media_type)

    return serve


def _sampling_options(model: ServedModel, body: Condition) -> dict[str, float | int]:
    """The request's sampling options, or a 422 when the model cannot take them."""
    options = body.sampling_options()
    if options and not model.sampling:
        field = "sampling_steps" if "steps" in options else "guidance"
        raise _invalid(("body", field), f"model {model.name!r} draws an image in one pass; "
                       "sampling_steps and guidance apply to diffusion models",
                       getattr(body, field))
    most = model.sampling.get("num_train_timesteps")
    if most is not None and options.get("steps", 0) > most:
        raise _invalid(("body", "sampling_steps"), f"model {model.name!r} was trained with "
                       f"{most} timesteps; ask for at most that many", body.sampling_steps)
    return options


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, but one that quotes a NaN or Infinity the request held (Python's JSON
    reader takes them) as text: strict JSON has no such numbers, and FastAPI's own handler
    fails on them with a 500."""
    return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))},
                        status_code=422)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


def _invalid(location: tuple[str, str], message: str, value: object) -> RequestValidationError:
    """A 422 in FastAPI's own shape, naming the field at fault."""
    return RequestValidationError([{"type": "value_error", "loc": location, "msg": message,
                                    "input": value}])


class BodyLimit:
    """ASGI middleware: answer 413 to request bodies over ``max_bytes`` (declared or streamed).

    Bodies are read in full (they are small by then) and replayed to the app, so an oversized
    body is refused before any of it is parsed.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope, receive, send) -> None:
        response = JSONResponse({"detail": f"request body over {self.max_bytes} bytes"},
                                status_code=413)
        await response(scope, receive, send)
