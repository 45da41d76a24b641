"""``inception``: the standard FID extractor, Inception-v3 pool features (2048-d).

The network and its TensorFlow-compatible resize come from torchmetrics (which uses
torch-fidelity's port of the original FID Inception weights), so values are comparable with
published FIDs. Images are quantised to uint8, grayscale is repeated to 3 channels, and the
network resizes to 299 x 299 with TF1 bilinear interpolation, as the original protocol does.

Weights: ``weights`` (``--inception-weights PATH``) names a local file; otherwise the file is
downloaded once into torch's hub cache (``$TORCH_HOME/hub/checkpoints``). Offline with neither,
building fails at once with a one-line error saying how to get the file: the connectivity check
runs in a thread with a short timeout, so a blackholed network cannot hang the evaluation.
Either way the file is first loaded with ``weights_only=True``, so it cannot run code when
torch-fidelity later unpickles it.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import torch

from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.metrics.extractors import FeatureExtractor, FeaturesConfig, to_rgb, to_uint8
from facegan.registry import register_feature_extractor

log = logging.getLogger(__name__)

INCEPTION_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                 "weights-inception-2015-12-05-6726825d.pth")
INCEPTION_SHA256_PREFIX = "6726825d"  # checked by torch.hub on download
CONNECT_TIMEOUT_S = 5.0


def cached_weights_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(INCEPTION_URL).path).name


def _reachable(url: str, timeout: float) -> bool:
    """True when a TCP connection to the URL's host opens within ``timeout`` seconds (name
    resolution included: it runs in a daemon thread, which we stop waiting for)."""
    host = urlparse(url).hostname or ""
    outcome: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(outcome and outcome[0])


def inception_weights(path: str | None) -> Path:
    """The local Inception weights file: ``path``, the cached download, or a fresh download."""
    if path is not None:
        weights = Path(path)
        if not weights.is_file():
            raise FaceganError(f"--inception-weights {weights}: no such file; download "
                               f"{INCEPTION_URL} and pass its path")
        return weights
    cached = cached_weights_path()
    if cached.is_file():
        return cached
    if not _reachable(INCEPTION_URL, CONNECT_TIMEOUT_S):
        raise FaceganError(f"the inception features need weights and this machine is offline: "
                           f"download {INCEPTION_URL} elsewhere and pass --inception-weights "
                           f"PATH (or copy it to {cached}), or use --features classifier")
    cached.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading the FID Inception weights to %s", cached)
    try:
        torch.hub.download_url_to_file(INCEPTION_URL, str(cached),
                                       hash_prefix=INCEPTION_SHA256_PREFIX)
    except (OSError, RuntimeError) as exc:
        raise FaceganError(f"downloading {INCEPTION_URL} failed ({exc}); download it by hand "
                           "and pass --inception-weights PATH") from None
    return cached


class InceptionFeatures(FeatureExtractor):
    name = "inception"
    num_features = 2048
    resize = "uint8 quantised, gray->RGB, TF1-compatible bilinear to 299x299 (torch-fidelity)"

    def __init__(self, weights: Path) -> None:
        super().__init__()
        try:
            import torch_fidelity  # noqa: F401
            from torchmetrics.image.fid import NoTrainInceptionV3
        except ImportError:
            raise FaceganError("the inception features need torch-fidelity: pip install "
                               "torch-fidelity (or use --features classifier)") from None
        try:
            torch.load(weights, map_location="cpu", weights_only=True)
        except Exception as exc:  # any unpickling failure means: not a plain state dict
            raise FaceganError(f"{weights} is not an Inception state dict loadable with "
                               f"weights_only=True ({type(exc).__name__}); download "
                               f"{INCEPTION_URL} again") from None
        self.weights_path = weights
        self.net = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"],
                                      feature_extractor_weights_path=str(weights),
                                      antialias=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` in [-1, 1] -> ``(N, 2048)``."""
        return self.net(to_rgb(to_uint8(images))).float()


@register_feature_extractor("inception", config=FeaturesConfig)
def build_inception(cfg: FeaturesConfig, info: DataInfo, features_root: Path) -> InceptionFeatures:
    if info.channels not in (1, 3):
        raise FaceganError(f"inception features need 1 or 3 channels, the data has "
                           f"{info.channels}; use --features classifier")
    return InceptionFeatures(inception_weights(cfg.weights))
