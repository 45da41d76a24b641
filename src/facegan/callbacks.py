"""The end-of-epoch callbacks of a training run, registered by name (`facegan.training.callbacks`).

In the order they run: ``evaluation`` (``eval.every``; its results join the epoch's metrics
line), ``samples`` (the fixed-noise grid, every epoch), ``losses`` and ``progression`` (every
``log.plots_every`` epochs and the last), ``histograms`` (``log.histograms``, likewise),
``tensorboard`` (``log.tensorboard``: the grid and every layer's weight and gradient
histograms) and ``wandb`` (``log.wandb``: the same). ``architecture`` writes
``architecture.txt`` when a run is created. A pipeline's post-epoch stage can name any of them.
"""

from __future__ import annotations

from typing import Any

from facegan.config import config_dataclass
from facegan.metrics.training_hook import TrainingEvaluator
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


class Evaluation(EpochCallback):
    reports_stats = True

    def __init__(self, context: EpochContext) -> None:
        self.evaluator = TrainingEvaluator(context.config, context.dataset, context.run,
                                           context.model.device, context.model,
                                           progress=context.config.log.progress)

    def on_epoch_end(self, context: EpochContext) -> None:
        self.evaluator.after_epoch(context.counters, context.model, context.reporter)

    def due(self, context: EpochContext) -> bool:
        return True  # the evaluator knows its own schedule (eval.every)


@register_callback("evaluation", config=NoOptions)
def evaluation(context: EpochContext) -> EpochCallback | None:
    return Evaluation(context) if context.config.eval.every > 0 else None


class Architecture(EpochCallback):
    def on_run_created(self, context: EpochContext) -> None:
        save_architecture(context.run.architecture_file, context.networks,
                          context.method.example_inputs(context.networks, 2))

    def on_epoch_end(self, context: EpochContext) -> None:
        return None

    def due(self, context: EpochContext) -> bool:
        return False


@register_callback("architecture", config=NoOptions)
def architecture(context: EpochContext) -> EpochCallback:
    return Architecture()


class Samples(EpochCallback):
    def on_epoch_end(self, context: EpochContext) -> None:
        save_grid(context.samples(), context.run.samples / f"epoch_{context.epoch:03d}.png",
                  context.grid_columns)


@register_callback("samples", config=NoOptions)
def samples(context: EpochContext) -> EpochCallback:
    return Samples()


class Plot(EpochCallback):
    """Work drawn from the run's files every ``log.plots_every`` epochs (and the last)."""

    def __init__(self, context: EpochContext, draw: Any) -> None:
        self.every = context.config.log.plots_every
        self.draw = draw

    def on_epoch_end(self, context: EpochContext) -> None:
        self.draw(context)


@register_callback("losses", config=NoOptions)
def losses(context: EpochContext) -> EpochCallback:
    return Plot(context, lambda c: plot_losses(c.run.metrics_file,
                                               c.run.visualizations / "losses.png"))


@register_callback("progression", config=NoOptions)
def progression(context: EpochContext) -> EpochCallback:
    return Plot(context, lambda c: save_progression(c.run))


@register_callback("histograms", config=NoOptions)
def weight_histograms(context: EpochContext) -> EpochCallback | None:
    if not context.config.log.histograms:
        return None
    return Plot(context, lambda c: plot_weight_histograms(
        dict(c.networks), c.run.histograms / f"epoch_{c.epoch:03d}.png",
        title=f"epoch {c.epoch}"))


class TensorBoardEpoch(EpochCallback):
    def on_epoch_end(self, context: EpochContext) -> None:
        sink = context.sink(TensorBoardSink)
        if sink is None:
            return
        writer, epoch = sink.writer, context.epoch
        writer.add_images("samples", context.samples().add(1).div(2).clamp(0, 1), epoch)
        for network_name, module in context.networks.items():
            for name, param in module.named_parameters():
                writer.add_histogram(f"{network_name}/{name}", param.detach().cpu(), epoch)
                if param.grad is not None:  # the gradients of the epoch's last step
                    writer.add_histogram(f"{network_name}/grad/{name}",
                                         param.grad.detach().cpu(), epoch)
        writer.flush()


@register_callback("tensorboard", config=NoOptions)
def tensorboard(context: EpochContext) -> EpochCallback | None:
    return TensorBoardEpoch() if context.config.log.tensorboard else None


class WandbEpoch(EpochCallback):
    """The sample grid as one image, and every layer's weight and gradient histograms."""

    def on_epoch_end(self, context: EpochContext) -> None:
        sink = context.sink(WandbSink)
        if sink is None:
            return
        histograms = {f"{network_name}/{of}/{name}": (counts, edges)
                      for network_name, module in context.networks.items()
                      for of in ("weights", "gradients")
                      for name, counts, edges in layer_histograms(module, of)}
        sink.log_epoch(context.counters.step, context.samples(), histograms)


@register_callback("wandb", config=NoOptions)
def wandb_epoch(context: EpochContext) -> EpochCallback | None:
    return WandbEpoch() if context.config.log.wandb else None
