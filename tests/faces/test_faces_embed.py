import numpy as np

from facegan.faces.align import find_landmarks
from facegan.faces.detect import detect_faces
from facegan.faces.embed import face_descriptor


def _describe(scene, points=68):
    (detection,) = detect_faces(scene.image, "hog", 90.5)
    landmarks = find_landmarks(scene.image, detection.box, points)
    return face_descriptor(scene.image, detection.box, landmarks)


def test_same_face_in_two_scenes_is_close_and_another_face_is_far(
    astronaut, hopper, compose_scene, make_background
):
    first = _describe(compose_scene(astronaut, make_background("noise", 360, 360), 150, (180, 180)))
    second = _describe(
        compose_scene(astronaut, make_background("grass", 400, 480), 110, (300, 220), -8)
    )
    other = _describe(compose_scene(hopper, make_background("noise", 360, 360), 150, (180, 180)))
    assert first.shape == (128,) and first.dtype == np.float32
    assert 0.5 < np.linalg.norm(first) < 1.5
    assert np.linalg.norm(first - second) < 0.4
    assert np.linalg.norm(first - other) > 0.6  # dlib's same-person threshold


def test_five_point_landmarks_give_a_similar_descriptor(astronaut, compose_scene, make_background):
    scene = compose_scene(astronaut, make_background("brick", 360, 360), 150, (180, 180))
    assert np.linalg.norm(_describe(scene, 68) - _describe(scene, 5)) < 0.4
