"""The end-of-epoch callbacks of a training run, registered by name (`facegan.training.callbacks`).

In the order they run: ``evaluation`` (``eval.every``; its results join the epoch's metrics
line), ``sample_grid`` (the fixed-noise grid, every epoch), ``losses`` and ``progression`` (every
``log.plots_every`` epochs and the last), ``histograms`` (``log.histograms``, likewise),
``tensorboard`` (``log.tensorboard``: the grid and every layer's weight and gradient
histograms) and ``wandb`` (``log.wandb``: the same). ``architecture`` writes
``architecture.txt`` when a run is created. A pipeline's post-epoch stage can name any of them.
"""

from __future__ import annotations

from facegan.config import Config, config_dataclass
from facegan.registry import register_callback
from facegan.training.callbacks import EpochCallback, EpochContext
from facegan.training.stats import TensorBoardSink, WandbSink
from facegan.viz.architecture import save_architecture
from facegan.viz.grids import save_grid
from facegan.viz.histograms import histograms as layer_histograms
from facegan.viz.histograms import plot_weight_histograms
from facegan.viz.plots import plot_losses
from facegan.viz.progression import save_progression


@config_dataclass
class NoOptions:
    pass


@register_callback("evaluation", config=NoOptions)
class Evaluation(EpochCallback):
    """``eval.metrics`` every ``eval.every`` epochs; keeps the best model."""

    reports_stats = True

    def __init__(self, context: EpochContext) -> None:
        # here, not at the top: the metrics (torchmetrics, scipy) cost a run that does not
        # evaluate two seconds of start-up
        from facegan.metrics.training_hook import TrainingEvaluator

        self.evaluator = TrainingEvaluator(context.config, context.dataset, context.run,
                                           context.model.device, context.model,
                                           progress=context.config.log.progress)

    @classmethod
    def wanted(cls, config: Config) -> bool:
        return config.eval.every > 0

    def on_epoch_end(self, context: EpochContext) -> None:
        self.evaluator.after_epoch(context.counters, context.model, context.reporter)

    def due(self, context: EpochContext) -> bool:
        return context.epoch % context.config.eval.every == 0


@register_callback("architecture", config=NoOptions)
class Architecture(EpochCallback):
    """``architecture.txt``: every layer of every network, with shapes and parameters."""

    def on_run_created(self, context: EpochContext) -> None:
        save_architecture(context.run.architecture_file, context.networks,
                          context.method.example_inputs(context.networks, 2))

    def on_epoch_end(self, context: EpochContext) -> None:
        self.on_run_created(context)  # as a pipeline stage: write it again

    def due(self, context: EpochContext) -> bool:
        return False


@register_callback("sample_grid", config=NoOptions)
class Samples(EpochCallback):
    """``visualizations/samples/epoch_NNN.png``: the fixed noise (and labels) of the run."""

    def on_epoch_end(self, context: EpochContext) -> None:
        save_grid(context.samples(), context.run.samples / f"epoch_{context.epoch:03d}.png",
                  context.grid_columns)


class Plot(EpochCallback):
    """Drawn from the run's files every ``log.plots_every`` epochs (and the last)."""

    def __init__(self, context: EpochContext) -> None:
        self.every = context.config.log.plots_every


@register_callback("losses", config=NoOptions)
class LossPlot(Plot):
    """``visualizations/losses.png`` from metrics.jsonl."""

    def on_epoch_end(self, context: EpochContext) -> None:
        plot_losses(context.run.metrics_file, context.run.visualizations / "losses.png")


@register_callback("progression", config=NoOptions)
class Progression(Plot):
    """``visualizations/progression.png`` and ``.gif`` from the epoch grids."""

    def on_epoch_end(self, context: EpochContext) -> None:
        save_progression(context.run)


@register_callback("histograms", config=NoOptions)
class Histograms(Plot):
    """``visualizations/histograms/epoch_NNN.png``: weights and gradients of every network."""

    @classmethod
    def wanted(cls, config: Config) -> bool:
        return config.log.histograms

    def on_epoch_end(self, context: EpochContext) -> None:
        plot_weight_histograms(dict(context.networks),
                               context.run.histograms / f"epoch_{context.epoch:03d}.png",
                               title=f"epoch {context.epoch}")


@register_callback("tensorboard", config=NoOptions)
class TensorBoardEpoch(EpochCallback):
    """The grid and every layer's weight and gradient histograms, into TensorBoard, at the
    global step of the epoch's last metrics line (as the scalars are), so the sliders agree."""

    @classmethod
    def wanted(cls, config: Config) -> bool:
        return config.log.tensorboard

    def on_epoch_end(self, context: EpochContext) -> None:
        sink = context.sink(TensorBoardSink)
        if sink is None:
            return
        writer, step = sink.writer, context.counters.step
        writer.add_images("samples", context.samples().add(1).div(2).clamp(0, 1), step)
        for network_name, module in context.networks.items():
            for name, param in module.named_parameters():
                writer.add_histogram(f"{network_name}/{name}", param.detach().cpu(), step)
                if param.grad is not None:  # the gradients of the epoch's last step
                    writer.add_histogram(f"{network_name}/grad/{name}",
                                         param.grad.detach().cpu(), step)
        writer.flush()


@register_callback("wandb", config=NoOptions)
class WandbEpoch(EpochCallback):
    """The grid as one image, and every layer's weight and gradient histograms, into W&B."""

    @classmethod
    def wanted(cls, config: Config) -> bool:
        return config.log.wandb

    def on_epoch_end(self, context: EpochContext) -> None:
        sink = context.sink(WandbSink)
        if sink is None:
            return
        histograms = {f"{network_name}/{of}/{name}": (counts, edges)
                      for network_name, module in context.networks.items()
                      for of in ("weights", "gradients")
                      for name, counts, edges in layer_histograms(module, of)}
        sink.log_epoch(context.counters.step, context.samples(), histograms)
