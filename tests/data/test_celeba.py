import numpy as np
import pytest
import torch
from PIL import Image

from facegan.config import validate_section
from facegan.data.base import build_dataset
from facegan.data.celeba import CelebAConfig
from facegan.data.subset import limited_rows
from facegan.errors import FaceganError

ATTRIBUTES = ["5_o_Clock_Shadow", "Eyeglasses", "Male", "Smiling"]  # a few of the 40
# image -> (attribute values, partition)
ROWS = {
    "000001.jpg": ([-1, 1, 1, -1], 0),
    "000002.jpg": ([1, -1, 1, 1], 0),
    "000003.jpg": ([-1, -1, -1, 1], 0),
    "000004.jpg": ([-1, 1, -1, -1], 1),
    "000005.jpg": ([1, 1, 1, 1], 2),
}


def photo(index: int) -> np.ndarray:
    """178 x 218 like aligned CelebA: red = row, green = column, blue = the image's index."""
    rows, cols = np.mgrid[0:218, 0:178]
    return np.stack([rows, cols, np.full_like(rows, index)], -1).astype(np.uint8)


@pytest.fixture
def celeba_root(tmp_path):
    images = tmp_path / "img_align_celeba"
    images.mkdir()
    for index, name in enumerate(ROWS, start=1):
        # PNG bytes under CelebA's .jpg names, so the expected pixels are exact
        Image.fromarray(photo(index)).save(images / name, format="PNG")
    lines = [str(len(ROWS)), " ".join(ATTRIBUTES)]
    lines += [f"{name} " + " ".join(f"{v:2d}" for v in values)
              for name, (values, _) in ROWS.items()]
    (tmp_path / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "list_eval_partition.txt").write_text(
        "".join(f"{name} {part}\n" for name, (_, part) in ROWS.items()))
    return tmp_path


def celeba(root, **values):
    cfg = validate_section(CelebAConfig, {"name": "celeba", "root": str(root), "image_size": 32,
                                          **values}, "data")
    return build_dataset(cfg)


def test_attributes_by_name_become_multi_hot_labels(celeba_root):
    dataset = celeba(celeba_root, attributes=["Smiling", "Male"])
    assert len(dataset) == 3  # the train split
    assert dataset.info.label_kind == "multilabel"
    assert dataset.info.label_names == ("Smiling", "Male")
    assert dataset.labels.tolist() == [[0, 1], [1, 1], [1, 0]]
    assert dataset[1][1].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(("split", "blues"), [("train", [1, 2, 3]), ("valid", [4]),
                                              ("test", [5]), ("all", [1, 2, 3, 4, 5])])
def test_split_comes_from_the_partition_file(celeba_root, split, blues):
    dataset = celeba(celeba_root, split=split)
    assert dataset.info.label_kind == "none"
    got = [round((dataset[i][0][2, 0, 0].item() + 1) * 127.5) for i in range(len(dataset))]
    assert got == blues


def test_limit_keeps_a_seeded_random_subset_of_the_split(celeba_root):
    dataset = celeba(celeba_root, split="all", limit=3, attributes=["Eyeglasses"])
    blues = [round((dataset[i][0][2, 0, 0].item() + 1) * 127.5) for i in range(len(dataset))]
    assert blues == [row + 1 for row in limited_rows(5, 3)] and blues != [1, 2, 3]
    eyeglasses = {1: 1, 2: 0, 3: 0, 4: 1, 5: 1}  # of ROWS, by image index
    assert dataset.labels[:, 0].tolist() == [eyeglasses[blue] for blue in blues]
    again = celeba(celeba_root, split="all", limit=3, attributes=["Eyeglasses"])
    assert [round((again[i][0][2, 0, 0].item() + 1) * 127.5) for i in range(3)] == blues
    assert len(celeba(celeba_root, split="train", limit=10)) == 3


def test_limit_picks_among_the_images_that_are_there(celeba_root):
    """A partly extracted img_align_celeba/ with a limit still gives the limit's N images."""
    for name in list(ROWS)[:2]:
        (celeba_root / "img_align_celeba" / name).unlink()
    # with attributes the ids come from list_attr_celeba.txt, which lists all five
    dataset = celeba(celeba_root, split="all", limit=3, attributes=["Eyeglasses"])
    assert len(dataset) == 3
    blues = sorted(round((dataset[i][0][2, 0, 0].item() + 1) * 127.5) for i in range(3))
    assert blues == [3, 4, 5]
    assert dataset.report.notes == ["2 images of the split are missing"]


def test_celeba_crop_keeps_rows_20_to_197(celeba_root):
    dataset = celeba(celeba_root, image_size=178, crop="celeba", split="valid")
    stored = dataset.uint8_images([0])[0]
    assert stored.shape == (3, 178, 178)
    assert stored[0, :, 5].tolist() == list(range(20, 198))
    assert stored[1, 7, :].tolist() == list(range(178))


def test_center_crop_keeps_the_middle_square(celeba_root):
    dataset = celeba(celeba_root, image_size=108, crop="center", split="valid")
    stored = dataset.uint8_images([0])[0]
    assert stored[0, :, 0].tolist() == list(range(55, 163))
    assert stored[1, 0, :].tolist() == list(range(35, 143))


@pytest.mark.parametrize("size", [64, 128])
def test_resize_to_64_and_128(celeba_root, size):
    dataset = celeba(celeba_root, image_size=size, split="valid")
    image = dataset[0][0]
    assert image.shape == (3, size, size)
    red = dataset.uint8_images([0])[0, 0, :, size // 2].to(torch.int64)
    assert (red.diff() >= 0).all() and 15 <= red[0] <= 25 and 192 <= red[-1] <= 198


def test_kaggle_layout_with_csv_files_and_nested_folder(celeba_root):
    nested = celeba_root / "img_align_celeba" / "img_align_celeba"
    nested.mkdir()
    for path in list((celeba_root / "img_align_celeba").glob("*.jpg")):
        path.rename(nested / path.name)
    (celeba_root / "list_attr_celeba.txt").unlink()
    (celeba_root / "list_attr_celeba.csv").write_text(
        "image_id," + ",".join(ATTRIBUTES) + "\n" + "".join(
            f"{name}," + ",".join(map(str, values)) + "\n" for name, (values, _) in ROWS.items()))
    dataset = celeba(celeba_root, attributes=["Eyeglasses"], split="all")
    assert dataset.labels[:, 0].tolist() == [1, 0, 0, 1, 1]


def test_missing_attribute_file_unknown_attribute_and_missing_partition(celeba_root):
    with pytest.raises(FaceganError, match="unknown CelebA attribute 'Smile'; valid names: "
                                           "5_o_Clock_Shadow, Eyeglasses, Male, Smiling"):
        celeba(celeba_root, attributes=["Smile"])
    (celeba_root / "list_attr_celeba.txt").unlink()
    with pytest.raises(FaceganError, match="list_attr_celeba.txt not found .* download it"):
        celeba(celeba_root, attributes=["Male"])
    assert len(celeba(celeba_root)) == 3  # attributes are only needed when asked for
    (celeba_root / "list_eval_partition.txt").unlink()
    with pytest.raises(FaceganError, match="list_eval_partition.txt not found .* data.split=all"):
        celeba(celeba_root)
    assert len(celeba(celeba_root, split="all")) == 5


def test_missing_folder_says_where_to_download(tmp_path):
    with pytest.raises(FaceganError, match="does not exist; download .*mmlab.ie.cuhk.edu.hk"):
        celeba(tmp_path / "celeba")
    (tmp_path / "celeba").mkdir()
    with pytest.raises(FaceganError, match="CelebA images not found: .*img_align_celeba is "
                                           "missing; download"):
        celeba(tmp_path / "celeba")
