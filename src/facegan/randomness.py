"""The random draws of a training step, the same whatever the number of processes.

A step trains on a *global* batch: one process takes all of it, or each of N processes (torchrun)
takes its slice. Every draw -- latent noise, the labels of fakes, gradient-penalty mixing
factors, DiffAugment's parameters, diffusion timesteps and noise -- is made for the whole global
batch from a generator that every process seeds and advances alike, and each process keeps its
own rows. So a run on 2 or 8 processes computes what one process computes on the same global
batch (up to the order of float additions), and one process draws exactly what
``torch.randn(n, ..., generator=g)`` draws.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Gather = Callable[[torch.Tensor], torch.Tensor]  # this process's rows -> the global batch's


class BatchRandom:
    """Draws for a step's batch: made for the global batch, cut to this process's rows.

    ``n`` is always the size of this process's part of the batch; ``gather`` (given by the
    trainer when several processes train) joins the processes' rows in rank order.
    """

    def __init__(self, generator: torch.Generator, rank: int = 0, world_size: int = 1,
                 gather: Gather | None = None) -> None:
        if world_size > 1 and gather is None:
            raise ValueError("several processes need a gather function")
        self.generator = generator
        self.rank = rank
        self.world_size = world_size
        self.gather = gather

    @classmethod
    def seeded(cls, seed: int, device: torch.device | str = "cpu") -> BatchRandom:
        """One process's draws from a fresh generator seeded with ``seed``."""
        generator = torch.Generator(device=device)
        generator.manual_seed(seed)
        return cls(generator)

    @property
    def device(self) -> torch.device:
        return self.generator.device

    def _rows(self, full: torch.Tensor) -> torch.Tensor:
        n = full.shape[0] // self.world_size
        return full[self.rank * n:(self.rank + 1) * n]

    def randn(self, n: int, *shape: int, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Standard normal ``(n, *shape)``."""
        return self._rows(torch.randn(n * self.world_size, *shape, generator=self.generator,
                                      device=self.device, dtype=dtype))

    def rand(self, n: int, *shape: int, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Uniform in [0, 1), ``(n, *shape)``."""
        return self._rows(torch.rand(n * self.world_size, *shape, generator=self.generator,
                                     device=self.device, dtype=dtype))

    def randint(self, low: int, high: int, n: int, *shape: int) -> torch.Tensor:
        """Integers in [low, high), ``(n, *shape)``."""
        return self._rows(torch.randint(low, high, (n * self.world_size, *shape),
                                        generator=self.generator, device=self.device))

    def permuted(self, rows: torch.Tensor) -> torch.Tensor:
        """The global batch's ``rows`` (this process's joined with the others') in a random
        order; this process's part of them."""
        every = rows if self.world_size == 1 else self.gather(rows)
        order = torch.randperm(len(every), generator=self.generator, device=self.device)
        return self._rows(every[order.to(every.device)])
