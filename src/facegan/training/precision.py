"""Mixed precision: autocast for the forward passes, and loss scaling for fp16.

``train.precision`` picks the autocast dtype. bf16 has fp32's range and needs no scaling; fp16
needs a ``GradScaler`` per optimizer (the two losses have different magnitudes) and, for
gradient penalties, the loss-scaled recipe in ``facegan.methods.gan.losses.critic_input_gradient``.

On the CPU, fp16 is refused, and bf16 is refused unless the CPU computes bf16 natively (AMX or
AVX512-BF16): elsewhere it is emulated and slower than fp32, which would defeat its purpose.
Refusing (a ``FaceganError``, exit 2) rather than silently falling back keeps a recipe from
meaning different things on different machines.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from facegan.errors import FaceganError

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")  # x86 /proc/cpuinfo flags
ARM_BF16_FEATURE = "bf16"


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has bf16 arithmetic in hardware (Linux; False where unknown)."""
    if not sys.platform.startswith("linux") or not cpuinfo.is_file():
        return False
    for line in cpuinfo.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags = set(value.split())
            return bool(flags & {*NATIVE_BF16_FLAGS, ARM_BF16_FEATURE})
    return False


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse a precision that cannot help on ``device``, with the fix in one line."""
    if device.type == "cuda":
        if precision == "bf16" and not torch.cuda.is_bf16_supported():
            raise FaceganError("train.precision=bf16 but this GPU has no bf16 support; use "
                               "train.precision=fp16 or fp32")
        return
    if precision == "fp16":
        raise FaceganError(f"train.precision=fp16 needs a CUDA GPU (training on {device.type}); "
                           "use train.precision=fp32")
    if precision == "bf16" and not cpu_has_native_bf16():
        raise FaceganError("train.precision=bf16 would be slower than fp32 on this CPU (no "
                           "native bf16: AMX or AVX512-BF16); use train.precision=fp32")


class MixedPrecision:
    """Autocast and, for fp16, one gradient scaler per optimizer.

    ``autocast()`` wraps the objective's forward passes and losses; ``backward_and_step``
    replaces ``loss.backward(); optimizer.step()``.
    """

    def __init__(self, precision: str, device: torch.device, optimizer_names: list[str]) -> None:
        check_precision(precision, device)
        self.precision = precision
        self.device = device
        self.dtype = DTYPES[precision]
        self.scalers = {name: torch.amp.GradScaler(device.type) for name in optimizer_names
                        } if precision == "fp16" else {}

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        with torch.autocast(self.device.type, dtype=self.dtype,
                            enabled=self.precision != "fp32"):
            yield

    def grad_scale(self, optimizer_name: str) -> torch.Tensor | None:
        """The current fp16 loss scale as a 0-dim tensor (no host sync), or None."""
        scaler = self.scalers.get(optimizer_name)
        if scaler is None:
            return None
        return scaler.scale(torch.ones((), device=self.device))

    def backward_and_step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer,
                          optimizer_name: str,
                          before_step: Callable[[], None] | None = None) -> None:
        """``before_step`` runs between the backward and the step (gradient averaging)."""
        scaler = self.scalers.get(optimizer_name)
        if scaler is None:
            loss.backward()
            if before_step is not None:
                before_step()
            optimizer.step()
            return
        scaler.scale(loss).backward()
        if before_step is not None:  # scaled gradients: an overflow anywhere is one everywhere
            before_step()
        scaler.step(optimizer)  # skipped when the scaled gradients overflowed
        scaler.update()

    def state_dict(self) -> dict[str, Any]:
        return {name: scaler.state_dict() for name, scaler in self.scalers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, scaler in self.scalers.items():
            if name in state:
                scaler.load_state_dict(state[name])
