"""Our grid writer gives torchvision's pixels (it is written out only to keep torchvision's
import cost out of `facegan generate`)."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.utils import make_grid, save_image

from facegan.viz.grids import save_grid, save_individual, tile


@pytest.mark.parametrize(("n", "channels", "nrow"), [(1, 3, 8), (5, 1, 2), (7, 3, 3), (4, 3, 8)])
def test_tile_lays_out_as_torchvision_make_grid(n, channels, nrow):
    images = torch.rand(n, channels, 6, 5, generator=torch.Generator().manual_seed(n))
    assert torch.equal(tile(images, nrow, padding=2), make_grid(images, nrow=nrow, padding=2))
    pixels = (images * 255).to(torch.uint8)  # the server tiles uint8 pixels
    assert torch.equal(tile(pixels, nrow), make_grid(pixels, nrow=nrow, padding=2))


@pytest.mark.parametrize("channels", [1, 3])
def test_saved_grids_and_images_have_torchvision_s_pixels(tmp_path, channels):
    images = torch.randn(6, channels, 8, 8, generator=torch.Generator().manual_seed(0)) * 0.7
    save_grid(images, tmp_path / "ours.png", nrow=4)
    save_image(images, str(tmp_path / "theirs.png"), nrow=4, normalize=True, value_range=(-1, 1),
               padding=2)
    ours, theirs = (np.asarray(Image.open(tmp_path / f"{name}.png")) for name in ("ours", "theirs"))
    assert ours.shape == theirs.shape == (2 + 2 * 10, 2 + 4 * 10, 3)
    assert np.array_equal(ours, theirs)
    (one,) = save_individual(images[:1], tmp_path / "single")
    save_image(images[0], str(tmp_path / "one.png"), normalize=True, value_range=(-1, 1))
    assert np.array_equal(np.asarray(Image.open(one)), np.asarray(Image.open(tmp_path / "one.png")))
