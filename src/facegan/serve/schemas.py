"""Request and response bodies of the REST API; the bounds here are the server's limits.

Requests are validated strictly: a number sent as a string (``{"n": "4"}``), a float where a
whole number is expected (``4.0``) or a boolean is a 422 naming the field, like any other wrong
type; only a whole number where a float is expected is taken as it is. NaN and Infinity,
which Python's JSON reader takes, are refused where a number is expected.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_IMAGES = 64
MAX_INTERPOLATION_STEPS = 16
MAX_SEED = 2**32 - 1  # fits a JavaScript number exactly
MAX_LABELS = 256
MAX_EMBEDDING = 4096
MAX_SAMPLING_STEPS = 100  # a diffusion model's denoising steps per request


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    model: str | None = Field(None, description="Model name (GET /api/models); default: the "
                                                "first one the server was started with.")
    truncation: float | None = Field(
        None, ge=0.05, le=4.0, description="Redraw noise entries beyond ±truncation; smaller "
                                           "gives more typical, less varied images. null: off.")
    labels: list[str] | None = Field(
        None, max_length=MAX_LABELS, description="Class models: one class name (default: a "
        "random class per image). Attribute models: the attributes to switch on, at most one "
        "value of each one-hot group (label_groups in GET /api/model).")
    embedding: list[float] | None = Field(
        None, max_length=MAX_EMBEDDING, description="Embedding models: embedding_dim numbers.")
    format: Literal["png", "json"] = Field(
        "png", description="png: one PNG (an image or a grid); json: base64 PNGs, one per image.")
    sampling_steps: int | None = Field(
        None, ge=1, le=MAX_SAMPLING_STEPS, description="Diffusion models: denoising steps "
        "(default: the model's). GANs draw in one pass and refuse it.")
    guidance: float | None = Field(
        None, ge=0.0, le=20.0, description="Conditional diffusion models: classifier-free "
        "guidance weight (1: none, e.g. 3).")

    def sampling_options(self) -> dict[str, float | int]:
        return {key: value for key, value in (("steps", self.sampling_steps),
                                              ("guidance", self.guidance)) if value is not None}


class GenerateRequest(Condition):
    seed: int = Field(0, ge=0, le=MAX_SEED, description="The same seed gives the same images.")
    n: int = Field(1, ge=1, le=MAX_IMAGES, description="Number of images (a grid when > 1).")


class InterpolateRequest(Condition):
    seed_a: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the first image.")
    seed_b: int = Field(1, ge=0, le=MAX_SEED, description="Seed of the last image.")
    steps: int = Field(8, ge=2, le=MAX_INTERPOLATION_STEPS, description="Images in the strip.")


class ImagesResponse(BaseModel):
    model: str
    width: int
    height: int
    images: list[str] = Field(description="Base64-encoded PNGs, one per image.")
