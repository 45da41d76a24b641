import torch
from PIL import Image

from facegan.viz.compose import (
    LINE,
    PAD,
    labelled_grid,
    side_by_side,
    split_grid,
    tile_scale,
    to_uint8,
)
from facegan.viz.grids import save_grid


def test_a_labelled_grid_has_one_row_of_tiles_per_row_label():
    images = torch.zeros(3, 5, 1, 32, 32, dtype=torch.uint8)
    plain = labelled_grid(images)
    assert tile_scale(32) == 2  # 32 px digits are drawn at 64 px
    assert plain.size == (5 * (64 + PAD) + PAD, 3 * (64 + PAD) + PAD)
    labelled = labelled_grid(images, ["a", "bb", "a long row label"], list("vwxyz"), "title")
    assert labelled.height == plain.height + 2 * LINE  # title band + column captions
    assert labelled.width > plain.width  # the row-caption margin


def test_tiles_are_pasted_where_the_layout_says():
    images = torch.zeros(2, 2, 3, 8, 8, dtype=torch.uint8)
    images[1, 0, 0] = 255  # row 1, column 0: red
    grid = labelled_grid(images, scale=1)
    x, y = PAD, PAD + 8 + PAD  # origin of row 1, column 0
    assert grid.getpixel((x + 3, y + 3)) == (255, 0, 0)
    assert grid.getpixel((x + 8 + PAD + 3, y + 3)) == (0, 0, 0)


def test_split_grid_inverts_save_grid(tmp_path):
    images = torch.rand(10, 3, 12, 12) * 2 - 1
    save_grid(images, tmp_path / "grid.png")  # 4 columns, 3 rows, 2 empty slots
    tiles = split_grid(Image.open(tmp_path / "grid.png"), 12, count=10)
    assert tiles.shape == (10, 3, 12, 12)
    assert (tiles.int() - to_uint8(images).int()).abs().max() <= 1


def test_side_by_side_puts_titled_panels_next_to_each_other():
    a, b = Image.new("RGB", (50, 40)), Image.new("RGB", (30, 60))
    assert side_by_side([a, b], ["real", "generated"], gap=10).size == (90, LINE + 60)
