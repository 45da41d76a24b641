import os

import numpy as np
import pytest

from facegan.config import validate_section
from facegan.data.base import build_dataset
from facegan.data.cache import CACHE_DIR_NAME, cached_images
from facegan.data.image_folder import ImageFolderConfig
from tests.data.conftest import solid, write_solid_images

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def build(root, **values):
    cfg = validate_section(ImageFolderConfig, {"name": "image_folder", "root": str(root),
                                               "image_size": 8, **values}, "data")
    return build_dataset(cfg)


def entries(cache_dir):
    return sorted(p.name for p in cache_dir.iterdir()) if cache_dir.exists() else []


@pytest.fixture
def folder(tmp_path):
    write_solid_images(tmp_path / "faces", [RED, GREEN, BLUE])
    return tmp_path / "faces"


def test_second_build_reads_the_cache_without_decoding(folder, monkeypatch):
    first = build(folder)
    cache = folder / CACHE_DIR_NAME
    assert len(entries(cache)) == 1 and first.report.cache.endswith("images.npy")
    assert isinstance(first.images, np.memmap)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again although the cache is current")

    monkeypatch.setattr("facegan.data.transforms.ImageTransform.decode_stage", no_decoding)
    second = build(folder)
    assert second.report.cache == first.report.cache
    assert np.array_equal(second.images, first.images)


@pytest.mark.parametrize("change", ["rewrite", "touch", "add", "remove"])
def test_a_changed_file_rebuilds_the_cache_and_drops_the_stale_entry(folder, change):
    first = build(folder)
    target = folder / "img_01.png"
    if change == "rewrite":
        solid((9, 9, 9)).save(target)
        os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    elif change == "touch":
        os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    elif change == "add":
        solid((9, 9, 9)).save(folder / "img_09.png")
    else:
        target.unlink()
    second = build(folder)
    assert second.report.cache != first.report.cache
    assert entries(folder / CACHE_DIR_NAME) == [second.report.cache.split("/")[-2]]
    expected = {"rewrite": 3, "touch": 3, "add": 4, "remove": 2}[change]
    assert len(second) == expected
    if change == "rewrite":
        assert second[1][0].max() < -0.9  # the new, almost black pixels


def test_a_changed_transform_gets_its_own_entry(folder):
    small = build(folder)
    large = build(folder, image_size=16)
    gray = build(folder, channels=1)
    assert len({small.report.cache, large.report.cache, gray.report.cache}) == 3
    assert large.images.shape == (3, 3, 16, 16) and gray.images.shape == (3, 1, 8, 8)
    assert len(entries(folder / CACHE_DIR_NAME)) == 3  # 8 and 16 px runs can alternate
    flipped = build(folder, hflip=True)  # random transforms are not cached
    assert flipped.report.cache == small.report.cache


def test_cache_dir_option_and_no_cache(folder, tmp_path):
    elsewhere = tmp_path / "cache"
    dataset = build(folder, cache_dir=str(elsewhere))
    assert dataset.report.cache.startswith(str(elsewhere))
    assert not (folder / CACHE_DIR_NAME).exists()
    in_memory = build(folder, cache=False)
    assert in_memory.report.cache is None and not (folder / CACHE_DIR_NAME).exists()
    assert np.array_equal(in_memory.images, dataset.images)


def test_unwritable_cache_dir_falls_back_to_memory(folder, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should go")
    dataset = build(folder, cache_dir=str(blocker / "cache"))
    assert dataset.report.cache is None and len(dataset) == 3
    assert "decoding into memory" in caplog.text


def test_an_interrupted_build_leaves_no_entry(tmp_path):
    def failing(images):
        images[0] = 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cached_images(tmp_path, "test", {"a": 1}, (2, 1, 2, 2), failing)
    assert list(tmp_path.iterdir()) == []
    built = cached_images(tmp_path, "test", {"a": 1}, (2, 1, 2, 2),
                          lambda images: {"extra": np.arange(2), "note": "hi"})
    again = cached_images(tmp_path, "test", {"a": 1}, (2, 1, 2, 2), None)
    assert built.built and not again.built
    assert again.results["note"] == "hi" and again.results["extra"].tolist() == [0, 1]


def test_a_concurrent_build_of_the_same_entry_uses_the_first(tmp_path):
    def build_while_another_process_finishes(images):
        images[:] = 2
        cached_images(tmp_path, "test", {"a": 1}, (1, 1, 2, 2), lambda other: {"by": "other"})
        return {"by": "me"}

    result = cached_images(tmp_path, "test", {"a": 1}, (1, 1, 2, 2),
                           build_while_another_process_finishes)
    assert result.results["by"] == "other" and (result.images == 0).all()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_damaged_cache_file_is_rebuilt_with_a_warning_never_used(folder, damage, caplog):
    first = build(folder)
    expected = np.array(first.images)
    images_file = folder / CACHE_DIR_NAME / entries(folder / CACHE_DIR_NAME)[0] / "images.npy"
    data = images_file.read_bytes()
    images_file.write_bytes(data[:len(data) // 2] if damage == "truncate"
                            else b"not an array" + data[12:])
    with caplog.at_level("WARNING", logger="facegan"):
        again = build(folder)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "damaged cache entry" in warnings[0], warnings
    assert "\n" not in warnings[0]
    assert np.array_equal(np.array(again.images), expected)
    assert images_file.read_bytes() == data  # rebuilt in place of the damaged one
