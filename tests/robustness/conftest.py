"""Shared pieces of the CLI fuzz corpus: one tiny trained run per session, a workspace per case
holding a copy of it, and the checks every case makes (exit status, one line on stderr, no
traceback, no file created or changed)."""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from PIL import Image

from facegan.cli import main
from facegan.config import config_from_dict, load_config
from facegan.metrics.classifier_training import train_classifier
from facegan.training.trainer import Trainer
from tests.conftest import MNIST_CONFIG, TINY

# root ignores permission bits: where a case needs an unwritable folder, it makes the writer
# raise PermissionError instead of relying on chmod
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# what the top-level handler adds to the one line of an unforeseen error
VERBOSE_HINT = "run again with --verbose for the traceback"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def invoke(capsys, *args) -> Result:
    """``facegan ARGS`` in this process; its exit status and what it printed."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def snapshot(root: Path) -> dict[str, tuple[int, int] | None]:
    """Every file under ``root``: relative path -> (size, mtime in ns); folders -> None (a
    folder's own mtime moves when a temporary file comes and goes, which changes nothing)."""
    found: dict[str, tuple[int, int] | None] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        found[str(path.relative_to(root))] = (None if path.is_dir() and not path.is_symlink()
                                              else (info.st_size, info.st_mtime_ns))
    return found


def changes(before: dict, after: dict) -> list[str]:
    """Files and folders created or removed, and files rewritten, between two snapshots."""
    return ([f"created {p}" for p in sorted(set(after) - set(before))]
            + [f"removed {p}" for p in sorted(set(before) - set(after))]
            + [f"changed {p}" for p in sorted(set(before) & set(after))
               if before[p] != after[p]])


@pytest.fixture(scope="session")
def corpus_config_text(mnist_dir) -> str:
    """The tiny MNIST recipe, resolved, with run.root left for each workspace to set."""
    overrides = [*TINY, f"data.root={mnist_dir}", "train.epochs=1", "log.tensorboard=false",
                 "log.histograms=false", "log.num_samples=4"]
    return load_config(MNIST_CONFIG, overrides).to_yaml()


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory, corpus_config_text) -> Path:
    """A finished one-epoch tiny MNIST WGAN-GP run, trained once per session; cases use
    copies of it."""
    root = tmp_path_factory.mktemp("corpus_models")
    raw = yaml.safe_load(corpus_config_text)
    raw["run"]["root"] = str(root)
    return Trainer(config_from_dict(raw), progress=False).fit().run_dir


@pytest.fixture(scope="session")
def corpus_classifier(tmp_path_factory, corpus_config_text) -> Path:
    """A width-4 classifier of the tiny run's digits, trained for one epoch: enough for
    ``evaluate`` to get as far as writing its results."""
    out = tmp_path_factory.mktemp("corpus_classifier")
    raw = yaml.safe_load(corpus_config_text)
    return train_classifier(config_from_dict(raw), out_dir=out, epochs=1, width=4,
                            feature_dim=4, progress=False).directory


class WriteFaults:
    """Makes writes below chosen folders fail as the operating system fails them: EACCES for a
    read-only folder (simulated, since root ignores permission bits), ENOSPC for a full disk (a
    file opens, and is created, but flushing what was written to it fails). Covers what Python
    writes through ``open`` (PIL, matplotlib, numpy, pathlib, and facegan's weights and
    checkpoints, which it serializes in memory first) and the folders and renames it makes;
    not what C or C++ code writes on its own."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.rules: list[tuple[str, int]] = []

    def add(self, folder: Path, code: int) -> None:
        if not self.rules:
            self._install()
        self.rules.append((os.path.abspath(folder), code))

    def fault(self, path) -> int | None:
        if not isinstance(path, (str, bytes, os.PathLike)):
            return None  # a file descriptor
        target = os.path.abspath(os.fsdecode(path))
        for folder, code in self.rules:
            if target == folder or target.startswith(folder + os.sep):
                return code
        return None

    def _install(self) -> None:
        real_open, real_os_open = builtins.open, os.open
        real_mkdir, real_replace, real_rename = os.mkdir, os.replace, os.rename

        def denied(path) -> OSError:
            return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))

        def fake_open(file, mode="r", *args, **kwargs):
            code = self.fault(file) if any(m in mode for m in "wax+") else None
            if code == errno.EACCES:
                raise denied(file)
            handle = real_open(file, mode, *args, **kwargs)
            return FullDiskFile(handle) if code == errno.ENOSPC else handle

        def fake_os_open(path, flags, *args, **kwargs):
            writes = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            if writes and self.fault(path) == errno.EACCES:
                raise denied(path)
            return real_os_open(path, flags, *args, **kwargs)

        def fake_mkdir(path, *args, **kwargs):
            if self.fault(os.path.dirname(os.path.abspath(path))) == errno.EACCES:
                raise denied(path)
            return real_mkdir(path, *args, **kwargs)

        def renamer(real):
            def rename(src, dst, *args, **kwargs):
                if errno.EACCES in (self.fault(src), self.fault(dst)):
                    raise denied(dst)
                return real(src, dst, *args, **kwargs)
            return rename

        for module, name, fake in ((builtins, "open", fake_open), (io, "open", fake_open),
                                   (os, "open", fake_os_open), (os, "mkdir", fake_mkdir),
                                   (os, "replace", renamer(real_replace)),
                                   (os, "rename", renamer(real_rename))):
            self.monkeypatch.setattr(module, name, fake)


class FullDiskFile:
    """A file opened for writing on a full disk: it is created, writes seem to go into the
    buffer, and flushing them fails as the kernel fails it (ENOSPC, with no file name), which
    for a small file is at close. Nothing reaches the real file."""

    def __init__(self, handle) -> None:
        self._handle, self._pending = handle, False

    def write(self, data) -> int:
        self._pending = self._pending or len(data) > 0
        return len(data)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            self._pending = False  # the buffer is dropped: a second flush does not fail
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._handle.close()

    def __getattr__(self, name: str):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class Workspace:
    """A case's folder (also the working directory): ``run`` (a copy of the tiny run),
    ``config`` (a valid tiny recipe whose runs go to ``models/``) and helpers writing the bad
    files users produce."""

    def __init__(self, path: Path, run: Path, config_text: str, faults: WriteFaults,
                 classifier: Path) -> None:
        self.path, self.faults, self.classifier = path, faults, classifier
        self.run = path / "run"
        shutil.copytree(run, self.run)
        raw = yaml.safe_load(config_text)
        raw["run"]["root"] = str(path / "models")
        self.config = path / "tiny.yaml"
        self.config.write_text(yaml.safe_dump(raw, sort_keys=False))

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data)
        else:
            path.write_bytes(data)
        return path

    def empty(self, name: str) -> Path:
        return self.write(name, b"")

    def binary(self, name: str) -> Path:
        return self.write(name, bytes(range(256)) * 4)

    def png(self, name: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (200, 30, 30)).save(path)
        return path

    def truncate(self, path: Path, keep: float = 0.5) -> Path:
        data = path.read_bytes()
        path.write_bytes(data[:int(len(data) * keep)])
        return path

    def folder(self, name: str) -> Path:
        path = self.path / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def under_a_file(self, name: str) -> Path:
        """A path below a regular file: no one, not even root, can create it."""
        return self.write("a_file.txt", "not a folder\n") / name

    def read_only(self, name: str) -> Path:
        """A new folder nothing can be written in (mode 0o500; simulated for root)."""
        return self.read_only_tree(self.folder(name))

    def read_only_tree(self, folder: Path) -> Path:
        """``folder`` and everything in it made read-only (simulated for root)."""
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o500 if path.is_dir() else 0o400)
        if IS_ROOT:
            self.faults.add(folder, errno.EACCES)
        return folder

    def full_disk(self, name: str | Path) -> Path:
        """A folder (new, or an existing one) on a disk with no space left (simulated)."""
        folder = self.folder(name) if isinstance(name, str) else name
        self.faults.add(folder, errno.ENOSPC)
        return folder

    def restore_permissions(self) -> None:
        for path in [self.path, *self.path.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o700 if path.is_dir() else 0o600)

    @property
    def generator(self) -> Path:
        return self.run / "saved_models" / "generator"

    def copy_run(self, name: str) -> Path:
        return Path(shutil.copytree(self.run, self.path / name))


@pytest.fixture
def workspace(tmp_path, monkeypatch, corpus_run, corpus_config_text, corpus_classifier
              ) -> Iterator[Workspace]:
    monkeypatch.chdir(tmp_path)  # default outputs (samples.png, models/, ...) land here
    space = Workspace(tmp_path, corpus_run, corpus_config_text, WriteFaults(monkeypatch),
                      corpus_classifier)
    yield space
    space.restore_permissions()
