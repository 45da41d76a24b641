"""The HTML report and the comparison page: self-contained, and complete in a real browser."""

import base64
import io
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image, ImageStat

from facegan.errors import FaceganError
from facegan.runs import RunDir
from facegan.viz.compare import config_differences, final_metrics, run_names, write_comparison
from facegan.viz.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install -y "
                             "chromium); .ci/run must install it")
COUNT_BROKEN_IMAGES = (
    '<script>window.addEventListener("load", () => { const images = [...document.images]; '
    'document.title = "images " + images.length + " broken " + images.filter('
    'i => !i.complete || i.naturalWidth === 0).length; });</script></body>')


def chromium(tmp_path, *args):
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", *args],
        capture_output=True, text=True, timeout=180)


def embedded_images(page: str) -> list[Image.Image]:
    """Every <img> of the page, decoded; fails on any source that is not a data URI."""
    sources = re.findall(r'<img src="([^"]*)"', page)
    images = []
    for source in sources:
        header, _, payload = source.partition(",")
        assert header in ("data:image/png;base64", "data:image/gif;base64"), source[:60]
        images.append(Image.open(io.BytesIO(base64.b64decode(payload))))
    return images


def broken_images_in_browser(page_path, tmp_path) -> tuple[int, int]:
    probe = tmp_path / "probe.html"
    probe.write_text(page_path.read_text().replace("</body>", COUNT_BROKEN_IMAGES))
    dom = chromium(tmp_path, "--dump-dom", probe.as_uri()).stdout
    found = re.search(r"<title>images (\d+) broken (\d+)</title>", dom)
    assert found, dom[:500]
    return int(found.group(1)), int(found.group(2))


@pytest.fixture(scope="module")
def report(tiny_run):
    return write_report(tiny_run)


def test_the_report_embeds_every_picture(report, tiny_run):
    assert report == tiny_run / "report.html"
    page = report.read_text()
    images = embedded_images(page)
    assert len(images) == 9  # curves, samples, progression png+gif, collage, per-label,
    assert sum(im.format == "GIF" for im in images) == 2  # interpolation png+gif, histograms
    assert "src=" not in re.sub(r'<img src="data:[^"]*"', "", page)  # nothing else is fetched
    for heading in ("Training curves", "Metrics", "Samples", "Real vs generated",
                    "Every label, the same noise", "Latent interpolation (slerp)",
                    "Weight and gradient histograms", "Architecture", "Config"):
        assert f"<h2>{heading}</h2>" in page
    last = json.loads((tiny_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert f"<td>discriminator/loss</td><td>{last['discriminator/loss']:.4g}</td>" in page
    assert "gp_weight: 10.0" in page and "ConvTranspose2d" in page
    for name in ("real_vs_generated.png", "per_label.png", "interpolation.gif",
                 "progression.gif"):
        assert (tiny_run / "visualizations" / name).is_file()


def test_a_report_without_the_training_data_says_so_and_shows_the_rest(tiny_run, tmp_path):
    moved = tmp_path / "run"
    shutil.copytree(tiny_run, moved)
    config = (moved / "config.yaml").read_text()
    (moved / "config.yaml").write_text(re.sub(r"root: .*mnist.*", "root: /nowhere", config,
                                              count=1).replace("allow_sample: true",
                                                               "allow_sample: false"))
    page = write_report(moved).read_text()
    assert "not drawn: MNIST not found" in page
    assert len(embedded_images(page)) == 8


def test_report_of_a_folder_that_is_no_run_is_a_clear_error(tmp_path):
    with pytest.raises(FaceganError, match="is not a run directory"):
        write_report(tmp_path)


@needs_chromium
def test_the_report_opens_in_chromium_without_missing_images(report, tmp_path):
    assert broken_images_in_browser(report, tmp_path) == (9, 0)
    shot = tmp_path / "report.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000",
                      report.as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 2000)
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # text, curves, digits: not a blank page
    non_white = sum(count for count, colour in (colours or []) if colour != (255, 255, 255))
    assert colours is None or non_white > 0.05 * 1200 * 2000
    assert max(ImageStat.Stat(image).stddev) > 20


def with_eval_metric(run, tmp_path):
    """A copy of ``run`` whose metrics.jsonl also has evaluation lines (other keys)."""
    copy = tmp_path / "evaluated" / run.name
    shutil.copytree(run, copy)
    with (copy / "metrics.jsonl").open("a") as handle:
        for epoch, fid in ((1, 320.5), (2, 290.25)):
            handle.write(json.dumps({"step": 8 * epoch, "epoch": epoch,
                                     "images_seen": 64 * epoch, "eval/fid": fid}) + "\n")
    (copy / "config.yaml").write_text((copy / "config.yaml").read_text().replace(
        "g_lr: 0.0001", "g_lr: 0.0002"))
    return copy


def test_compare_two_runs_with_different_metric_keys(tiny_run, tmp_path):
    other = with_eval_metric(tiny_run, tmp_path)
    out = write_comparison([tiny_run, other], tmp_path / "pages" / "comparison.html")
    page = out.read_text()
    names = run_names([RunDir(tiny_run), RunDir(other)])
    assert names == ["MNIST/WGAN_GP", "evaluated/WGAN_GP"]  # the shortest telling suffixes
    rows = final_metrics([[json.loads(line) for line in p.read_text().splitlines()]
                          for p in (tiny_run / "metrics.jsonl", other / "metrics.jsonl")])
    assert ["eval/fid", "—", 290.25] in rows
    assert rows[:3] == [["epoch", 2, 2], ["step", 16, 16], ["images_seen", 128, 128]]
    assert "<td>eval/fid</td><td>—</td><td>290.2</td>" in page
    assert "<td>train.g_lr</td><td>0.0001</td><td>0.0002</td>" in page
    images = embedded_images(page)
    assert len(images) == 3  # the overlaid curves and the two last grids
    assert images[0].size == (1240, 1020)  # 4 training panels and eval/fid
    assert images[1].size == images[2].size


def test_config_differences_list_changed_and_missing_keys():
    rows = config_differences([{"train": {"lr": 1, "epochs": 2}},
                               {"train": {"lr": 2, "epochs": 2}, "log": {"wandb": True}}])
    assert rows == [["log.wandb", "—", "True"], ["train.lr", "1", "2"]]


def test_compare_needs_two_distinct_runs(tiny_run, tmp_path):
    with pytest.raises(FaceganError, match="at least two"):
        write_comparison([tiny_run], tmp_path / "c.html")
    with pytest.raises(FaceganError, match="the same run is given twice"):
        write_comparison([tiny_run, tiny_run], tmp_path / "c.html")


@needs_chromium
def test_the_comparison_opens_in_chromium_without_missing_images(tiny_run, tmp_path):
    out = write_comparison([tiny_run, with_eval_metric(tiny_run, tmp_path)],
                           tmp_path / "comparison.html")
    assert broken_images_in_browser(out, tmp_path) == (3, 0)
