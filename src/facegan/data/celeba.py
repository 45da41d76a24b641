"""CelebA in its official layout, with its 40 binary attributes as optional conditioning labels.

    <root>/img_align_celeba/000001.jpg ...   (Kaggle's zip nests a second img_align_celeba/)
    <root>/list_attr_celeba.txt              (or Kaggle's list_attr_celeba.csv)
    <root>/list_eval_partition.txt           (or list_eval_partition.csv): 0 train, 1 valid, 2 test

Crops (``crop``): ``celeba`` drops 20 px at the top and bottom of the 178 x 218 photos, keeping
the 178 x 178 square around the face; ``center`` keeps the centred ``crop_size`` square (108 px by
default: the tighter face crop of DCGAN's CelebA experiments). Then the image is resized to
``image_size`` (64 or 128 in the original projects).
"""

from __future__ import annotations

from pathlib import Path

from facegan.data.configs import CelebAConfig
from facegan.data.decode import decode_files, resolve_cache_dir
from facegan.data.decoded_dataset import DecodedImageDataset, dataset_from_files
from facegan.data.image_folder import check_root, read_csv_table
from facegan.data.labels import encode_columns
from facegan.data.subset import limited_rows
from facegan.data.transforms import ImageTransform
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.registry import register_dataset

DOWNLOAD_HINT = ("download Align&Cropped Images (img_align_celeba.zip) and Anno/"
                 "list_attr_celeba.txt, Eval/list_eval_partition.txt from "
                 "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html and unzip them into")
SPLITS = {"train": "0", "valid": "1", "test": "2"}


def find_annotation(root: Path, stem: str) -> Path | None:
    """``<stem>.txt`` (official) or ``<stem>.csv`` (Kaggle), in root, root/Anno or root/Eval."""
    for folder in (root, root / "Anno", root / "Eval"):
        for suffix in (".txt", ".csv"):
            if (folder / f"{stem}{suffix}").is_file():
                return folder / f"{stem}{suffix}"
    return None


def read_annotation(path: Path) -> dict[str, list[str]]:
    """A CelebA annotation file as column name -> values; the image column is "image_id".

    The .txt attribute file starts with the image count and a header of names (one column fewer
    than the rows); the partition .txt has no header; Kaggle's .csv files have "image_id" first.
    """
    if path.suffix == ".csv":
        return read_csv_table(path)
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if path.stem == "list_eval_partition":
        header = ["image_id", "partition"]
    else:
        if len(lines) < 2 or not lines[0][0].isdigit():
            raise FaceganError(f"{path} is not a CelebA attribute file (it must start with the "
                               "image count and the 40 attribute names); download it again")
        header, lines = ["image_id", *lines[1]], lines[2:]
    for number, fields in enumerate(lines, start=1):
        if len(fields) != len(header):
            raise FaceganError(f"{path}: row {number} has {len(fields)} fields, expected "
                               f"{len(header)}; the file is damaged, download it again")
    return {name: [fields[i] for fields in lines] for i, name in enumerate(header)}


def image_folder_of(root: Path) -> Path:
    folder = root / "img_align_celeba"
    if (folder / "img_align_celeba").is_dir():  # Kaggle's archive nests the folder
        folder = folder / "img_align_celeba"
    if not folder.is_dir():
        raise FaceganError(f"CelebA images not found: {folder} is missing; "
                           f"{DOWNLOAD_HINT} {root}/")
    return folder


@register_dataset("celeba")
def build_celeba(cfg: CelebAConfig) -> DecodedImageDataset:
    root = Path(cfg.root)
    check_root(root, "CelebA folder", f"{DOWNLOAD_HINT} {root}/")
    images_dir = image_folder_of(root)
    names = sorted(p.name for p in images_dir.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    table = {"image_id": names}
    if cfg.attributes:
        attr_file = find_annotation(root, "list_attr_celeba")
        if attr_file is None:
            raise FaceganError(f"list_attr_celeba.txt not found in {root}; download it (Anno/ on "
                               "the CelebA page) into that folder, or set data.attributes=[] "
                               "to train without labels")
        table = read_annotation(attr_file)
        valid = [c for c in table if c != "image_id"]
        unknown = [a for a in cfg.attributes if a not in valid]
        if unknown:
            raise FaceganError(f"unknown CelebA attribute {unknown[0]!r}; valid names: "
                               f"{', '.join(valid)}")
    ids = table["image_id"]
    rows = list(range(len(ids)))
    if cfg.split != "all":
        partition_file = find_annotation(root, "list_eval_partition")
        if partition_file is None:
            raise FaceganError(f"list_eval_partition.txt not found in {root}; download it (Eval/ "
                               "on the CelebA page) into that folder, or set data.split=all")
        partition = read_annotation(partition_file)
        split_of = dict(zip(partition["image_id"], partition["partition"], strict=True))
        rows = [r for r in rows if split_of.get(ids[r]) == SPLITS[cfg.split]]
    present = [r for r in rows if (images_dir / ids[r]).is_file()]
    missing = len(rows) - len(present)
    # the limit picks among the images that are there (a partly extracted folder keeps N)
    present = [present[i] for i in limited_rows(len(present), cfg.limit)]
    if not present:
        raise FaceganError(f"no images of the {cfg.split!r} split found in {images_dir}; "
                           f"{DOWNLOAD_HINT} {root}/")
    files = [images_dir / ids[r] for r in present]
    labels = encode_columns({k: [v[r] for r in present] for k, v in table.items()
                             if k != "image_id"},
                            list(cfg.attributes), "CelebA attributes")
    transform = ImageTransform(image_size=cfg.image_size, channels=cfg.channels, crop=cfg.crop,
                               crop_size=cfg.crop_size, hflip=cfg.hflip)
    decoded = decode_files(files, images_dir, transform,
                           resolve_cache_dir(cfg.cache, cfg.cache_dir, root), f"celeba-{cfg.split}")
    notes = [f"{missing} images of the split are missing"] if missing else []
    info = DataInfo(name=cfg.display_name, image_size=cfg.image_size, channels=cfg.channels,
                    label_names=labels.names, label_kind=labels.kind)
    return dataset_from_files(decoded, labels.values, info, transform, str(root), notes)
