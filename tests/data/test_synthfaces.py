"""SynthFaces: determinism, shapes, truthful labels, identities and the image-folder writer."""

import csv
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from facegan.data.synthfaces import (
    ATTRIBUTE_NAMES,
    TAG_NAMES,
    TAG_VALUES,
    attributes_of,
    generate,
    neutral_appearance,
    render,
    sample_appearance,
    sample_identity,
    write_image_folder,
)
from facegan.data.synthfaces_params import EYE_RGB, HAIR_RGB
from facegan.errors import FaceganError

IDENTITY_ATTRIBUTES = (
    "Bald", "Bangs", "Black_Hair", "Blond_Hair", "Brown_Hair", "Bushy_Eyebrows", "Gray_Hair",
    "Male", "Mustache", "No_Beard", "Pale_Skin", "Straight_Hair", "Wavy_Hair", "Wearing_Lipstick",
)  # fmt: skip


def changed_pixels(a: np.ndarray, b: np.ndarray, threshold: int = 24) -> np.ndarray:
    """(H, W) bool: where two renders differ visibly."""
    return np.abs(a.astype(int) - b.astype(int)).max(axis=2) > threshold


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the True pixels, inclusive."""
    rows, cols = np.nonzero(mask)
    assert rows.size, "expected some changed pixels"
    return rows.min(), rows.max(), cols.min(), cols.max()


@pytest.fixture(scope="module")
def plain_identity():
    """A short-haired person without beard, drawn frontally on a plain background."""
    return replace(
        sample_identity(seed=0, identity=1), hair_style="short", bangs=False, beard="none"
    )


@pytest.mark.parametrize("size", [32, 64, 128])
def test_generate_shapes_dtypes_and_ranges(size):
    batch = generate(4, size=size, seed=1)
    assert batch.images.shape == (4, size, size, 3) and batch.images.dtype == np.uint8
    assert batch.attributes.shape == (4, len(ATTRIBUTE_NAMES))
    assert batch.attributes.dtype == np.int8
    assert set(np.unique(batch.attributes)) <= {0, 1}
    assert batch.identities.dtype == np.int64 and batch.identities.tolist() == [0, 1, 2, 3]
    for tag in TAG_NAMES:
        assert batch.tags[tag].shape == (4,) and batch.tags[tag].dtype == np.int64
        assert set(batch.tag_strings(tag)) <= set(TAG_VALUES[tag])
    assert batch.images.std() > 20, "images should not be flat"


def test_generate_is_deterministic_and_seeded():
    first, again = generate(6, size=32, seed=3), generate(6, size=32, seed=3)
    assert first.images.tobytes() == again.images.tobytes()
    assert np.array_equal(first.attributes, again.attributes)
    assert all(np.array_equal(first.tags[t], again.tags[t]) for t in TAG_NAMES)
    other_seed = generate(6, size=32, seed=4)
    assert not np.array_equal(first.images, other_seed.images)


def test_image_does_not_depend_on_n_or_start():
    many = generate(8, size=32, seed=5, num_identities=3)
    few = generate(3, size=32, seed=5, num_identities=3)
    assert np.array_equal(many.images[:3], few.images)
    assert np.array_equal(many.attributes[:3], few.attributes)
    tail = generate(3, size=32, seed=5, num_identities=3, start=5)
    assert np.array_equal(many.images[5:], tail.images)
    assert np.array_equal(many.identities[5:], tail.identities)


def test_small_sizes_and_large_sizes_render():
    assert render(sample_identity(0, 0), neutral_appearance(), 16).shape == (16, 16, 3)
    assert render(sample_identity(0, 0), neutral_appearance(), 256).shape == (256, 256, 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 4, "size": 8}, "size"),
        ({"n": 4, "size": 300}, "size"),
        ({"n": 0}, "n must be"),
        ({"n": -2}, "n must be"),
        ({"n": 4, "seed": -1}, "seed"),
        ({"n": 4, "num_identities": 0}, "num_identities"),
        ({"n": 4, "num_identities": 2, "images_per_identity": 2}, "not both"),
    ],
)
def test_bad_arguments_raise_a_one_line_facegan_error(kwargs, message):
    with pytest.raises(FaceganError, match=message) as error:
        generate(**kwargs)
    assert "\n" not in str(error.value)


def test_render_rejects_sizes_out_of_range():
    with pytest.raises(FaceganError, match="size"):
        render(sample_identity(0, 0), neutral_appearance(), 512)


def test_num_identities_deals_images_to_people_in_turn():
    batch = generate(9, size=16, seed=2, num_identities=3)
    assert batch.identities.tolist() == [0, 1, 2] * 3
    identity_columns = [ATTRIBUTE_NAMES.index(name) for name in IDENTITY_ATTRIBUTES]
    for person in range(3):
        rows = batch.identities == person
        assert len(np.unique(batch.attributes[rows][:, identity_columns], axis=0)) == 1
        for tag in TAG_NAMES:
            assert len(set(batch.tags[tag][rows])) == 1
    assert len({img.tobytes() for img in batch.images}) == 9, "appearances should differ"


def test_images_per_identity_gives_consecutive_images_to_one_person():
    batch = generate(6, size=16, seed=2, images_per_identity=4)
    assert batch.identities.tolist() == [0, 0, 0, 0, 1, 1]


def test_labels_follow_the_drawn_parameters():
    batch = generate(12, size=16, seed=7)
    for index in range(12):
        identity = sample_identity(7, index)
        appearance = sample_appearance(7, index, identity)
        labels = dict(zip(ATTRIBUTE_NAMES, batch.attributes[index].tolist(), strict=True))
        assert labels["Smiling"] == appearance.smiling
        assert labels["Eyeglasses"] == appearance.eyeglasses
        assert labels["Mouth_Slightly_Open"] == appearance.mouth_open
        assert labels["Male"] == identity.male
        assert batch.tag_strings("hair_color")[index] == identity.hair_color
        assert batch.tag_strings("eye_color")[index] == identity.eye_color


def with_hair_color(identity, color):
    return replace(identity, hair_color=color, hair_rgb=HAIR_RGB[color])


@pytest.mark.parametrize("color", ["blond", "red", "gray", "brown"])
def test_hair_color_shows_in_the_hair(plain_identity, color):
    black = render(with_hair_color(plain_identity, "black"), neutral_appearance(), 64)
    colored_identity = with_hair_color(plain_identity, color)
    colored = render(colored_identity, neutral_appearance(), 64)
    hair = changed_pixels(black, colored)
    top, _, _, _ = bounding_box(hair)
    assert top < 16, "hair should reach the top of the head"
    mean_red, mean_green, mean_blue = colored[hair].mean(axis=0)
    assert colored[hair].mean() > black[hair].mean() + 30, "every colour is lighter than black"
    if color == "blond":
        assert mean_red > mean_blue + 60 and mean_green > 120
    if color == "red":
        assert mean_red > mean_green + 60
    if color == "gray":
        assert abs(mean_red - mean_blue) < 15 and mean_green > 120
    if color == "brown":
        assert mean_red > mean_blue + 30 and mean_green < 90
    assert (
        attributes_of(colored_identity, neutral_appearance())[ATTRIBUTE_NAMES.index("Black_Hair")]
        == 0
    )


def test_glasses_change_only_the_eye_region(plain_identity):
    plain = render(plain_identity, neutral_appearance(), 64)
    with_glasses = render(plain_identity, replace(neutral_appearance(), eyeglasses=True), 64)
    other_eyes = replace(plain_identity, eye_color="blue", iris_rgb=EYE_RGB["blue"])
    eyes_box = bounding_box(changed_pixels(plain, render(other_eyes, neutral_appearance(), 64)))
    glasses_top, glasses_bottom, _, _ = bounding_box(changed_pixels(plain, with_glasses))
    assert glasses_bottom - glasses_top <= 14, "glasses should sit in a narrow band"
    assert glasses_top <= eyes_box[0] and eyes_box[1] <= glasses_bottom, "around the eyes"


def test_smile_and_open_mouth_change_only_the_mouth_region(plain_identity):
    neutral = render(plain_identity, neutral_appearance(), 64)
    other_eyes = replace(plain_identity, eye_color="green", iris_rgb=EYE_RGB["green"])
    eyes_bottom = bounding_box(
        changed_pixels(neutral, render(other_eyes, neutral_appearance(), 64))
    )[1]
    for expression in (
        {"smiling": True},
        {"mouth_open": True},
        {"smiling": True, "mouth_open": True},
    ):
        changed = render(plain_identity, replace(neutral_appearance(), **expression), 64)
        top, bottom, left, right = bounding_box(changed_pixels(neutral, changed))
        assert top > eyes_bottom + 4, f"{expression} should change pixels below the eyes only"
        assert bottom - top <= 12 and right - left <= 24, f"{expression} is a mouth-sized change"
        assert abs((left + right) / 2 - 32) <= 4, "the mouth is centred"


def test_same_identity_is_more_alike_than_different_identities():
    """With scene and light held fixed, pose and expression change a face less than a new person."""
    scene = neutral_appearance()
    renders = {}
    for person in range(4):
        identity = sample_identity(11, person)
        for index in range(3):
            appearance = sample_appearance(11, 100 * person + index, identity)
            appearance = replace(
                appearance,
                background_top_rgb=scene.background_top_rgb,
                background_bottom_rgb=scene.background_bottom_rgb,
                clothing_rgb=scene.clothing_rgb,
                light_strength=0.0,
                brightness=1.0,
            )
            renders[person, index] = render(identity, appearance, 32).astype(float)
    same, different = [], []
    for (person_a, index_a), image_a in renders.items():
        for (person_b, index_b), image_b in renders.items():
            if (person_a, index_a) < (person_b, index_b):
                distance = np.abs(image_a - image_b).mean()
                (same if person_a == person_b else different).append(distance)
    assert np.mean(same) < 0.7 * np.mean(different)


def test_write_image_folder_writes_images_and_matching_labels(tmp_path):
    # chunk_size=2 makes the writer draw in three chunks; the result must match one generate().
    out = write_image_folder(
        tmp_path / "synth", n=5, size=16, seed=2, num_identities=2, chunk_size=2, progress=False
    )
    batch = generate(5, size=16, seed=2, num_identities=2)
    with open(out / "labels.csv", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["filename", *ATTRIBUTE_NAMES, "hair_color", "eye_color", "identity"]
    assert len(rows) == 6
    for index, row in enumerate(rows[1:]):
        assert row[0] == f"images/{index:06d}.png"
        assert np.array_equal(np.asarray(Image.open(out / row[0])), batch.images[index])
        assert [int(v) for v in row[1 : 1 + len(ATTRIBUTE_NAMES)]] == batch.attributes[
            index
        ].tolist()
        assert row[-3:-1] == [batch.tag_strings(tag)[index] for tag in TAG_NAMES]
        assert int(row[-1]) == batch.identities[index]
    assert sorted(p.name for p in out.iterdir()) == ["images", "labels.csv", "synthfaces.json"]


def test_write_image_folder_replaces_its_own_earlier_output(tmp_path):
    out = tmp_path / "synth"
    write_image_folder(out, n=4, size=16, progress=False)
    write_image_folder(out, n=2, size=16, seed=1, progress=False)
    assert sorted(p.name for p in (out / "images").iterdir()) == ["000000.png", "000001.png"]
    assert len((out / "labels.csv").read_text().splitlines()) == 3


def test_write_image_folder_refuses_a_foreign_non_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FaceganError, match="refusing .*empty or new folder") as error:
        write_image_folder(tmp_path, n=2, size=16, progress=False)
    assert "\n" not in str(error.value)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "images").exists()


def test_write_image_folder_refuses_a_file_path(tmp_path):
    target = tmp_path / "labels.csv"
    target.write_text("not a folder")
    with pytest.raises(FaceganError, match="is a file"):
        write_image_folder(target, n=1, size=16, progress=False)
