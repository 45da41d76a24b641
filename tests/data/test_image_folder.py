import logging
import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from facegan.config import validate_section
from facegan.data.base import build_dataset
from facegan.data.image_folder import ImageFolderConfig
from facegan.errors import FaceganError
from tests.data.conftest import solid, write_corrupt_files, write_solid_images

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def folder_config(root, **values):
    return validate_section(ImageFolderConfig, {"name": "image_folder", "root": str(root),
                                                "image_size": 16, **values}, "data")


def test_recursive_search_finds_every_format_and_serves_minus_one_to_one(tmp_path):
    write_solid_images(tmp_path / "a", [RED], "jpg")
    write_solid_images(tmp_path / "a" / "deeper", [GREEN], "png")
    write_solid_images(tmp_path / "b", [BLUE], "webp")
    write_solid_images(tmp_path, [WHITE], "bmp")
    (tmp_path / "readme.txt").write_text("not an image, and not listed as one")
    dataset = build_dataset(folder_config(tmp_path, cache=False))
    assert len(dataset) == 4 and dataset.report.skipped == []
    assert dataset.info.channels == 3 and dataset.info.label_kind == "none"
    image, label = dataset[3]  # sorted paths: a/deeper/…, a/…, b/…, img_00.bmp
    assert image.shape == (3, 16, 16) and image.dtype == torch.float32
    assert torch.allclose(image, torch.ones(3, 16, 16))  # white -> 1.0 everywhere
    assert label.item() == -1
    blue = dataset[2][0]  # webp is lossy by default: compare loosely
    assert blue[2].mean() > 0.9 and blue[0].mean() < -0.9


def test_corrupt_files_are_skipped_and_reported_at_indexing(tmp_path, caplog):
    write_solid_images(tmp_path, [RED, GREEN, BLUE], "png")
    bad = write_corrupt_files(tmp_path / "broken")
    with caplog.at_level(logging.WARNING):
        dataset = build_dataset(folder_config(tmp_path))
    assert len(dataset) == 3
    skipped = dict(dataset.report.skipped)
    assert set(skipped) == {f"broken/{p.name}" for p in bad}
    assert "truncated" in skipped["broken/truncated.jpg"].lower()
    assert "skipped 3 unreadable file(s) of 6" in caplog.text and "broken/empty.jpg" in caplog.text
    for index in range(len(dataset)):  # every item reads: nothing can fail mid-epoch
        dataset[index]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = build_dataset(folder_config(tmp_path))  # from the cache: still reported
    assert again.report.skipped == dataset.report.skipped and "skipped 3" in caplog.text


def test_class_folders_give_class_labels(tmp_path):
    write_solid_images(tmp_path / "cat", [RED, RED])
    write_solid_images(tmp_path / "dog", [BLUE, BLUE, BLUE])
    dataset = build_dataset(folder_config(tmp_path, class_folders=True))
    assert dataset.info.label_kind == "class" and dataset.info.label_names == ("cat", "dog")
    assert dataset.labels.dtype == torch.int64 and dataset.labels.tolist() == [0, 0, 1, 1, 1]
    assert dataset[4][1].item() == 1


def test_class_folders_refuse_images_outside_a_class(tmp_path):
    write_solid_images(tmp_path / "cat", [RED])
    write_solid_images(tmp_path, [BLUE])
    with pytest.raises(FaceganError, match="lie directly in .* move them into sub-folders"):
        build_dataset(folder_config(tmp_path, class_folders=True))


def write_labelled_folder(root):
    write_solid_images(root / "images", [RED, GREEN, BLUE, WHITE])
    (root / "labels.csv").write_text(
        "filename,Smiling,hair_color,Male,identity\n"
        "images/img_00.png,1,black,-1,7\n"
        "images/img_01.png,0,blond,1,8\n"
        "images/img_02.png,1,,1,9\n"
        "images/img_03.png,0,black,-1,7\n"
        "images/gone.png,1,black,1,7\n")


def test_csv_binary_columns_are_attributes_and_tags_one_hot_groups(tmp_path, caplog):
    write_labelled_folder(tmp_path)
    with caplog.at_level(logging.WARNING):
        dataset = build_dataset(folder_config(tmp_path, labels_csv="labels.csv",
                                              label_columns=["Smiling", "hair_color", "Male"]))
    assert "1 file(s) listed in" in caplog.text and "gone.png" in caplog.text
    info = dataset.info
    assert info.label_kind == "multilabel"
    assert info.label_names == ("Smiling", "hair_color=black", "hair_color=blond", "Male")
    assert dataset.labels.dtype == torch.float32
    assert dataset.labels.tolist() == [[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 0]]
    image, label = dataset[1]
    assert image[1].mean() > 0.99 and label.tolist() == [0, 0, 1, 1]  # green, blond, male


def test_csv_single_tag_column_gives_classes(tmp_path):
    write_labelled_folder(tmp_path)
    (tmp_path / "labels.csv").write_text(
        "filename,hair_color\nimages/img_00.png,red\nimages/img_01.png,black\n"
        "img_02.png,red\n")  # the last relative to root, not to the CSV: both work
    (tmp_path / "img_02.png").write_bytes((tmp_path / "images" / "img_02.png").read_bytes())
    dataset = build_dataset(folder_config(tmp_path, labels_csv="labels.csv"))
    assert dataset.info.label_kind == "class" and dataset.info.label_names == ("black", "red")
    assert build_dataset(folder_config(tmp_path, labels_csv=str(tmp_path / "labels.csv"))
                         ).labels.tolist() == [1, 0, 1]  # a path works too
    assert dataset.labels.tolist() == [1, 0, 1]


@pytest.mark.parametrize(("columns", "message"), [
    (["Smiling", "hat"], "unknown label column 'hat' .* valid columns: Smiling,"),
    (["identity", "Smiling"], None),
    (["hair_color"], "empty in row 3"),
])
def test_csv_label_errors(tmp_path, columns, message):
    write_labelled_folder(tmp_path)
    cfg = folder_config(tmp_path, labels_csv="labels.csv", label_columns=columns)
    if message is None:  # a few distinct ids are still a tag group
        assert "identity=7" in build_dataset(cfg).info.label_names
        return
    with pytest.raises(FaceganError, match=message):
        build_dataset(cfg)


def test_csv_without_filename_column_or_missing_csv(tmp_path):
    write_solid_images(tmp_path, [RED])
    with pytest.raises(FaceganError, match="labels CSV .*nope.csv not found"):
        build_dataset(folder_config(tmp_path, labels_csv="nope.csv"))
    with pytest.raises(FaceganError, match="nope.csv not found; put the tags in nope.csv$"):
        build_dataset(folder_config(tmp_path, labels_csv="nope.csv",
                                    missing_hint="put the tags in nope.csv"))
    (tmp_path / "l.csv").write_text("file,Smiling\nimg_00.png,1\n")
    with pytest.raises(FaceganError, match="has no 'filename' column"):
        build_dataset(folder_config(tmp_path, labels_csv="l.csv"))


def test_wrong_path_empty_folder_and_all_unreadable_are_one_line_errors(tmp_path):
    cases = [
        (folder_config(tmp_path / "nowhere", missing_hint="download it from example.org"),
         "image folder .*nowhere does not exist; download it from example.org"),
        (folder_config(tmp_path), r"no images \(jpg, png, webp, bmp\) found in"),
    ]
    for cfg, message in cases:
        with pytest.raises(FaceganError, match=message) as caught:
            build_dataset(cfg)
        assert "\n" not in str(caught.value)
    write_corrupt_files(tmp_path)
    with pytest.raises(FaceganError, match="none of the 3 image files .* could be read"):
        build_dataset(folder_config(tmp_path))
    file_root = tmp_path / "whole.png"
    solid(RED).save(file_root)
    with pytest.raises(FaceganError, match="is a file, not a folder"):
        build_dataset(folder_config(file_root))


def test_grayscale_limit_and_pickling_for_workers(tmp_path):
    write_solid_images(tmp_path, [RED] * 4)  # the limit keeps 3 of them, any 3
    dataset = build_dataset(folder_config(tmp_path, channels=1, limit=3))
    assert len(dataset) == 3 and dataset.info.channels == 1
    assert dataset[0][0].shape == (1, 16, 16)
    assert dataset[0][0].mean().item() == pytest.approx(round(0.299 * 255) / 127.5 - 1, abs=0.01)
    payload = pickle.dumps(dataset)
    assert len(payload) < 10_000  # the memory map is reopened, not copied, in each worker
    copy = pickle.loads(payload)
    assert torch.equal(copy[2][0], dataset[2][0])


def test_limit_keeps_a_seeded_subset_stratified_by_class_folder(tmp_path):
    colors = {"a_red": RED, "b_green": GREEN, "c_blue": BLUE}
    for name, count in (("a_red", 6), ("b_green", 3), ("c_blue", 3)):
        write_solid_images(tmp_path / name, [colors[name]] * count)
    dataset = build_dataset(folder_config(tmp_path, class_folders=True, limit=4))
    # 4 of 12 by class share (2, 1, 1); the first 4 sorted paths would all be red
    assert dataset.info.label_names == ("a_red", "b_green", "c_blue")
    assert torch.bincount(dataset.labels, minlength=3).tolist() == [2, 1, 1]
    for image, label in (dataset[i] for i in range(len(dataset))):  # labels stay with images
        expected = torch.tensor(colors[dataset.info.label_names[label]]) / 127.5 - 1
        assert torch.allclose(image[:, 0, 0], expected)
    again = build_dataset(folder_config(tmp_path, class_folders=True, limit=4))
    assert torch.equal(again.uint8_images(range(4)), dataset.uint8_images(range(4)))
    assert torch.equal(again.labels, dataset.labels)
    more = build_dataset(folder_config(tmp_path, class_folders=True, limit=8))  # a new selection
    assert torch.bincount(more.labels, minlength=3).tolist() == [4, 2, 2]
    for image, label in (more[i] for i in range(len(more))):  # not the cache of 4 images
        expected = torch.tensor(colors[more.info.label_names[label]]) / 127.5 - 1
        assert torch.allclose(image[:, 0, 0], expected)
    everything = build_dataset(folder_config(tmp_path, class_folders=True, limit=100))
    assert len(everything) == 12
    assert everything.labels.tolist() == [0] * 6 + [1] * 3 + [2] * 3


def test_batched_reads_match_single_items(tmp_path):
    write_solid_images(tmp_path, [RED, GREEN, BLUE, WHITE])
    dataset = build_dataset(folder_config(tmp_path))
    batch = dataset.__getitems__([3, 0, 2])
    for (image, label), index in zip(batch, [3, 0, 2], strict=True):
        assert torch.equal(image, dataset[index][0]) and label.item() == -1
    loader = torch.utils.data.DataLoader(dataset, batch_size=2)
    images, labels = next(iter(loader))
    assert images.shape == (2, 3, 16, 16) and labels.tolist() == [-1, -1]


def test_source_sizes_are_reported(tmp_path):
    write_solid_images(tmp_path, [RED, GREEN])
    Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(tmp_path / "big.png")
    dataset = build_dataset(folder_config(tmp_path))
    assert dataset.report.source_sizes == {"24x20": 2, "30x40": 1}


def test_dataloader_workers_read_the_same_images(tmp_path):
    write_solid_images(tmp_path, [RED, GREEN, BLUE, WHITE] * 2)
    dataset = build_dataset(folder_config(tmp_path))
    single = torch.cat([x for x, _ in torch.utils.data.DataLoader(dataset, batch_size=4)])
    parallel = torch.cat([x for x, _ in torch.utils.data.DataLoader(dataset, batch_size=4,
                                                                      num_workers=2)])
    assert torch.equal(single, parallel)
