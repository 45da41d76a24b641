"""Requests that arrive together for one model, run as one model call.

A lone request runs at once (no waiting window, so no added latency). While a model call runs,
the requests that arrive for the same model collect; when it ends they run together, up to
`MAX_BATCH` images, and each request gets its own rows back. Only single-pass models batch: a
multi-step sampler (a DDPM's) may draw per-batch noise, which batching would change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from facegan.serve.work_queue import WorkQueue

MAX_BATCH = 256  # images in one batched model call


@dataclass
class _Request:
    z: torch.Tensor
    c: torch.Tensor | None
    finish: Callable[[torch.Tensor], Any]  # its images -> its answer (PNG bytes, base64 list)
    future: asyncio.Future = field(repr=False)


class Batcher:
    """Batches one model's requests onto the work queue's thread."""

    def __init__(self, run: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
                 queue: WorkQueue, max_batch: int = MAX_BATCH) -> None:
        self.run, self.queue, self.max_batch = run, queue, max_batch
        self.waiting: list[_Request] = []
        self.draining = False
        self._task: asyncio.Task | None = None  # the drain running now (a strong reference)

    async def submit(self, z: torch.Tensor, c: torch.Tensor | None,
                     finish: Callable[[torch.Tensor], Any]) -> Any:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(_Request(z, c, finish, future))
        if not self.draining:
            self.draining = True
            self._task = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, size = [], 0
                while self.waiting and (not batch or size + len(self.waiting[0].z)
                                        <= self.max_batch):
                    request = self.waiting.pop(0)
                    batch.append(request)
                    size += len(request.z)
                try:
                    answers = await self.queue.run_unbounded(lambda b=batch: self._job(b))
                except BaseException as exc:  # every request of the batch gets the error
                    for request in batch:
                        if not request.future.done():
                            request.future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for request, answer in zip(batch, answers, strict=True):
                    if not request.future.done():
                        request.future.set_result(answer)
        finally:
            self.draining = False

    def _job(self, batch: list[_Request]) -> list[Any]:
        """On the work thread: one model call for the whole batch, then each request's
        answer from its rows."""
        z = torch.cat([request.z for request in batch])
        conditions = [request.c for request in batch]
        c = None if conditions[0] is None else torch.cat(conditions)
        images = self.run(z, c)
        answers, start = [], 0
        for request in batch:
            answers.append(request.finish(images[start:start + len(request.z)]))
            start += len(request.z)
        return answers
