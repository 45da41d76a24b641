"""Every picture drawn from a tiny run's files has the expected size and content."""

import json
import threading

import matplotlib.pyplot as plt
import torch
from matplotlib.colors import to_rgb
from PIL import Image

from facegan.runs import RunDir
from facegan.training.stats import read_metrics
from facegan.viz.architecture import summarize
from facegan.viz.collage import real_vs_generated
from facegan.viz.compose import LINE, PAD
from facegan.viz.histograms import plot_weight_histograms
from facegan.viz.plots import (
    COLOURS,
    epoch_ends,
    panel_order,
    plot_curves,
    plot_losses,
    smooth,
    smoothing_weight,
)
from facegan.viz.progression import (
    pick_evenly,
    progression_frames,
    progression_image,
    save_progression,
)

TILE = 64  # 32 px digits drawn twice as large


def test_curves_have_a_panel_per_value_and_eval_metrics_when_present(tiny_run, tmp_path):
    records = read_metrics(tiny_run / "metrics.jsonl")
    assert epoch_ends(records) == [(1, 64), (2, 128)]  # 64 digits per epoch
    keys = [k for k in records[-1] if "/" in k]
    assert panel_order(keys) == ["discriminator/loss", "generator/loss",
                                 "discriminator/wasserstein_distance",
                                 "discriminator/gradient_penalty"]
    assert plot_curves({"run": records}, tmp_path / "train.png")
    assert Image.open(tmp_path / "train.png").size == (1240, 680)  # 2 x 2 panels
    evaluated = records + [{"step": 16, "epoch": 2, "images_seen": 128, "eval/fid": 250.0}]
    assert plot_curves({"run": evaluated}, tmp_path / "eval.png")
    assert Image.open(tmp_path / "eval.png").size == (1240, 1020)  # a third row for eval/fid
    assert not plot_curves({"run": []}, tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()
    assert Image.open(tiny_run / "visualizations" / "losses.png").size == (1240, 680)


def test_a_value_logged_once_is_drawn_as_a_marker_in_its_panel(tmp_path):
    one_epoch = {"step": 8, "epoch": 1, "images_seen": 64, "time": 1.5,
                 "discriminator/loss": -2.0, "generator/loss": 0.5,
                 "discriminator/wasserstein_distance": 3.0,
                 "discriminator/gradient_penalty": 0.1}
    (tmp_path / "metrics.jsonl").write_text(json.dumps(one_epoch) + "\n")
    assert plot_losses(tmp_path / "metrics.jsonl", tmp_path / "losses.png")
    image = Image.open(tmp_path / "losses.png").convert("RGB")
    assert image.size == (1240, 680)  # 2 x 2 panels, in panel_order
    half_w, half_h = image.width // 2, image.height // 2
    for panel in range(4):  # each panel draws in a colour of its own
        column, row = panel % 2, panel // 2
        box = (column * half_w, row * half_h, (column + 1) * half_w, (row + 1) * half_h)
        colours = dict((rgb, count) for count, rgb in image.crop(box).getcolors(1 << 16))
        colour = tuple(round(255 * v) for v in to_rgb(COLOURS[panel]))
        assert colours.get(colour, 0) >= 9, f"panel {panel}: no marker"  # a 4 pt disc


def test_smoothing_is_a_debiased_moving_average():
    values = torch.tensor([1.0, 1.0, 1.0, 4.0]).numpy()
    assert smooth(values, 0.0).tolist() == values.tolist()
    smoothed = smooth(values, 0.5)
    assert smoothed[:3].tolist() == [1.0, 1.0, 1.0]  # debiased: no pull towards 0
    assert abs(smoothed[3] - (0.5 * 4 + 0.25 + 0.125 + 0.0625) / 0.9375) < 1e-9
    assert smoothing_weight(10) == 0.0 and 0.9 < smoothing_weight(5000) <= 0.98


def test_progression_has_one_tile_strip_per_epoch(tiny_run):
    run = RunDir(tiny_run)
    image = progression_image(run, columns=8)
    label_margin = image.width - (8 * (TILE + PAD) + PAD)
    assert label_margin > 0
    assert image.height == LINE + 2 * (TILE + PAD) + PAD  # title, then epochs 1 and 2
    first_sample = (label_margin + PAD + 5, LINE + PAD + 5)
    assert image.getpixel(first_sample) != (255, 255, 255)  # a digit tile, not background
    frames = progression_frames(run)
    grid = Image.open(tiny_run / "visualizations" / "samples" / "epoch_002.png")
    band = max(14, 2 * grid.width // 24) + 8  # the title grows with the frame
    assert [f.size for f in frames] == [(2 * grid.width, 2 * grid.height + band)] * 2


def test_the_progression_gif_has_one_frame_per_epoch(tiny_run):
    png, gif = save_progression(RunDir(tiny_run))
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames == 2
    assert animation.info["loop"] == 0
    assert Image.open(png).size == progression_image(RunDir(tiny_run)).size


def test_real_vs_generated_shows_two_panels_of_the_same_size(tiny_run, digits):
    collage = real_vs_generated(RunDir(tiny_run), n=9, seed=0)
    panel = 3 * (TILE + PAD) + PAD
    assert collage.size == (2 * panel + 16, LINE + panel)
    real_tile = collage.crop((PAD, LINE + PAD, PAD + TILE, LINE + PAD + TILE))
    assert real_tile.convert("L").getextrema()[1] > 200  # white strokes of a real digit


def test_histograms_show_weights_and_gradients_of_both_models(tiny_run):
    histograms = Image.open(tiny_run / "visualizations" / "histograms" / "epoch_002.png")
    # 4 columns (weights and gradients of G and D); 5 rows: D's 4 weights + its label embedding
    assert histograms.size == (4 * 3.2 * 80, (1.3 * 5 + 0.8) * 80)


def test_histograms_draw_every_tensor_in_its_column_colour(tmp_path):
    torch.manual_seed(0)
    generator = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Linear(32, 8))
    discriminator = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Linear(32, 32),
                                        torch.nn.Linear(32, 1))
    with torch.no_grad():
        discriminator[1].weight.zero_()  # a constant tensor: one bar
    discriminator(generator(torch.randn(2, 4))).sum().backward()
    generator.zero_grad(set_to_none=True)  # gradients for the discriminator only
    plot_weight_histograms({"generator": generator, "discriminator": discriminator},
                           tmp_path / "histograms.png")
    image = Image.open(tmp_path / "histograms.png").convert("RGB")
    # columns: generator weights, discriminator weights and gradients; 3 rows (D's 3 weights)
    assert image.size == (768, (1.3 * 3 + 0.8) * 80)  # 3.2 in per column at 80 dpi
    blue, orange, red = (31, 119, 180), (255, 127, 14), (214, 39, 40)  # tab: colours
    third_w, third_h = image.width // 3, image.height // 3

    def has(colour, col, row):
        box = (col * third_w, row * third_h, (col + 1) * third_w, (row + 1) * third_h)
        return colour in {rgb for _, rgb in image.crop(box).getcolors(1 << 16)}

    assert [has(blue, 0, row) for row in range(3)] == [True, True, False]  # G has 2 tensors
    assert all(has(orange, 1, row) and has(red, 2, row) for row in range(3))
    assert not has(blue, 1, 0) and not has(orange, 2, 0)


def test_pictures_are_drawn_without_pyplot_and_alike_from_several_threads(tiny_run, tmp_path):
    records = read_metrics(tiny_run / "metrics.jsonl")
    models = {"generator": torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Linear(16, 4))}

    def draw(name: str) -> None:
        plot_curves({"run": records}, tmp_path / f"curves_{name}.png")
        plot_weight_histograms(models, tmp_path / f"histograms_{name}.png")

    draw("alone")
    threads = [threading.Thread(target=draw, args=(str(i),)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert plt.get_fignums() == []  # no figure left open in pyplot's global list
    for kind in ("curves", "histograms"):
        alone = (tmp_path / f"{kind}_alone.png").read_bytes()
        assert all((tmp_path / f"{kind}_{i}.png").read_bytes() == alone for i in range(2))


def test_architecture_summary_lists_every_layer_with_shapes_and_counts(tiny_run):
    text = (tiny_run / "architecture.txt").read_text()
    generator, discriminator = text.split("\n\n")
    assert generator.startswith("generator (DCGANGenerator)")
    assert "condition  ConditionEncoder  (N, 10)" in generator  # one-hot digit labels
    assert "net.9      ConvTranspose2d   (N, 1, 32, 32)" in generator
    assert "inputs (N, 16), (N) -> output (N, 1, 32, 32)" in generator  # noise, class labels
    assert "parameters: 23,793 (23,793 trainable)" in generator  # latent 16 + 10, width 8
    assert "inputs (N, 1, 32, 32), (N) -> output (N)" in discriminator
    meta = json.loads((tiny_run / "saved_models" / "generator" / "generator.json").read_text())
    assert meta["model"]["g_width"] == 8


def test_summarize_counts_parameters_held_by_containers():
    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.linear = torch.nn.Linear(2, 3)

        def forward(self, x):
            return self.linear(x) * self.scale

    text = summarize(torch.nn.Sequential(Scaled()), torch.zeros(2, 2))
    rows = [line.split() for line in text.splitlines()[2:4]]
    assert rows == [["0.linear", "Linear", "(N,", "3)", "9"], ["0", "Scaled", "(N,", "3)", "3"]]
    assert text.endswith("parameters: 12 (12 trainable)")


def test_long_runs_show_evenly_spaced_epochs_with_the_first_and_the_last():
    assert pick_evenly(list(range(1, 101)), 5) == [1, 26, 51, 75, 100]
    assert pick_evenly([1, 2, 3], 16) == [1, 2, 3]
