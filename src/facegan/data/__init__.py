"""Data handlers: one module per data source, each registered by name."""

from facegan.data import (  # noqa: F401  (each module registers its handler)
    celeba,
    embedding_folder,
    image_folder,
    mnist,
    synthfaces_dataset,
)
from facegan.data.base import DataInfo, ImageTensorDataset, build_dataset

__all__ = ["DataInfo", "ImageTensorDataset", "build_dataset"]
