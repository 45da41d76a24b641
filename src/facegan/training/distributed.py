"""Several training processes, as ``torchrun`` starts them: topology, process group, and the
few collective operations the trainer needs.

One process per device (``LOCAL_RANK``); NCCL between GPUs, gloo on CPUs. Every collective goes
through this module, so a peer that died or stalled ends the job with one line (after
``train.dist_timeout`` seconds at most) instead of a hang or a traceback.

Gradients are averaged here too, by one all-reduce of the flattened gradients of the network a
phase updates, after that phase's backward -- what ``DistributedDataParallel`` computes, without
its wrapper: a GAN runs its discriminator several times per phase, differentiates it twice for
a gradient penalty, runs a network in a phase that does not update it, and leaves heads unused
in some phases, each of which DDP forbids or needs flags for (``find_unused_parameters``, "mark
a variable ready only once", ``no_sync``). stylegan2-ada-pytorch averages its gradients the same
way for the same reasons. The cost is that the all-reduce does not overlap the backward.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from facegan.errors import FaceganError, first_line

T = TypeVar("T")

RESUME_HINT = "resume the run with the same torchrun command and --resume"


@dataclass(frozen=True)
class DistributedInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Only the main process writes files and logs, so runs look the same at any scale."""
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_env(cls) -> DistributedInfo:
        """The topology torchrun sets in ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``."""
        values = {}
        for key, default in (("RANK", 0), ("WORLD_SIZE", 1), ("LOCAL_RANK", 0)):
            text = os.environ.get(key, str(default))
            try:
                values[key] = int(text)
            except ValueError:
                raise FaceganError(f"environment variable {key}={text!r} is not a number; "
                                   "start several processes with torchrun") from None
        info = cls(values["RANK"], values["WORLD_SIZE"], values["LOCAL_RANK"])
        if not 0 <= info.rank < max(info.world_size, 1):
            raise FaceganError(f"RANK={info.rank} is outside WORLD_SIZE={info.world_size}; "
                               "start several processes with torchrun")
        return info

    def device(self, device: torch.device) -> torch.device:
        """This process's device: GPU ``LOCAL_RANK`` when training on CUDA."""
        if device.type != "cuda" or not self.is_distributed:
            return device
        if self.local_rank >= torch.cuda.device_count():
            raise FaceganError(f"LOCAL_RANK={self.local_rank} but this machine has "
                               f"{torch.cuda.device_count()} GPUs; lower --nproc_per_node")
        return torch.device("cuda", self.local_rank)


class PeerLostError(FaceganError):
    """Another process of the job died or stalled: a crash, not a user mistake (exit status 1,
    so a pipeline retries the cycle)."""

    exit_code = 1


def _collective(name: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except (RuntimeError, dist.DistBackendError) as error:
        first = first_line(error, 400).split("] ", 1)[-1][:160]  # without gloo's source path
        raise PeerLostError(f"training process group: {name} failed ({first}): another "
                            f"process stopped or stalled; {RESUME_HINT}") from None


class ProcessGroup:
    """The collectives of one training job; with one process each is a no-op."""

    def __init__(self, info: DistributedInfo, device: torch.device, timeout_s: float) -> None:
        self.info = info
        self.device = device
        self.created = False
        if info.is_distributed and not dist.is_initialized():
            if device.type == "cuda":
                torch.cuda.set_device(device)
            backend = "nccl" if device.type == "cuda" else "gloo"
            _collective("start", lambda: dist.init_process_group(
                backend, timeout=timedelta(seconds=timeout_s)))
            self.created = True

    @property
    def world_size(self) -> int:
        return self.info.world_size

    def close(self) -> None:
        if self.created and dist.is_initialized():
            dist.destroy_process_group()
            self.created = False

    def barrier(self) -> None:
        if self.info.is_distributed:
            # gloo's barrier and NCCL's both honour the group's timeout
            _collective("barrier", dist.barrier)

    def broadcast_module(self, module: nn.Module) -> None:
        """Rank 0's parameters and buffers on every rank."""
        if not self.info.is_distributed:
            return
        with torch.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                _collective("broadcast", lambda t=tensor: dist.broadcast(t, src=0))

    def average_gradients(self, module: nn.Module) -> None:
        """Replace every gradient of ``module`` by its mean over the processes (a missing
        gradient counts as zeros: a head unused in this phase gets none on any rank)."""
        if not self.info.is_distributed:
            return
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            return
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        _collective("gradient all-reduce", lambda: dist.all_reduce(flat))
        flat /= self.world_size
        offset = 0
        for param, grad in zip(params, grads, strict=True):
            size = grad.numel()
            if param.grad is not None:
                param.grad.copy_(flat[offset:offset + size].view_as(grad))
            offset += size

    def mean(self, values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Scalar values averaged over the processes (a NaN on one rank is a NaN on all)."""
        if not self.info.is_distributed or not values:
            return values
        stacked = torch.stack([v.detach().float().reshape(()) for v in values.values()])
        _collective("all-reduce", lambda: dist.all_reduce(stacked))
        stacked /= self.world_size
        return dict(zip(values, stacked.unbind(), strict=True))

    def any(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is True on any."""
        if not self.info.is_distributed:
            return flag
        value = torch.tensor([float(flag)], device=self.device)
        _collective("all-reduce", lambda: dist.all_reduce(value, op=dist.ReduceOp.MAX))
        return bool(value.item())

    def gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Every rank's ``rows`` joined in rank order (the same shape on every rank)."""
        if not self.info.is_distributed:
            return rows
        parts = [torch.empty_like(rows) for _ in range(self.world_size)]
        _collective("all-gather", lambda: dist.all_gather(parts, rows.contiguous()))
        return torch.cat(parts)

    def broadcast(self, obj: T) -> T:
        """The main process's ``obj`` in every process (small picklable values)."""
        if not self.info.is_distributed:
            return obj
        box = [obj]
        _collective("broadcast", lambda: dist.broadcast_object_list(box, src=0))
        return box[0]

    def gather_objects(self, obj: Any) -> list[Any]:
        """Every rank's ``obj`` in rank order (small picklable state, e.g. RNG states)."""
        if not self.info.is_distributed:
            return [obj]
        gathered: list[Any] = [None] * self.world_size
        _collective("gather", lambda: dist.all_gather_object(gathered, obj))
        return gathered
