"""Turn Ctrl+C and SIGTERM into a request that the loop honours between two steps.

Saving in the middle of an optimizer step would store half-updated state, so the signal only
sets a flag; the trainer checks it after each step, saves a checkpoint and stops. A second
Ctrl+C stops at once.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


class StopRequest:
    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._previous: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        return self.signal_name is not None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
