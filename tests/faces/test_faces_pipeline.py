import csv
import json
import logging
import shutil

import numpy as np
import pytest
from PIL import Image, ImageFilter

from facegan.errors import FaceganError
from facegan.faces import worker
from facegan.faces.job import FaceJob
from facegan.faces.pipeline import (
    MANIFEST_COLUMNS,
    format_summary,
    format_too_small,
    run_faces_job,
    too_small_summary,
)

CORRUPT_JPEG = b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 8


def _save(image, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=95)


def _manifest(out):
    with open(out / "manifest.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _run(src, out, **options):
    options.setdefault("workers", 1)
    return run_faces_job(FaceJob(src=src, out=out, **options), show_progress=False)


@pytest.fixture(scope="module")
def photos(tmp_path_factory, astronaut, hopper, compose_scene, make_background):
    """Seven files: 3 usable astronaut scenes, 1 astronaut too small, 1 Hopper, a cat, a corrupt
    JPEG (plus a text file that is not an image)."""
    src = tmp_path_factory.mktemp("raw")
    scenes = {
        "a_noise.png": compose_scene(
            astronaut, make_background("noise", 360, 360), 150, (180, 180)
        ),
        "sub/a_grass.jpg": compose_scene(
            astronaut, make_background("grass", 360, 480, seed=1), 120, (300, 170), 8
        ),
        "a_brick.png": compose_scene(
            astronaut, make_background("brick", 300, 300), 100, (150, 150)
        ),
        "a_small.png": compose_scene(
            astronaut, make_background("coffee", 300, 300), 70, (150, 150)
        ),
        "h_noise.png": compose_scene(
            hopper, make_background("noise", 360, 360, 2), 150, (180, 180)
        ),
    }
    for name, scene in scenes.items():
        _save(scene.image, src / name)
    _save(make_background("chelsea", 300, 400), src / "empty_cat.jpg")
    (src / "corrupt.jpg").write_bytes(CORRUPT_JPEG)
    (src / "notes.txt").write_text("not an image")
    return src


@pytest.fixture(scope="module")
def embedded_run(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("faces")
    summary = _run(photos, out, align=True, embed=True)
    return out, summary, photos


def test_manifest_images_and_embeddings_line_up(embedded_run):
    out = embedded_run[0]
    rows = _manifest(out)
    assert list(rows[0]) == MANIFEST_COLUMNS
    assert [row["source"] for row in rows] == [
        "a_brick.png", "a_noise.png", "h_noise.png", "sub/a_grass.jpg",
    ]  # fmt: skip
    embeddings = np.load(out / "embeddings.npy")
    assert embeddings.shape == (4, 128) and embeddings.dtype == np.float32
    for row in rows:
        with Image.open(out / row["image"]) as image:
            assert image.size == (128, 128) and image.mode == "RGB"
        landmarks = np.array(row["landmarks"].split(), dtype=float).reshape(68, 2)
        left, top, right, bottom = (float(row[k]) for k in ("left", "top", "right", "bottom"))
        slack = 0.1 * float(row["face_size"])  # brows of a tilted face may poke out a little
        inner = landmarks[17:]  # brows, eyes, nose, mouth: inside the detector box
        assert (inner[:, 0] > left - slack).all() and (inner[:, 0] < right + slack).all()
        assert (inner[:, 1] > top - slack).all() and (inner[:, 1] < bottom + slack).all()
        assert float(row["face_size"]) >= 90.5 and float(row["score"]) > 0
        assert row["detector"] == "hog" and len(row["phash"]) == 16
    # Row i of embeddings.npy belongs to row i of the manifest: astronaut rows agree, Hopper not.
    distances = np.linalg.norm(embeddings[:, None] - embeddings[None], axis=-1)
    astronaut_rows = [i for i, row in enumerate(rows) if "a_" in row["source"]]
    hopper_row = next(i for i, row in enumerate(rows) if row["source"] == "h_noise.png")
    assert distances[np.ix_(astronaut_rows, astronaut_rows)].max() < 0.4
    assert distances[hopper_row, astronaut_rows].min() > 0.6


def test_summary_counts_rejections_by_reason(embedded_run):
    out, summary, _ = embedded_run
    assert summary["photos"] == 7  # notes.txt is not an image
    assert summary["unreadable"] == 1 and summary["without_face"] == 1
    assert summary["faces_found"] == 5 and summary["kept"] == 4
    assert summary["rejected"] == {"too_small": 1, "extra_face": 0, "duplicate": 0}
    assert summary["unreadable_files"][0]["source"] == "corrupt.jpg"
    assert summary["this_run"]["photos"] == 7 and summary["this_run"]["faces_per_second"] > 0
    assert json.loads((out / "summary.json").read_text()) == summary
    assert sorted(p.name for p in (out / "images").iterdir()) == sorted(
        row["image"].split("/")[1] for row in _manifest(out)
    )


def test_summary_says_how_many_small_faces_lie_near_the_limit(embedded_run, tmp_path):
    out, summary, photos = embedded_run
    too_small = summary["too_small"]  # a_small.png: a 70 px astronaut under --min-face 90.5
    assert {k: too_small[k] for k in ("count", "min_face", "near_from", "near_limit")} == {
        "count": 1, "min_face": 90.51, "near_from": 67.88, "near_limit": 1,
    }  # fmt: skip
    assert 67.88 <= too_small["largest"] < 90.51
    lines = format_summary(summary).splitlines()
    assert lines[2] == (
        "1 face too small (< 90.5 px), within 25% of the limit (67.9-90.5 px): "
        "lower --min-face (e.g. --min-face 67) to keep it"
    )
    # The advice holds: with --min-face 67 that face is kept.
    lower = _run(photos, tmp_path / "lower", min_face=67.0)
    assert "a_small.png" in {row["source"] for row in _manifest(tmp_path / "lower")}
    assert lower["too_small"]["count"] == 0 and lower["kept"] == 5
    assert "too small" not in format_summary(lower)


@pytest.mark.parametrize(
    ("sizes", "line"),
    [
        (
            [89.0, 70.0, 67.9, 50.0, 30.0],
            "5 faces too small (< 90.5 px), 3 of them within 25% of the limit (67.9-90.5 px): "
            "lower --min-face (e.g. --min-face 67) to keep them",
        ),
        (
            [80.0, 75.0],
            "2 faces too small (< 90.5 px), all within 25% of the limit (67.9-90.5 px): "
            "lower --min-face (e.g. --min-face 67) to keep them",
        ),
        (
            [67.8, 40.0],
            "2 faces too small (< 90.5 px), none within 25% of the limit (67.9-90.5 px); "
            "--min-face sets the limit",
        ),
        (
            [60.0],
            "1 face too small (< 90.5 px), not within 25% of the limit (67.9-90.5 px); "
            "--min-face sets the limit",
        ),
    ],
)
def test_too_small_line_counts_the_faces_near_min_face(sizes, line):
    too_small = too_small_summary(sizes, 90.5)
    assert too_small["near_from"] == 67.88 and too_small["largest"] == max(sizes)
    assert format_too_small(too_small) == line


def test_too_small_band_follows_min_face():
    too_small = too_small_summary([150.0, 120.0, 100.0], 160.0)  # near: from 120 px up
    assert too_small["near_limit"] == 2 and too_small["near_from"] == 120.0
    assert format_too_small(too_small).startswith(
        "3 faces too small (< 160.0 px), 2 of them within 25% of the limit (120.0-160.0 px): "
        "lower --min-face (e.g. --min-face 120)"
    )


def test_embedding_dedupe_runs_over_finished_results(embedded_run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(embedded_run[0], out)
    before_rows = _manifest(out)
    before = {row["image"]: i for i, row in enumerate(before_rows)}
    sharpest_astronaut = max(
        (row for row in before_rows if row["source"] != "h_noise.png"),
        key=lambda row: float(row["sharpness"]),
    )
    old_embeddings = np.load(out / "embeddings.npy")
    summary = run_faces_job(
        FaceJob(src=_src_of(embedded_run), out=out, align=True, embed=True, dedupe=0.3),
        show_progress=False,
    )
    assert summary["this_run"]["photos"] == 0  # nothing re-detected, only re-deduplicated
    assert summary["kept"] == 2 and summary["rejected"]["duplicate"] == 2
    rows = _manifest(out)
    assert sorted(row["source"] for row in rows) == sorted(
        ["h_noise.png", sharpest_astronaut["source"]]
    )
    embeddings = np.load(out / "embeddings.npy")
    for i, row in enumerate(rows):
        assert np.array_equal(embeddings[i], old_embeddings[before[row["image"]]])
    assert len(list((out / "rejected" / "duplicate").iterdir())) == 2


def _src_of(embedded_run):
    return embedded_run[2]


def test_unreadable_files_are_logged_and_skipped(tmp_path, astronaut, caplog):
    src = tmp_path / "raw"
    _save(astronaut.image, src / "good.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (src / "corrupt.jpg").write_bytes(CORRUPT_JPEG)
    with caplog.at_level(logging.WARNING, logger="facegan.faces"):
        summary = _run(src, tmp_path / "out", crop="center", size=32)
    assert summary["unreadable"] == 2 and summary["kept"] == 1
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "broken.png" in logged and "corrupt.jpg" in logged


def test_resume_processes_only_new_or_unfinished_photos(
    tmp_path, astronaut, hopper, compose_scene, make_background, monkeypatch
):
    src, out = tmp_path / "raw", tmp_path / "out"
    _save(
        compose_scene(astronaut, make_background("noise", 300, 300), 140, (150, 150)).image,
        src / "a.png",
    )
    _save(make_background("rocket", 200, 300), src / "empty.png")
    first = _run(src, out)
    assert first["kept"] == 1
    (a_image,) = (out / "images").iterdir()
    a_written = a_image.stat().st_mtime_ns

    processed = []
    original = worker.process_source
    monkeypatch.setattr(
        worker,
        "process_source",
        lambda job, source: processed.append(source) or original(job, source),
    )
    _save(
        compose_scene(hopper, make_background("grass", 300, 300), 140, (150, 150)).image,
        src / "h.png",
    )
    second = _run(src, out)
    assert processed == ["h.png"]
    assert second["kept"] == 2 and second["this_run"]["photos"] == 1
    assert a_image.stat().st_mtime_ns == a_written

    # A crash while writing the last record leaves half a line: that photo is redone.
    progress = out / "progress.jsonl"
    lines = progress.read_text().splitlines(keepends=True)
    assert json.loads(lines[-1])["source"] == "h.png"
    progress.write_text("".join(lines[:-1]) + lines[-1][:25])
    processed.clear()
    assert _run(src, out)["kept"] == 2
    assert processed == ["h.png"]

    # A face image deleted by hand is made again.
    a_image.unlink()
    processed.clear()
    _run(src, out)
    assert processed == ["a.png"] and a_image.exists()
    assert len(_manifest(out)) == 2

    # A photo removed from the source folder leaves the manifest; its crop is set aside.
    (src / "h.png").unlink()
    summary = _run(src, out)
    assert summary["missing_sources"] == 1 and summary["kept"] == 1
    assert [row["source"] for row in _manifest(out)] == ["a.png"]
    assert len(list((out / "rejected" / "missing_source").iterdir())) == 1


def test_resume_refuses_other_options(tmp_path, astronaut):
    src = tmp_path / "raw"
    _save(astronaut.image[:200, :200], src / "x.png")
    _run(src, tmp_path / "out", crop="center", size=32)
    with pytest.raises(FaceganError, match=r"other options \(size: 32 -> 64\)"):
        _run(src, tmp_path / "out", crop="center", size=64)


def test_dedupe_by_perceptual_hash_keeps_the_sharpest(
    tmp_path, astronaut, hopper, compose_scene, make_background
):
    src, out = tmp_path / "raw", tmp_path / "out"
    sharp = compose_scene(astronaut, make_background("gradient", 320, 320), 150, (160, 160)).image
    blurred = Image.fromarray(sharp).filter(ImageFilter.GaussianBlur(1.5))
    _save(np.asarray(blurred), src / "a_blurred.png")
    _save(sharp, src / "a_sharp.png")
    smaller = compose_scene(astronaut, make_background("noise", 300, 300), 110, (150, 150), 5).image
    _save(
        np.asarray(Image.fromarray(smaller).filter(ImageFilter.GaussianBlur(1.0))),
        src / "a_small.png",
    )
    _save(
        compose_scene(hopper, make_background("gradient", 320, 320), 150, (160, 160)).image,
        src / "h.png",
    )

    summary = _run(src, out, align=True, dedupe=0.15)
    assert summary["kept"] == 2 and summary["rejected"]["duplicate"] == 2
    assert sorted(row["source"] for row in _manifest(out)) == ["a_sharp.png", "h.png"]
    with open(out / "duplicates.csv", newline="") as handle:
        duplicates = list(csv.DictReader(handle))
    assert len(duplicates) == 2
    assert {row["duplicate_of"].split("/")[1].split("-")[0] for row in duplicates} == {"a_sharp"}
    assert all(float(row["distance"]) <= 0.15 for row in duplicates)

    # Without --dedupe the same folder keeps everything again; files move back.
    assert _run(src, out, align=True)["kept"] == 4
    assert len(list((out / "images").iterdir())) == 4
    assert not list((out / "rejected" / "duplicate").iterdir())
    assert not (out / "duplicates.csv").exists()


def test_several_faces_per_photo(tmp_path, astronaut, hopper, compose_scene, make_background):
    two = compose_scene(astronaut, make_background("noise", 320, 560), 130, (140, 160)).image
    two = compose_scene(hopper, two, 160, (400, 160)).image
    src = tmp_path / "raw"
    _save(two, src / "pair.png")
    single = _run(src, tmp_path / "one")
    assert single["kept"] == 1 and single["rejected"]["extra_face"] == 1
    (row,) = _manifest(tmp_path / "one")
    assert float(row["left"]) > 280  # the largest face (Hopper) is the one kept
    both = _run(src, tmp_path / "all", max_faces=0)
    assert both["kept"] == 2
    assert [row["face"] for row in _manifest(tmp_path / "all")] == ["0", "1"]


def test_celeba_crop_mode_without_detection(tmp_path):
    src = tmp_path / "celeba"
    rng = np.random.default_rng(0)
    for i in range(3):
        _save(rng.integers(0, 255, (218, 178, 3), dtype=np.uint8), src / f"{i:06d}.jpg")
    out = src / "faces"  # inside the source folder: must not be read back as photos
    summary = _run(src, out, crop="celeba", size=64)
    assert summary["kept"] == 3
    rows = _manifest(out)
    assert {row["detector"] for row in rows} == {"celeba-crop"}
    assert [(row["left"], row["top"], row["right"], row["bottom"]) for row in rows][0] == (
        "0", "20", "178", "198",
    )  # fmt: skip
    assert _run(src, out, crop="celeba", size=64)["photos"] == 3


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dedupe": 1.5}, "invalid --dedupe value 1.5"),
        ({"dedupe": 0.0}, "invalid --dedupe value"),
        ({"crop": "center", "embed": True}, "--crop center skips face detection"),
        ({"size": 8}, "--size must be between"),
        ({"workers": 0}, "--workers must be at least 1"),
        ({"min_face": -1.0}, "--min-face must be a positive"),
    ],
)
def test_bad_options_are_user_errors(tmp_path, options, message):
    (tmp_path / "raw").mkdir()
    with pytest.raises(FaceganError, match=message.replace("(", r"\(")):
        _run(tmp_path / "raw", tmp_path / "out", **options)


def test_missing_or_empty_source_folder(tmp_path):
    with pytest.raises(FaceganError, match="source folder not found"):
        _run(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "readme.txt").write_text("no photos here")
    with pytest.raises(FaceganError, match="no images found"):
        _run(tmp_path / "raw", tmp_path / "out")


def _lfw_photo(face, side, canvas, offset):
    """A 25 x 25 LFW face enlarged to `side` px on a grey `canvas`-px square photo."""
    big = Image.fromarray((face * 255).astype(np.uint8)).resize(
        (side, side), Image.Resampling.LANCZOS
    )
    photo = Image.new("L", (canvas, canvas), 128)
    photo.paste(big, offset)
    return np.asarray(photo.convert("RGB"))


def test_dedupe_keeps_distinct_people_and_drops_their_copies(tmp_path):
    from skimage import data

    faces = data.lfw_subset()  # 100 faces of 25 x 25 px, then 100 non-faces
    people = [0, 8, 12, 24, 28, 36]  # ones HOG finds once enlarged 6x
    src, out = tmp_path / "raw", tmp_path / "out"
    for person in people:
        _save(_lfw_photo(faces[person], 150, 300, (75, 75)), src / f"p{person:02d}.png")
        _save(_lfw_photo(faces[person], 180, 340, (90, 60)), src / f"p{person:02d}_copy.png")
    summary = _run(src, out, align=True, dedupe=0.1)
    assert summary["faces_found"] == 12
    assert summary["kept"] == len(people) and summary["rejected"]["duplicate"] == len(people)
    kept = {row["source"].split("_")[0].removesuffix(".png") for row in _manifest(out)}
    assert kept == {f"p{person:02d}" for person in people}
    with open(out / "duplicates.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            removed = row["image"].split("/")[-1].split("-")[0].split("_")[0]
            original = row["duplicate_of"].split("/")[-1].split("-")[0].split("_")[0]
            assert removed == original  # each copy points at its own person
