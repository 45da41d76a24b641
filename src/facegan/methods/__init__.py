"""Methods: what is trained and how it samples (see `facegan.methods.base`)."""

from facegan.methods import diffusion, gan  # noqa: F401  (register the methods)
from facegan.methods.base import (
    Batch,
    Method,
    Phase,
    Sampler,
    SamplingModel,
    StepContext,
    build_method,
)

__all__ = ["Batch", "Method", "Phase", "Sampler", "SamplingModel", "StepContext",
           "build_method"]
