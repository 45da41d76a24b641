"""A bounded queue of generation jobs, run one at a time off the event loop.

One worker thread: generating is CPU/GPU bound, so running jobs side by side only makes each of
them slower, and a queue with a limit turns overload into a fast, clear 503 instead of a pile of
requests that all time out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class QueueFull(Exception):
    """More jobs than the limit are waiting or running."""


class WorkQueue:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the queue limit must be at least 1, got {limit}")
        self.limit = limit
        self.pending = 0  # jobs waiting or running; only touched on the event loop thread
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facegan-generate")

    async def run(self, job: Callable[[], T]) -> T:
        """Run ``job`` on the worker thread; raise `QueueFull` at once when the queue is full."""
        if self.pending >= self.limit:
            raise QueueFull
        self.pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, job)
        finally:
            self.pending -= 1

    def admit(self) -> None:
        """Count one request as waiting (`release` when it is answered); raise `QueueFull` at
        once when the queue is full. For requests whose work `run_unbounded` runs in batches."""
        if self.pending >= self.limit:
            raise QueueFull
        self.pending += 1

    def release(self) -> None:
        self.pending -= 1

    async def run_unbounded(self, job: Callable[[], T]) -> T:
        """Run ``job`` on the worker thread, counted by `admit` instead of here."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, job)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
