import math

import numpy as np
import pytest

from facegan.faces.align import (
    TEMPLATE,
    align_face,
    anchors,
    find_landmarks,
    fit_similarity,
    transform_points,
    warp,
)
from facegan.faces.detect import detect_faces
from tests.faces.conftest import rotation_of


def _similarity(scale, degrees, shift):
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[scale * c, -scale * s, shift[0]], [scale * s, scale * c, shift[1]]])


def test_fit_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (5, 2))
    truth = _similarity(0.7, 23.0, (12.0, -4.0))
    dst = src @ truth[:, :2].T + truth[:, 2]
    assert np.allclose(fit_similarity(src, dst), truth)


def test_fit_similarity_without_rotation_keeps_axes():
    src = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 8.0]])
    dst = src @ _similarity(2.0, 10.0, (3.0, 3.0))[:, :2].T
    matrix = fit_similarity(src, dst, rotate=False)
    assert matrix[0, 1] == 0 and matrix[1, 0] == 0 and matrix[0, 0] == matrix[1, 1]
    assert matrix[0, 0] == pytest.approx(2.0 * math.cos(math.radians(10.0)))


def test_warp_with_a_shift_copies_pixels(astronaut):
    shift = np.array([[1.0, 0.0, -100.0], [0.0, 1.0, -50.0]])  # output = source - (100, 50)
    out = warp(astronaut.image, shift, 64)
    expected = astronaut.image[50:114, 100:164].astype(int)
    assert np.abs(out.astype(int) - expected).mean() < 2.0  # only filter smoothing differs


def test_crop_past_the_border_is_mirrored_not_black(astronaut):
    shift = np.array([[1.0, 0.0, 20.0], [0.0, 1.0, 20.0]])  # the crop starts 20 px outside
    out = warp(astronaut.image, shift, 64).astype(int)
    assert out[:20, :20].mean() > 50  # the source's top-left is light grey, not black
    # Row 20 of the output is row 0 of the source; rows above mirror the rows below it.
    mirrored = out[19 - np.arange(15), 20:]
    inside = out[21 + np.arange(15), 20:]
    assert np.abs(mirrored - inside).mean() < 6


def _eyes(landmarks):
    return landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)


@pytest.mark.parametrize("face, angle", [("astronaut", 9), ("astronaut", -10), ("hopper", 6)])
def test_alignment_puts_the_eyes_where_promised(
    request, compose_scene, make_background, face, angle
):
    scene = compose_scene(
        request.getfixturevalue(face), make_background("grass", 400, 400), 150, (200, 200), angle
    )
    (detection,) = detect_faces(scene.image, "hog", 90.5)
    landmarks = find_landmarks(scene.image, detection.box, 68)
    crop, matrix = align_face(scene.image, landmarks, 128, rotate=True)
    assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8

    # Landmarks found again on the output agree with the transform applied to the input ones.
    (found,) = detect_faces(crop, "hog", 50)
    out_landmarks = find_landmarks(crop, found.box, 68)
    predicted = transform_points(matrix, landmarks)
    assert np.abs(out_landmarks[17:] - predicted[17:]).mean() < 2.0  # inner face, px

    # Eyes level and on the template (least squares over eyes + mouth: a few px of slack for
    # faces whose proportions differ from the template's average face).
    eye_left, eye_right = _eyes(out_landmarks)
    assert abs(rotation_of(eye_left, eye_right)) < 2.0
    assert np.abs(eye_left / 128 - TEMPLATE["eye_left"]).max() < 0.03
    assert np.abs(eye_right / 128 - TEMPLATE["eye_right"]).max() < 0.03
    mouth = (out_landmarks[48] + out_landmarks[54]) / 2
    assert np.abs(mouth / 128 - TEMPLATE["mouth"]).max() < 0.04


def test_without_rotation_the_crop_stays_upright(astronaut, compose_scene, make_background):
    scene = compose_scene(astronaut, make_background("noise", 400, 400), 150, (200, 200), 9)
    (detection,) = detect_faces(scene.image, "hog", 90.5)
    landmarks = find_landmarks(scene.image, detection.box, 68)
    crop, matrix = align_face(scene.image, landmarks, 128, rotate=False)
    assert matrix[0, 1] == 0 and matrix[1, 0] == 0
    source_tilt = rotation_of(*_eyes(landmarks))
    assert source_tilt < -4  # the pasted face leans by ~9 degrees (the photo by ~3 the other way)
    (found,) = detect_faces(crop, "hog", 50)
    out_tilt = rotation_of(*_eyes(find_landmarks(crop, found.box, 68)))
    assert out_tilt == pytest.approx(source_tilt, abs=2.0)


def test_five_point_landmarks_align_on_eyes_and_nose(astronaut, compose_scene, make_background):
    scene = compose_scene(astronaut, make_background("brick", 360, 360), 140, (180, 180), -8)
    (detection,) = detect_faces(scene.image, "hog", 90.5)
    five = find_landmarks(scene.image, detection.box, 5)
    assert five.shape == (5, 2)
    names, _ = anchors(five)
    assert names == ["eye_left", "eye_right", "nose"]
    crop, _ = align_face(scene.image, five, 96, rotate=True)
    (found,) = detect_faces(crop, "hog", 40)
    eye_left, eye_right = _eyes(find_landmarks(crop, found.box, 68))
    assert abs(rotation_of(eye_left, eye_right)) < 2.5
    assert np.abs(eye_left / 96 - TEMPLATE["eye_left"]).max() < 0.035
    assert np.abs(eye_right / 96 - TEMPLATE["eye_right"]).max() < 0.035
