"""End-of-epoch callbacks: which run, when, and what they leave in the run directory."""

from __future__ import annotations

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from facegan.registry import CALLBACKS
from facegan.training.callbacks import build_callbacks
from facegan.training.stats import read_metrics
from facegan.training.trainer import Trainer


def test_plots_every_k_epochs_and_at_the_last_while_the_grid_is_drawn_every_epoch(
        tiny_config, monkeypatch):
    drawn = []
    histograms = CALLBACKS.get("histograms").builder
    original = histograms.on_epoch_end
    monkeypatch.setattr(histograms, "on_epoch_end",
                        lambda self, context: (drawn.append(context.epoch),
                                               original(self, context)))
    run = Trainer(tiny_config("train.epochs=5", "log.plots_every=2", "data.limit=16",
                              "log.tensorboard=false"), progress=False).fit().run_dir
    assert drawn == [2, 4, 5]
    assert sorted(p.name for p in (run / "visualizations/histograms").iterdir()) == [
        "epoch_002.png", "epoch_004.png", "epoch_005.png"]
    assert len(list((run / "visualizations/samples").iterdir())) == 5
    assert (run / "visualizations/losses.png").is_file()


def test_the_config_chooses_the_callbacks(tiny_config):
    trainer = Trainer(tiny_config("log.histograms=false", "log.tensorboard=false",
                                  "data.limit=16"), progress=False)
    assert {type(c).__name__ for c in trainer.callbacks} == {
        "Architecture", "Samples", "LossPlot", "Progression"}
    everything = Trainer(tiny_config("data.limit=16", name="all"), progress=False)
    assert {type(c).__name__ for c in build_callbacks(everything.epoch_context())} == {
        "Architecture", "Samples", "LossPlot", "Progression", "Histograms", "TensorBoardEpoch"}


def test_tensorboard_images_and_histograms_are_stepped_like_the_scalars(tiny_config):
    run = Trainer(tiny_config("train.epochs=2", "data.limit=24", "log.histograms=false",
                              "log.tensorboard=true"), progress=False).fit().run_dir
    records = read_metrics(run / "metrics.jsonl")
    epoch_ends = [max(r["step"] for r in records if r["epoch"] == epoch) for epoch in (1, 2)]
    assert epoch_ends != [1, 2]  # global steps, not epochs
    events = EventAccumulator(str(run / "tensorboard"),
                              size_guidance={"images": 0, "scalars": 0, "histograms": 0})
    events.Reload()
    assert [image.step for image in events.Images("samples")] == epoch_ends
    scalar_steps = [scalar.step for scalar in events.Scalars("discriminator/loss")]
    assert scalar_steps == [r["step"] for r in records] == [2, 3, 4, 6]
    assert set(epoch_ends) <= set(scalar_steps)  # each epoch's grid sits on its last scalars
    histogram = next(tag for tag in events.Tags()["histograms"] if "/grad/" not in tag)
    assert [h.step for h in events.Histograms(histogram)] == epoch_ends
