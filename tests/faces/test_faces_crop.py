import numpy as np
import pytest

from facegan.faces.crop import celeba_square, center_square, crop_and_resize


def _rows_and_columns(height, width):
    """uint8 image whose R channel is the row index and G the column index."""
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = np.arange(height)[:, None]
    image[..., 1] = np.arange(width)[None, :]
    return image


def test_celeba_crop_drops_20_rows_top_and_bottom():
    crop, box = celeba_square(_rows_and_columns(218, 178))  # an aligned CelebA image
    assert box == (0, 20, 178, 198)
    assert crop.shape == (178, 178, 3)
    assert crop[0, 0, 0] == 20 and crop[-1, 0, 0] == 197


def test_celeba_crop_of_a_wider_image_then_centres_the_square():
    crop, box = celeba_square(_rows_and_columns(140, 200))
    assert box == (50, 20, 150, 120)
    assert crop[0, 0].tolist()[:2] == [20, 50]


def test_center_crop_takes_the_middle_square():
    crop, box = center_square(_rows_and_columns(100, 251))
    assert box == (75, 0, 175, 100)
    assert crop[0, 0, 1] == 75 and crop.shape == (100, 100, 3)


@pytest.mark.parametrize("mode", ["celeba", "center"])
def test_crop_and_resize_gives_the_requested_size(mode):
    out, _ = crop_and_resize(_rows_and_columns(218, 178), mode, 64)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert out[0, 0, 0] < out[-1, 0, 0]  # still top-to-bottom


def test_unknown_crop_mode_is_refused():
    with pytest.raises(ValueError, match="crop mode"):
        crop_and_resize(_rows_and_columns(10, 10), "none", 8)
