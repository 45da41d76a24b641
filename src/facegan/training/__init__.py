"""The training loop and what it owns: checkpoints, stats, interruption, distribution."""

from facegan.training.trainer import Trainer, TrainResult

__all__ = ["Trainer", "TrainResult"]
