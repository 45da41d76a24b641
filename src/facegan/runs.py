"""Run directories: where a run's files live, refusing to overwrite, atomic writes.

Layout of ``<root>/<Dataset>/<Model>/``::

    config.yaml             the resolved config the run was started with
    architecture.txt        every layer of both models: output shapes, parameter counts
    metrics.jsonl           one line per logged step
    tensorboard/            TensorBoard event files
    visualizations/         losses.png, samples/epoch_NNN.png, histograms/epoch_NNN.png,
                            progression.png/.gif (and what ``facegan report`` draws)
    report.html             written by ``facegan report``
    saved_models/           checkpoint_<step>/ directories, generator/ (the latest saved
                            model: what ``facegan generate RUN`` loads) and best/ (the best
                            one by ``eval.best_metric``)
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from facegan.config import Config
from facegan.errors import FaceganError

SAVED_MODELS = "saved_models"
SAVED_MODEL = "generator"  # saved_models/generator/: the latest saved model


@dataclass(frozen=True)
class RunDir:
    path: Path

    @classmethod
    def for_config(cls, config: Config) -> RunDir:
        return cls(Path(config.run.root) / config.data.display_name / config.run.name)

    @property
    def config_file(self) -> Path:
        return self.path / "config.yaml"

    @property
    def architecture_file(self) -> Path:
        return self.path / "architecture.txt"

    @property
    def metrics_file(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def visualizations(self) -> Path:
        return self.path / "visualizations"

    @property
    def samples(self) -> Path:
        return self.visualizations / "samples"

    @property
    def histograms(self) -> Path:
        return self.visualizations / "histograms"

    @property
    def saved_models(self) -> Path:
        return self.path / SAVED_MODELS

    @property
    def saved_model(self) -> Path:
        """The latest saved model, written after every epoch."""
        return self.saved_models / SAVED_MODEL

    @property
    def best_model(self) -> Path:
        return self.saved_models / "best"

    @property
    def tensorboard(self) -> Path:
        return self.path / "tensorboard"

    def exists(self) -> bool:
        return self.path.is_dir() and any(self.path.iterdir())

    def check_new(self) -> None:
        """Refuse to start a new run where one exists: a run is never overwritten."""
        if self.exists():
            raise FaceganError(
                f"run directory {self.path} already exists; continue it with --resume, or "
                f"start a new run under another name with --set run.name=<new name>"
            )

    def create(self) -> None:
        self.check_new()
        for folder in (self.samples, self.histograms, self.saved_models):
            folder.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so writers that go by it work); on
    success it replaces ``path`` in one rename, on failure it is removed. A full disk or a
    crash leaves the old file whole, never a truncated one; an error names ``path``."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        _fsync(tmp)  # the bytes on disk before the name points at them (a power loss)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.errno and exc.filename in (None, str(tmp)):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc  # the file it was for
        raise


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(text)


@contextlib.contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces ``final`` in one rename.

    A crash while writing leaves only a hidden temporary directory, never a half-written
    ``final``. An existing ``final`` is moved aside first and deleted after the swap.
    """
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno and exc.filename is None:  # (a failed write)
            raise OSError(exc.errno, exc.strerror, str(final)) from exc
        raise
    for file in tmp.rglob("*"):
        if file.is_file():
            _fsync(file)
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    _fsync(final.parent)  # the rename itself
    shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    """Flush ``path`` (a file, or a folder's entries) to the disk; where the platform cannot
    open a folder for that, skip it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            raise
    finally:
        os.close(descriptor)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
