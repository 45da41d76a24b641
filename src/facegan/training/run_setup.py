"""Starting a run's directory: a new run never overwrites one, a resumed run keeps its
architecture, and a run stopped before its first checkpoint starts again from step 0."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable

from facegan.config import Config, config_from_dict, read_yaml
from facegan.errors import FaceganError
from facegan.runs import RunDir, atomic_write_text
from facegan.training.checkpoint import list_checkpoints

log = logging.getLogger(__name__)


def check_run_dir(run: RunDir, config: Config, resume: bool) -> bool:
    """Whether the run resumes. A run stopped before its first checkpoint (killed during its
    first epoch) starts again from step 0, its files moved aside."""
    if not resume:
        run.check_new()
        return False
    if list_checkpoints(run.saved_models):
        check_resumable(run, config)
        return True
    if not run.config_file.is_file():
        raise FaceganError(f"nothing to resume in {run.path}: no checkpoint found; start the "
                           "run without --resume")
    aside = run.path.with_name(f"{run.path.name}.before-restart-{time.strftime('%Y%m%d-%H%M%S')}")
    run.path.rename(aside)
    log.warning("%s has no checkpoint (it stopped before its first one): starting it again "
                "from step 0; its files are in %s", run.path, aside)
    return False


def check_resumable(run: RunDir, config: Config) -> None:
    saved = config_from_dict(read_yaml(run.config_file))
    for section in ("model", "objective"):
        if getattr(saved, section) != getattr(config, section):
            raise FaceganError(
                f"--resume: the {section} section differs from the run's config.yaml "
                f"({run.config_file}); the architecture comes from the checkpoint, so keep it "
                "as it was, or start a new run with --set run.name=<new name>")


def create_run(run: RunDir, config: Config, first_files: Callable[[], None]) -> None:
    """The run directory, its config and the files ``first_files`` writes. Where that fails (a
    full disk, no permission), the folders made for it are removed again, so that the same
    command can simply be run once more, rather than finding a run to --resume."""
    path = run.path
    made = [p for p in (*reversed(path.parents), path) if not p.exists()]
    try:
        run.create()
        atomic_write_text(run.config_file, config.to_yaml())
        first_files()
    except OSError:
        if made and made[-1] == path:  # the run directory is this process's alone
            shutil.rmtree(path, ignore_errors=True)
        for parent in reversed(made[:-1]):  # the parents only when nothing else is in them
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
