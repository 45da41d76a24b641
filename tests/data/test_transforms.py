import numpy as np
import torch
from PIL import Image

from facegan.data.transforms import ImageTransform


def gradient_photo(width: int = 178, height: int = 218) -> Image.Image:
    """Red = row index, green = column index, blue = 7: every pixel tells where it came from."""
    rows, cols = np.mgrid[0:height, 0:width]
    return Image.fromarray(np.stack([rows, cols, np.full_like(rows, 7)], -1).astype(np.uint8))


def test_celeba_crop_drops_20_rows_top_and_bottom():
    out = ImageTransform(image_size=178, crop="celeba").decode_stage()(gradient_photo())
    assert out.dtype == torch.uint8 and out.shape == (3, 178, 178)
    assert out[0, :, 0].tolist() == list(range(20, 198))  # rows 20..197 of 218
    assert out[1, 0, :].tolist() == list(range(178))  # every column kept
    assert (out[2] == 7).all()


def test_center_crop_of_crop_size_then_resize():
    out = ImageTransform(image_size=108, crop="center", crop_size=108).decode_stage()(
        gradient_photo())
    assert out[0, :, 0].tolist() == list(range(55, 163))  # (218 - 108) / 2 = 55
    assert out[1, 0, :].tolist() == list(range(35, 143))  # (178 - 108) / 2 = 35
    small = ImageTransform(image_size=32, crop="center", crop_size=108).decode_stage()(
        gradient_photo())
    assert small.shape == (3, 32, 32)
    assert 55 <= small[0].min() and small[0].max() <= 162  # still only the crop's rows


def test_no_crop_resizes_the_short_side_and_keeps_the_centre_square():
    out = ImageTransform(image_size=89).decode_stage()(gradient_photo())  # 178x218 -> 89x109
    assert out.shape == (3, 89, 89)
    assert abs(int(out[0, 0, 0]) - 2 * 10) <= 2  # 10 rows of 109 cut at the top, 2 px each


def test_grayscale_gives_one_channel_of_luma():
    image = Image.fromarray(np.full((16, 16, 3), (200, 100, 50), np.uint8))
    out = ImageTransform(image_size=16, channels=1).decode_stage()(image)
    assert out.shape == (1, 16, 16)
    assert abs(int(out[0, 0, 0]) - round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)) <= 1


def test_palette_and_rgba_images_become_rgb():
    image = Image.new("RGBA", (10, 10), (10, 20, 30, 128))
    assert ImageTransform(image_size=10).decode_stage()(image).shape == (3, 10, 10)
    assert ImageTransform(image_size=10).decode_stage()(image.convert("P")).shape == (3, 10, 10)


def test_flip_mirrors_about_half_drawing_from_the_torch_generator():
    stage = ImageTransform(image_size=4, hflip=True).item_stage()
    images = np.tile(np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4), (64, 1, 1, 1))

    def flips(seed):
        torch.manual_seed(seed)
        out = stage(images.copy())
        mirrored = (out == images[..., ::-1]).reshape(64, -1).all(1)
        assert (mirrored | (out == images).reshape(64, -1).all(1)).all()  # each image whole
        return mirrored.tolist()

    assert flips(0) == flips(0)
    assert 16 < sum(flips(0)) < 48  # about half
    assert flips(0) != flips(1)
    assert ImageTransform(image_size=4).item_stage() is None
