import math

import numpy as np
import pytest

from facegan.faces.detect import detect_faces, detection_plan

SCENES = [  # (face, background, face size px, face centre, rotation degrees, canvas H x W)
    ("astronaut", "noise", 150, (200, 200), 0, (400, 400)),
    ("astronaut", "grass", 120, (300, 170), 8, (360, 480)),
    ("astronaut", "gradient", 200, (220, 250), -10, (480, 420)),
    ("astronaut", "brick", 100, (80, 230), 0, (300, 320)),
    ("hopper", "rocket", 130, (330, 180), 5, (360, 480)),
    ("hopper", "coffee", 180, (200, 200), -6, (400, 400)),
]


@pytest.mark.parametrize("face, bg, size, center, angle, shape", SCENES)
def test_hog_finds_the_pasted_face(
    request, compose_scene, make_background, face, bg, size, center, angle, shape
):
    scene = compose_scene(
        request.getfixturevalue(face), make_background(bg, *shape), size, center, angle
    )
    found = detect_faces(scene.image, "hog", min_face=90.5)
    assert len(found) == 1
    left, top, right, bottom = found[0].box
    box_center = ((left + right) / 2, (top + bottom) / 2)
    # dlib boxes sit a little below the patch centre and shrink with rotation: loose bounds.
    assert math.dist(box_center, center) < 0.3 * size
    assert 0.6 * size < found[0].size < 1.2 * size
    assert found[0].score > 0


@pytest.mark.parametrize(
    "bg", ["chelsea", "coffee", "rocket", "noise", "gradient", "brick", "grass"]
)
def test_hog_finds_nothing_in_face_free_scenes(make_background, bg):
    assert detect_faces(make_background(bg, 360, 480, seed=3), "hog", min_face=90.5) == []


def test_detection_plan_scales_to_the_smallest_wanted_face():
    assert detection_plan(90.5) == (1.0, 0)  # the default: native resolution
    assert detection_plan(80) == (1.0, 0)
    assert detection_plan(180) == (0.5, 0)  # 180 px faces are found at 90 px
    assert detection_plan(45) == (1.0, 1)  # one 2x upsampling
    assert detection_plan(20) == (1.0, 3)  # 90 / 20 = 4.5 -> three doublings


def test_downscaled_detection_reports_boxes_in_source_pixels(
    astronaut, compose_scene, make_background
):
    scene = compose_scene(astronaut, make_background("noise", 500, 500), 260, (250, 250))
    native = detect_faces(scene.image, "hog", min_face=90.5)
    downscaled = detect_faces(scene.image, "hog", min_face=200)  # detects at 0.45x
    assert len(native) == len(downscaled) == 1
    # HOG boxes snap to its scale pyramid, so the two agree only to ~10 %.
    assert abs(downscaled[0].size / native[0].size - 1) < 0.15
    assert np.allclose(native[0].box, downscaled[0].box, atol=0.15 * native[0].size)


def test_small_faces_need_upsampling(astronaut, compose_scene, make_background):
    scene = compose_scene(astronaut, make_background("gradient", 160, 160), 40, (80, 80))
    assert detect_faces(scene.image, "hog", min_face=90.5) == []
    found = detect_faces(scene.image, "hog", min_face=32)  # two 2x upsamplings
    assert len(found) == 1 and 30 < found[0].size < 55


def test_cnn_detector_finds_the_face_and_not_the_cat(astronaut, compose_scene, make_background):
    scene = compose_scene(astronaut, make_background("grass", 200, 220), 110, (110, 100), 6)
    found = detect_faces(scene.image, "cnn", min_face=90.5)
    assert len(found) == 1
    left, top, right, bottom = found[0].box
    assert math.dist(((left + right) / 2, (top + bottom) / 2), (110, 100)) < 0.3 * 110
    assert detect_faces(make_background("chelsea", 200, 220), "cnn", min_face=90.5) == []


def test_unknown_detector_is_refused():
    with pytest.raises(ValueError, match="unknown detector"):
        detect_faces(np.zeros((10, 10, 3), np.uint8), "yolo")
