"""Data handlers: one module per data source, each registered by name."""

from facegan.data import mnist  # noqa: F401  (registers "mnist")
from facegan.data.base import DataInfo, ImageTensorDataset, build_dataset

__all__ = ["DataInfo", "ImageTensorDataset", "build_dataset"]
