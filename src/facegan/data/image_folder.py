"""Any folder of images (jpg, png, webp, bmp; searched recursively), optionally labelled.

Covers Kaggle's anime faces (``data/animefaces/images/*.jpg``), Udacity's
``processed-celeba-small/celeba/*.jpg`` and a ``facegan data synth`` folder. Labels, optional:

- ``class_folders: true``: the first sub-folder under ``root`` is the class (``root/cat/x.jpg``);
- ``labels_csv: labels.csv``: a CSV (relative to ``root``, or a path) with a header
  ``filename,<label columns>``; ``filename`` is relative to the CSV's folder (or to ``root``).
  Only the images it lists are used. The columns named by ``label_columns`` (default: all but
  ``filename``) are encoded as `facegan.data.labels` describes: 0/1 (or -1/1) columns are
  attributes, other columns one-hot tag groups, and a single tag column gives one class per image.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from facegan.data.configs import ImageFolderConfig
from facegan.data.decode import decode_files, find_image_files, resolve_cache_dir
from facegan.data.decoded_dataset import DecodedImageDataset, dataset_from_files
from facegan.data.labels import EncodedLabels, encode_columns, subset
from facegan.data.subset import limited_rows
from facegan.data.transforms import ImageTransform
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.registry import register_dataset

log = logging.getLogger(__name__)

FILENAME_COLUMN = "filename"


def transform_of(cfg) -> ImageTransform:
    return ImageTransform(image_size=cfg.image_size, channels=cfg.channels, crop=cfg.crop,
                          crop_size=cfg.crop_size, hflip=cfg.hflip)


def check_root(root: Path, what: str, hint: str = "") -> None:
    """One-line errors for a wrong path (with ``hint``, e.g. where to download the data)."""
    if not root.exists():
        raise FaceganError(f"{what} {root} does not exist; {hint or 'set data.root to it'}")
    if not root.is_dir():
        raise FaceganError(f"{what} {root} is a file, not a folder; set data.root to the "
                           "folder that holds the images")


@register_dataset("image_folder")
def build_image_folder(cfg: ImageFolderConfig) -> DecodedImageDataset:
    root = Path(cfg.root)
    check_root(root, "image folder", cfg.missing_hint)
    if cfg.class_folders and cfg.labels_csv:
        raise FaceganError("data.class_folders and data.labels_csv both set; labels come from "
                           "one of them, so set the other to false / null")
    notes: list[str] = []
    if cfg.labels_csv:
        files, labels = _files_from_csv(root, cfg, notes)
    else:
        files = find_image_files(root)
        if not files:
            raise FaceganError(f"no images (jpg, png, webp, bmp) found in {root}; "
                               f"{cfg.missing_hint or 'put the images there or fix data.root'}")
        labels = _class_folder_labels(root, files) if cfg.class_folders else EncodedLabels.none()
    classes = labels.values.numpy() if labels.kind == "class" else None
    kept = limited_rows(len(files), cfg.limit, classes=classes)
    files = [files[row] for row in kept]
    labels = EncodedLabels(subset(labels, kept), labels.names, labels.kind)
    transform = transform_of(cfg)
    decoded = decode_files(files, root, transform,
                           resolve_cache_dir(cfg.cache, cfg.cache_dir, root), "image_folder")
    info = DataInfo(name=cfg.display_name, image_size=cfg.image_size, channels=cfg.channels,
                    label_names=labels.names, label_kind=labels.kind)
    return dataset_from_files(decoded, labels.values, info, transform, str(root), notes)


def _class_folder_labels(root: Path, files: list[Path]) -> EncodedLabels:
    top_level = [f for f in files if f.parent == root]
    if top_level:
        raise FaceganError(f"{len(top_level)} images lie directly in {root} (e.g. "
                           f"{top_level[0].name}) but class_folders needs one sub-folder per "
                           "class; move them into sub-folders or set data.class_folders=false")
    classes = [f.relative_to(root).parts[0] for f in files]
    return encode_columns({"class": classes}, ["class"], str(root))


def read_csv_table(path: Path) -> dict[str, list[str]]:
    """A CSV with a header row as column name -> values (strings)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise FaceganError(f"cannot read the labels CSV {path}: {exc}") from None
    if not rows or not rows[0]:
        raise FaceganError(f"the labels CSV {path} is empty; it needs a header row "
                           f"'{FILENAME_COLUMN},<label columns>'")
    header = [name.strip() for name in rows[0]]
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise FaceganError(f"{path} line {number} has {len(row)} fields, the header "
                               f"{len(header)}; fix that line")
    return {name: [row[i] for row in body] for i, name in enumerate(header)}


def _files_from_csv(root: Path, cfg: ImageFolderConfig,
                    notes: list[str]) -> tuple[list[Path], EncodedLabels]:
    # Relative to root ("labels.csv"), else as given ("data/anime/tags.csv", or absolute).
    csv_path = next((p for p in (root / cfg.labels_csv, Path(cfg.labels_csv)) if p.is_file()),
                    root / cfg.labels_csv)
    if not csv_path.is_file():
        raise FaceganError(f"labels CSV {csv_path} not found; " + (
            cfg.missing_hint or "set data.labels_csv to a file relative to data.root, or "
                                "remove it for unlabelled images"))
    table = read_csv_table(csv_path)
    if FILENAME_COLUMN not in table:
        raise FaceganError(f"{csv_path} has no '{FILENAME_COLUMN}' column (header: "
                           f"{', '.join(table)}); the first row must name the image column "
                           f"'{FILENAME_COLUMN}'")
    columns = list(cfg.label_columns) if cfg.label_columns is not None else \
        [c for c in table if c != FILENAME_COLUMN]
    labels = encode_columns({k: v for k, v in table.items() if k != FILENAME_COLUMN}, columns,
                            str(csv_path))
    files, present, missing = [], [], []
    for row, name in enumerate(table[FILENAME_COLUMN]):
        candidates = [csv_path.parent / name.strip(), root / name.strip()]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            missing.append(name)
        else:
            files.append(path)
            present.append(row)
    if missing:
        log.warning("%d file(s) listed in %s do not exist and are left out, e.g. %s",
                    len(missing), csv_path, ", ".join(missing[:5]))
        notes.append(f"{len(missing)} files listed in {csv_path.name} are missing")
    if not files:
        raise FaceganError(f"none of the {len(missing)} files listed in {csv_path} exist; "
                           "filenames must be relative to the CSV's folder")
    kept_labels = EncodedLabels(subset(labels, present), labels.names, labels.kind)
    return files, kept_labels
