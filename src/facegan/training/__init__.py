"""The training loop and what it owns: checkpoints, stats, interruption, distribution
(`facegan.training.trainer.Trainer` is the loop; importing this package imports nothing, so a
command that only reads a checkpoint does not pay for the loop's imports)."""
