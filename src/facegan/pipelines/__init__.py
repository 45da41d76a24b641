"""Long trainings as epoch cycles: each cycle a fresh process that loads the newest checkpoint,
trains one epoch, saves and runs post-epoch stages; the pipeline file and run config are
re-read before every cycle, so stages and settings can change while a pipeline runs."""

from facegan.pipelines.orchestrator import PipelineResult, run_pipeline
from facegan.pipelines.spec import PipelineConfig, StageSpec, load_pipeline
from facegan.pipelines.stages import CycleContext, register_stage
from facegan.pipelines.status import format_status, read_status

__all__ = ["CycleContext", "PipelineConfig", "PipelineResult", "StageSpec", "format_status",
           "load_pipeline", "read_status", "register_stage", "run_pipeline"]
