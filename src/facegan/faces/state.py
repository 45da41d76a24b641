"""Resumable state of a faces job in its output folder, and atomic file writes.

OUT_DIR/options.json   the options that shape per-photo results; a re-run must match them
OUT_DIR/progress.jsonl one JSON record per finished source photo, appended as photos finish

A crash can only lose the photos in flight: their record is missing (they are processed again)
or the last line is cut short (it is ignored, and the photo processed again).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from facegan.errors import FaceganError

OPTIONS_FILE = "options.json"
PROGRESS_FILE = "progress.jsonl"

logger = logging.getLogger(__name__)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file and a rename (never a half-written file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_npy_atomic(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    write_bytes_atomic(path, buffer.getvalue())


def check_options(out_dir: Path, options: dict[str, Any]) -> None:
    """Record `options` in a new output folder, or check that they match the recorded ones.

    Results of earlier runs are reused as they are, so mixing e.g. two crop sizes or aligned
    and unaligned crops in one folder is refused.
    """
    path = out_dir / OPTIONS_FILE
    if path.exists():
        recorded = json.loads(path.read_text())
        changed = sorted(
            k for k in set(recorded) | set(options) if recorded.get(k) != options.get(k)
        )
        if changed:
            details = ", ".join(f"{k}: {recorded.get(k)!r} -> {options.get(k)!r}" for k in changed)
            raise FaceganError(
                f"{out_dir} was made with other options ({details}); "
                "re-run with the same options to resume, or choose a new --out"
            )
        return
    write_bytes_atomic(path, (json.dumps(options, indent=2, sort_keys=True) + "\n").encode())


def read_progress(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Finished sources: {source path relative to SRC: record}. A later record wins."""
    path = out_dir / PROGRESS_FILE
    done: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return done
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("ignoring damaged line %d of %s (its photo is redone)", number, path)
                continue
            done[record["source"]] = record
    return done


class ProgressLog:
    """Appends one record per finished source to progress.jsonl, flushed line by line."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / PROGRESS_FILE
        self._handle: Any = None

    def __enter__(self) -> ProgressLog:
        needs_newline = (
            self.path.exists()
            and self.path.stat().st_size > 0
            and not _ends_with_newline(self.path)
        )
        self._handle = open(self.path, "a", encoding="utf-8")
        if needs_newline:  # start fresh after a line cut short by a crash
            self._handle.write("\n")
        return self

    def append(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._handle.flush()

    def __exit__(self, *exc_info: object) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def encode_embedding(embedding: np.ndarray) -> str:
    """float32 (128,) -> base64 text, exact and ~3x shorter than a JSON list of floats."""
    return base64.b64encode(np.asarray(embedding, dtype="<f4").tobytes()).decode("ascii")


def decode_embedding(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)
