"""End-of-epoch callbacks: which run, when, and what they leave in the run directory."""

from __future__ import annotations

from facegan.registry import CALLBACKS
from facegan.training import Trainer
from facegan.training.callbacks import build_callbacks


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
