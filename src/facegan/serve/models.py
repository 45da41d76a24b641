"""The generators a server holds: a PyTorch module or an ONNX session behind one call.

Everything here runs at start-up; requests only ever name a model that is already loaded.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from facegan.conditions import ConditionSpec
from facegan.errors import FaceganError, first_line
from facegan.export import META_KEY, require_onnx
from facegan.methods.base import SamplingModel
from facegan.methods.io import build_sampler, load_model_dir
from facegan.runs import file_sha256
from facegan.sampling import resolve_generator_dir

Backend = Literal["pytorch", "onnx"]
# noise (N, *noise_shape), c (N,) / (N, L) / (N, E) or None, sampling options (a diffusion
# model's steps, guidance) -> images (N, C, H, W) in [-1, 1]
GenerateFn = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class ServedModel:
    name: str
    backend: Backend
    latent_dim: int
    data: dict[str, Any]  # generator.json's data section (a saved DataInfo)
    run: GenerateFn
    training: dict[str, Any] = field(default_factory=dict)  # epoch and step when saved
    metrics: dict[str, Any] = field(default_factory=dict)  # the run's last logged metrics
    conditional: bool = True  # False: trained without using the data's labels
    sampling: dict[str, Any] = field(default_factory=dict)  # a multi-step sampler's defaults
    noise_shape: tuple[int, ...] = ()  # () for a latent vector of latent_dim numbers
    # what the images depend on besides the request (the weights and the saved description):
    # GET /api/image's ETags hash it; by default a new value per loaded model, never reused
    fingerprint: str = field(default_factory=lambda: uuid.uuid4().hex)
    condition: ConditionSpec = field(init=False)
    # the one-hot tag groups (see `ConditionSpec.one_hot_groups`)
    label_groups: dict[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        # read once, so a model the server cannot condition fails at start-up, not per request
        spec = ConditionSpec.from_data(self.data) if self.conditional else ConditionSpec("none")
        object.__setattr__(self, "condition", spec)
        object.__setattr__(self, "label_groups", spec.one_hot_groups())

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/model`` answers."""
        spec = self.condition
        labelled = spec.kind in ("class", "multilabel")
        return {
            "name": self.name, "backend": self.backend, "dataset": self.data.get("name"),
            "resolution": self.data["image_size"], "channels": self.data["channels"],
            "latent_dim": self.latent_dim, "label_kind": spec.kind if labelled else "none",
            "labels": list(spec.label_names),
            "label_groups": {group: list(names) for group, names in self.label_groups.items()},
            "embedding_dim": spec.embedding_dim,
            "training": self.training, "metrics": self.metrics, "sampling": self.sampling,
        }

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one noise input: ``(latent_dim,)`` or a noise image ``(C, H, W)``."""
        return self.noise_shape or (self.latent_dim,)


def torch_model(name: str, model: SamplingModel, meta: dict[str, Any],
                device: torch.device = torch.device("cpu"), metrics: dict | None = None,
                ) -> ServedModel:
    """Serve a saved model through its own sampling path (`SamplingModel.decode`); a diffusion
    model's requests may set its sampling options."""
    model.to(device)

    def run(z: torch.Tensor, c: torch.Tensor | None, **options: Any) -> torch.Tensor:
        return model.with_options(**options).decode(z, c).cpu()

    multi_step = len(model.noise_shape) != 1
    sampling = meta.get("sampler", {}) if multi_step else {}
    return ServedModel(name, "pytorch", 0 if multi_step else model.noise_shape[0], meta["data"],
                       run, _training(meta), metrics or {}, conditional=model.conditional,
                       sampling=sampling, noise_shape=model.noise_shape if multi_step else (),
                       fingerprint=weights_fingerprint(model, meta))


def weights_fingerprint(model: SamplingModel, meta: dict[str, Any]) -> str:
    """SHA-256 of every network's weights and of the saved description: a changed model file
    changes it, the same file loaded again gives it again."""
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
    for name, network in sorted(model.networks.items()):
        for key, tensor in network.state_dict().items():
            digest.update(f"{name}.{key}".encode())
            digest.update(tensor.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def onnx_model(name: str, path: Path) -> ServedModel:
    """Serve a file written by ``facegan export --format onnx`` with onnxruntime."""
    require_onnx()
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # one thread budget for both backends: what torch uses (OMP_NUM_THREADS, set_num_threads)
    options.intra_op_num_threads = torch.get_num_threads()
    try:
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own types (InvalidProtobuf, Fail, ...)
        first = first_line(exc)
        raise FaceganError(f"{path} is not a readable ONNX model ({first}); export it again "
                           "with facegan export RUN --format onnx --out FILE") from None
    description = session.get_modelmeta().custom_metadata_map.get(META_KEY)
    if description is None:
        raise FaceganError(f"{path} has no facegan description; export it with "
                           "facegan export RUN --format onnx --out FILE")
    meta = json.loads(description)
    input_names = [arg.name for arg in session.get_inputs()]

    def call(*inputs: torch.Tensor) -> torch.Tensor:
        feeds = {name: x.numpy() for name, x in zip(input_names, inputs, strict=True)}
        return torch.from_numpy(session.run(None, feeds)[0])

    conditional = bool(meta.get("conditional", True))
    fingerprint = file_sha256(path)
    if meta.get("sampler", {"name": "gan"})["name"] != "gan":
        return _onnx_multi_step(name, meta, call, conditional, fingerprint)

    def run(z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        return call(z) if c is None else call(z, c)

    return ServedModel(name, "onnx", int(meta["latent_dim"]), meta["data"], run,
                       _training(meta), conditional=conditional, fingerprint=fingerprint)


class OnnxDenoiser:
    """An exported denoiser behind the call the diffusion sampler makes,
    ``(x, t, c=None, drop=None) -> prediction``."""

    def __init__(self, call: Callable[..., torch.Tensor], conditional: bool) -> None:
        self.call, self.conditional = call, conditional

    def __call__(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor | None = None,
                 drop: torch.Tensor | None = None) -> torch.Tensor:
        if not self.conditional:
            return self.call(x, t)
        if drop is None:
            drop = torch.zeros(len(x), dtype=torch.bool)
        return self.call(x, t, c, drop)


def _onnx_multi_step(name: str, meta: dict[str, Any], call: Callable[..., torch.Tensor],
                     conditional: bool, fingerprint: str) -> ServedModel:
    """A diffusion model's exported denoiser with its sampler's loop run around it."""
    sampler = build_sampler(meta)
    denoiser = OnnxDenoiser(call, conditional)

    def run(z: torch.Tensor, c: torch.Tensor | None, **options: Any) -> torch.Tensor:
        with torch.no_grad():
            return sampler.with_options(**options).decode({"denoiser": denoiser}, z, c)

    return ServedModel(name, "onnx", 0, meta["data"], run, _training(meta),
                       conditional=conditional, sampling=meta["sampler"],
                       noise_shape=tuple(meta["noise_shape"]), fingerprint=fingerprint)


def load_served_model(name: str, path: Path, device: torch.device) -> ServedModel:
    """A run directory, checkpoint or generator folder (safetensors), or an ``.onnx`` file."""
    if path.suffix == ".onnx" and path.is_file():
        return onnx_model(name, path)
    if path.is_file():
        raise FaceganError(f"{path} is not something facegan serve runs; pass a run directory, "
                           "a checkpoint folder (safetensors) or an .onnx export")
    directory = resolve_generator_dir(path)
    model, meta = load_model_dir(directory)
    return torch_model(name, model, meta, device, _last_metrics(directory))


def parse_model_option(option: str) -> tuple[str, Path]:
    """``NAME=PATH`` from ``--model`` -> (name, path)."""
    name, sep, path = option.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise FaceganError(f"--model {option!r} is not NAME=PATH (e.g. --model "
                           "mnist=models/MNIST/WGAN_GP)")
    return name.strip(), Path(path.strip())


def _training(meta: dict[str, Any]) -> dict[str, Any]:
    return {key: meta[key] for key in ("epoch", "step") if key in meta}


def _last_metrics(generator_dir: Path) -> dict[str, Any]:
    """The last whole record of the run's metrics.jsonl (generator dir -> saved_models ->
    run)."""
    for folder in (generator_dir, *list(generator_dir.parents)[:2]):
        metrics_file = folder / "metrics.jsonl"
        if metrics_file.is_file():
            lines = metrics_file.read_text(encoding="utf-8", errors="replace").splitlines()
            for line in reversed(lines):  # a torn last line (a crash mid-write) is skipped
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    return record
            return {}
    return {}
