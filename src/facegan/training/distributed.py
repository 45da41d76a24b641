"""Process topology read from the environment that ``torchrun`` sets."""

from __future__ import annotations

import os
from dataclasses import dataclass

from facegan.errors import FaceganError


@dataclass(frozen=True)
class DistributedInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Only the main process writes files and logs, so runs look the same at any scale."""
        return self.rank == 0

    @classmethod
    def from_env(cls) -> DistributedInfo:
        info = cls(
            rank=int(os.environ.get("RANK", 0)),
            world_size=int(os.environ.get("WORLD_SIZE", 1)),
            local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        )
        if info.world_size > 1:
            raise FaceganError("multi-process training (torchrun) is not supported yet; run "
                               "facegan train as a single process")
        return info
