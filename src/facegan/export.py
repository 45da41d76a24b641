"""Exporting a saved model to ONNX or TorchScript, checked against PyTorch.

The method's sampler names the module to export. A GAN's generator takes ``z (N, latent_dim)``
(and ``c`` for conditional models, see `facegan.conditions`) and returns ``images (N, C, H,
W)`` in [-1, 1]; a diffusion model's denoiser takes ``x (N, C, H, W)``, ``t (N,)`` (and ``c``,
``drop``) and returns its ``prediction``, and ``facegan serve`` runs the sampling loop around
it. Every input has a dynamic batch size. The saved model's
``generator.json`` description travels inside the file (ONNX metadata ``facegan.generator``,
TorchScript extra file ``facegan.generator.json``), so ``facegan serve model.onnx`` needs
nothing else. Every export is run once more at a batch size it was not traced with and compared
with PyTorch before the file is put in place.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from facegan.errors import FaceganError
from facegan.methods.base import SamplingModel
from facegan.runs import atomic_file

Format = Literal["onnx", "torchscript"]
META_KEY = "facegan.generator"
TORCHSCRIPT_META_FILE = "facegan.generator.json"
TRACE_BATCH = 2
CHECK_BATCH = 3  # differs from TRACE_BATCH, so a batch size baked into the graph is caught
TOLERANCE = 1e-4  # max |difference| from PyTorch, on outputs in [-1, 1]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: Format
    max_abs_difference: float


def export_meta(model: SamplingModel, meta: dict[str, Any]) -> dict[str, Any]:
    """The description stored inside an export: ``generator.json`` plus the noise shape (and
    ``latent_dim`` for a one-pass model)."""
    shape = model.noise_shape
    return {**meta, "latent_dim": int(shape[0]) if len(shape) == 1 else 0,
            "noise_shape": list(shape), "conditional": model.conditional}


def example_inputs(model: SamplingModel, n: int) -> dict[str, torch.Tensor]:
    return model.sampler.export_inputs(model.networks, model.seeded_noise(n, n),
                                       model.condition.example(n))


def export_model(model: SamplingModel, meta: dict[str, Any], fmt: Format,
                 out: Path) -> ExportResult:
    """Write ``model``'s export module (eval mode, CPU) to ``out`` in ``fmt`` and check it
    against PyTorch at another batch size. A GAN exports its generator; a diffusion model its
    denoiser, whose sampling loop `facegan serve` runs around onnxruntime."""
    if out.is_dir():
        raise FaceganError(f"--out {out} is a folder; name the file to write, e.g. "
                           f"{out / ('generator.onnx' if fmt == 'onnx' else 'generator.pt')}")
    model.to(torch.device("cpu"))
    module = model.sampler.export_module(model.networks).eval()
    description = json.dumps(export_meta(model, meta))
    out.parent.mkdir(parents=True, exist_ok=True)
    check_inputs = tuple(example_inputs(model, CHECK_BATCH).values())
    trace = example_inputs(model, TRACE_BATCH)
    with torch.no_grad():
        expected = module(*check_inputs)
    with atomic_file(out) as tmp:  # put in place only once it has passed the check
        if fmt == "onnx":
            _write_onnx(module, trace, description, tmp, model.sampler.export_output)
            actual = _run_onnx(tmp, check_inputs)
        elif fmt == "torchscript":
            _write_torchscript(module, tuple(trace.values()), description, tmp)
            with torch.no_grad(), _quiet_torchscript():
                actual = torch.jit.load(str(tmp))(*check_inputs)
        else:
            raise FaceganError(f"unknown export format {fmt!r}; use onnx or torchscript")
        difference = (actual - expected).abs().max().item()
        if not difference <= TOLERANCE:
            raise FaceganError(f"the {fmt} export differs from PyTorch by {difference:.2e} "
                               f"(tolerance {TOLERANCE:.0e}); try the other --format")
    return ExportResult(out, fmt, difference)


def require_onnx() -> None:
    missing = [m for m in ("onnx", "onnxscript", "onnxruntime") if not importlib.util.find_spec(m)]
    if missing:
        raise FaceganError(f"ONNX needs {', '.join(missing)}; install the extra: "
                           "pip install 'facegan[onnx]'")


def _write_onnx(module: nn.Module, inputs: dict[str, torch.Tensor], description: str,
                path: Path, output_name: str) -> None:
    require_onnx()
    import onnx

    batch = torch.export.Dim("batch", min=1, max=4096)
    with warnings.catch_warnings():
        # the inputs share the batch axis on purpose; the exporter notes that it names it once
        warnings.filterwarnings("ignore", message=".*axis name: batch will not be used")
        torch.onnx.export(
            module, tuple(inputs.values()), str(path), dynamo=True, verbose=False,
            external_data=False,  # one file: the weights inside, no <path>.data beside it
            input_names=list(inputs), output_names=[output_name],
            dynamic_shapes=tuple({0: batch} for _ in inputs),
        )
    model = onnx.load(str(path))
    model.metadata_props.add(key=META_KEY, value=description)
    onnx.save(model, str(path))


def _run_onnx(path: Path, inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {arg.name: x.numpy() for arg, x in zip(session.get_inputs(), inputs, strict=True)}
    return torch.from_numpy(session.run(None, feeds)[0])


def _write_torchscript(module: nn.Module, inputs: tuple[torch.Tensor, ...], description: str,
                       path: Path) -> None:
    with _quiet_torchscript():
        traced = torch.jit.trace(module, inputs)
        # saved to memory and written by Python: torch.jit.save's own file writer aborts the
        # process on a full disk
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer, _extra_files={TORCHSCRIPT_META_FILE: description})
    path.write_bytes(buffer.getbuffer())


@contextlib.contextmanager
def _quiet_torchscript():
    # TorchScript is deprecated upstream but still what C++ and mobile runtimes load; the user
    # asked for it by name, so the deprecation notices are noise here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\..* is deprecated",
                                category=FutureWarning)
        yield
