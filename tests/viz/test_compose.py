import numpy as np
import torch
from PIL import Image, ImageDraw

from facegan.viz.compose import (
    LINE,
    PAD,
    font,
    labelled_grid,
    plan_layout,
    side_by_side,
    split_grid,
    text_width,
    tile_scale,
    to_uint8,
    wrap,
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


def test_wrapped_lines_fit_their_width_and_keep_every_character():
    assert wrap("glasses 0.5", 200) == ["glasses 0.5"]  # fits: one line
    for text in ("hair_color=red 0.25", "Wearing_Necktie 0.14", "W" * 30,
                 "hair_color=red from 0 to 1, no other attribute"):
        lines = wrap(text, 56)
        assert len(lines) > 1
        assert all(text_width(line) <= 56 for line in lines), lines
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert wrap("hair_color=red", 56)[0].endswith("_")  # broken after the underscore


def test_long_column_captions_stay_inside_their_tiles_and_the_picture():
    images = torch.full((2, 5, 1, 8, 8), 255, dtype=torch.uint8)
    labels = [f"hair_color=red {v:.2g}" for v in torch.linspace(0, 1, 5).tolist()]
    title = "hair_color=red from 0 to 1, no other attribute"
    picture = labelled_grid(images, ["seed 0 #0", "seed 0 #1"], labels, title)
    layout = plan_layout(2, 5, 64, ["seed 0 #0", "seed 0 #1"], labels, title)
    assert picture.size == layout.size
    assert layout.top > 2 * LINE  # the captions take more than one line
    draw = ImageDraw.Draw(picture)
    boxes = [draw.textbbox(xy, line, font=font(size), anchor="mm")
             for xy, line, size in layout.header()]
    assert len(boxes) == len(layout.title_lines) + sum(map(len, layout.column_lines)) == 16
    for left, top, right, bottom in boxes:
        assert 0 <= left and right <= picture.width and 0 <= top and bottom <= layout.top
    for i, a in enumerate(boxes):  # no two lines overlap
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    # What is drawn: below the title, ink only over a tile, never across the gap between two
    ink = np.array(picture.convert("L"))[LINE * len(layout.title_lines):layout.top] < 128
    inked_columns = set(np.flatnonzero(ink.any(0)).tolist())
    over_tiles = [set(range(x, x + 64)) for x, _ in (layout.origin(0, k) for k in range(5))]
    assert inked_columns <= set().union(*over_tiles)
    assert all(inked_columns & tile for tile in over_tiles)  # every caption is drawn


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
