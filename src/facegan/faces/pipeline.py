"""The folder job behind `facegan data faces`: photos in, aligned face crops and a manifest out.

OUT_DIR/
  images/*.png             kept faces, size x size RGB
  rejected/duplicate/*.png faces removed as near-duplicates of a sharper kept face
  rejected/missing_source/ faces of photos no longer found in SRC
  manifest.csv             one row per kept face (see MANIFEST_COLUMNS)
  embeddings.npy           float32 (N, 128), row i <-> manifest row i (with --embed)
  duplicates.csv           removed face -> the kept face it duplicates (with --dedupe)
  summary.json             counts, rejections by reason (too_small: how many lie just below
                           --min-face), throughput
  options.json, progress.jsonl   resume state (see state.py)

Photos are processed in parallel and recorded as they finish; de-duplication and the final files
come from all records at the end, so an interrupted or extended job is resumed by re-running it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from facegan.errors import FaceganError
from facegan.faces import dedupe as dedupe_lib
from facegan.faces import worker
from facegan.faces.embed import EMBEDDING_DIM
from facegan.faces.images import IMAGE_SUFFIXES, find_images
from facegan.faces.job import (
    DUPLICATES_FILE,
    EMBEDDINGS_FILE,
    IMAGES_DIR,
    MANIFEST_FILE,
    REJECTED_DIR,
    SUMMARY_FILE,
    FaceJob,
)
from facegan.faces.state import (
    ProgressLog,
    check_options,
    decode_embedding,
    read_progress,
    write_bytes_atomic,
    write_npy_atomic,
)

MANIFEST_COLUMNS = [
    "image", "source", "face", "left", "top", "right", "bottom", "face_size",
    "score", "detector", "sharpness", "phash", "landmarks",
]  # fmt: skip
DUPLICATE = "duplicate"
# A too-small face at most this fraction below --min-face is "near the limit": likely a usable
# face that a slightly lower --min-face would keep, so the summary counts them apart.
NEAR_LIMIT = 0.25
MISSING_SOURCE = "missing_source"
_MOVED_REASONS = (DUPLICATE, MISSING_SOURCE)

logger = logging.getLogger(__name__)


def run_faces_job(job: FaceJob, show_progress: bool = True) -> dict[str, Any]:
    """Process every photo under job.src not yet done in job.out, then write the outputs.

    Returns the summary (also written to summary.json). With job.workers > 1 the workers are
    started by forkserver/spawn, which re-imports the calling script: a script calling this
    needs the usual `if __name__ == "__main__":` guard.
    """
    job.validate()
    job.check_dependencies()
    paths = find_images(job.src, exclude=job.out)
    if not paths:
        raise FaceganError(
            f"no images found in {job.src} (looked for {', '.join(sorted(IMAGE_SUFFIXES))}); "
            "point --src at a folder of photos"
        )
    sources = [path.relative_to(job.src).as_posix() for path in paths]
    _make_dirs(job.out)
    check_options(job.out, job.fingerprint())
    done = _done_with_outputs(job.out, read_progress(job.out))
    todo = [source for source in sources if source not in done]

    started = time.perf_counter()
    with ProgressLog(job.out) as log, tqdm(
        total=len(sources), initial=len(sources) - len(todo), unit="photo",
        desc="faces", disable=not show_progress,
    ) as bar:  # fmt: skip
        for record in _process(job, todo):
            if record["status"] == "unreadable":
                logger.warning("skipping unreadable %s: %s", record["source"], record["error"])
            log.append(record)
            done[record["source"]] = record
            bar.update()
    seconds = time.perf_counter() - started

    current = set(sources)
    records = [done[source] for source in sources]
    stale = [record for source, record in done.items() if source not in current]
    summary = _finalize(job, records, stale)
    this_run = [done[source] for source in todo]
    found_this_run = sum(len(record["faces"]) for record in this_run)
    summary["this_run"] = {
        "photos": len(todo),
        "faces_found": found_this_run,
        "seconds": round(seconds, 3),
        "photos_per_second": round(len(todo) / seconds, 3) if todo else None,
        "faces_per_second": round(found_this_run / seconds, 3) if todo else None,
    }
    write_bytes_atomic(job.out / SUMMARY_FILE, (json.dumps(summary, indent=2) + "\n").encode())
    return summary


def _process(job: FaceJob, todo: list[str]) -> Iterator[dict[str, Any]]:
    """Records of `todo` photos in completion order; in-process for one worker."""
    workers = min(job.workers, len(todo))
    if workers <= 1:
        for source in todo:
            yield worker.process_source(job, source)
        return
    # forkserver/spawn start clean workers: forking a parent that runs threads (tqdm, torch) can
    # deadlock, and each worker loads its own dlib models anyway.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with context.Pool(workers, initializer=worker.init_worker, initargs=(job,)) as pool:
        yield from pool.imap_unordered(worker.process_in_worker, todo, chunksize=1)


def _make_dirs(out: Path) -> None:
    (out / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    for reason in _MOVED_REASONS:
        (out / REJECTED_DIR / reason).mkdir(parents=True, exist_ok=True)


def _crop_folders(out: Path) -> list[Path]:
    return [out / IMAGES_DIR] + [out / REJECTED_DIR / reason for reason in _MOVED_REASONS]


def _index_crops(out: Path) -> dict[str, Path]:
    """{file name: folder} of every crop in images/ and rejected/*/ (one listing per folder)."""
    return {entry.name: folder for folder in _crop_folders(out) for entry in os.scandir(folder)}


def _done_with_outputs(out: Path, done: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Drop finished records whose crop files are gone, so those photos are processed again."""
    existing = _index_crops(out)
    complete = {}
    for source, record in done.items():
        if all(face["image"] in existing for face in record["faces"] if "image" in face):
            complete[source] = record
        else:
            logger.info("redoing %s: some of its face images are missing", source)
    return complete


def _place(out: Path, index: dict[str, Path], name: str, reason: str | None) -> None:
    """Move a crop into images/ (kept: reason None) or rejected/<reason>/."""
    target = out / IMAGES_DIR if reason is None else out / REJECTED_DIR / reason
    current = index.get(name)
    if current is not None and current != target:
        os.replace(current / name, target / name)


def _finalize(
    job: FaceJob, records: list[dict[str, Any]], stale: list[dict[str, Any]]
) -> dict[str, Any]:
    """De-duplicate all candidate faces, place their files and write manifest, embeddings."""
    candidates = [
        (record, face) for record in records for face in record["faces"] if "image" in face
    ]
    keep = np.ones(len(candidates), dtype=bool)
    duplicate_rows = []
    if job.dedupe is not None and candidates:
        if job.embed:
            features = np.stack([decode_embedding(face["embedding"]) for _, face in candidates])
            distance = dedupe_lib.embedding_distances
        else:
            features = dedupe_lib.hashes_to_array([face["phash"] for _, face in candidates])
            distance = dedupe_lib.hash_distances
        sharpness = np.array([face["sharpness"] for _, face in candidates])
        keep, duplicate_of, gap = dedupe_lib.greedy_dedupe(
            features, distance, job.dedupe, sharpness
        )
        for i in np.flatnonzero(~keep):
            duplicate_rows.append(
                [f"{REJECTED_DIR}/{DUPLICATE}/{candidates[i][1]['image']}",
                 f"{IMAGES_DIR}/{candidates[duplicate_of[i]][1]['image']}", f"{gap[i]:.4f}"]
            )  # fmt: skip

    index = _index_crops(job.out)
    for (_, face), kept in zip(candidates, keep, strict=True):
        _place(job.out, index, face["image"], None if kept else DUPLICATE)
    for record in stale:
        for face in record["faces"]:
            if "image" in face:
                _place(job.out, index, face["image"], MISSING_SOURCE)

    kept_faces = [pair for pair, kept in zip(candidates, keep, strict=True) if kept]
    _write_csv(
        job.out / MANIFEST_FILE, MANIFEST_COLUMNS, [_manifest_row(job, r, f) for r, f in kept_faces]
    )
    if job.dedupe is not None:
        _write_csv(job.out / DUPLICATES_FILE, ["image", "duplicate_of", "distance"], duplicate_rows)
    else:  # left by an earlier run with --dedupe; it would describe files now back in images/
        (job.out / DUPLICATES_FILE).unlink(missing_ok=True)
    if job.embed:
        embeddings = np.zeros((len(kept_faces), EMBEDDING_DIM), dtype=np.float32)
        for row, (_, face) in enumerate(kept_faces):
            embeddings[row] = decode_embedding(face["embedding"])
        write_npy_atomic(job.out / EMBEDDINGS_FILE, embeddings)
    return _summary(job, records, stale, kept=len(kept_faces), duplicates=int((~keep).sum()))


def _manifest_row(job: FaceJob, record: dict[str, Any], face: dict[str, Any]) -> list[Any]:
    detector = job.detector if job.detects else f"{job.crop}-crop"
    score = "" if face["score"] is None else face["score"]
    return [
        f"{IMAGES_DIR}/{face['image']}", record["source"], face["face"], *face["box"],
        face["size"], score, detector, face["sharpness"], face["phash"],
        " ".join(str(v) for v in face["landmarks"]),
    ]  # fmt: skip


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_bytes_atomic(path, buffer.getvalue().encode("utf-8"))


def _summary(
    job: FaceJob,
    records: list[dict[str, Any]],
    stale: list[dict[str, Any]],
    kept: int,
    duplicates: int,
) -> dict[str, Any]:
    statuses = Counter(record["status"] for record in records)
    reasons = Counter(face.get("rejected") for record in records for face in record["faces"])
    small_sizes = [
        face["size"] for record in records for face in record["faces"]
        if face.get("rejected") == "too_small"
    ]  # fmt: skip
    unreadable = [
        {"source": record["source"], "error": record["error"]}
        for record in records
        if record["status"] == "unreadable"
    ]
    return {
        "out": str(job.out),
        "photos": len(records),
        "unreadable": statuses["unreadable"],
        "without_face": statuses["no_face"],
        "faces_found": sum(len(record["faces"]) for record in records),
        "kept": kept,
        "rejected": {
            "too_small": reasons["too_small"],
            "extra_face": reasons["extra_face"],
            DUPLICATE: duplicates,
        },
        "too_small": too_small_summary(small_sizes, job.min_face),
        "missing_sources": len(stale),
        "options": {**job.fingerprint(), "dedupe": job.dedupe},
        "unreadable_files": unreadable,
    }


def too_small_summary(sizes: list[float], min_face: float) -> dict[str, Any]:
    """The faces rejected as too small (``sizes``, px across) against ``min_face``: how many,
    how many lie within NEAR_LIMIT below it (``near_from`` px and up), and the largest size."""
    near_from = min_face * (1 - NEAR_LIMIT)
    return {
        "count": len(sizes),
        "min_face": round(min_face, 2),
        "near_from": round(near_from, 2),
        "near_limit": sum(size >= near_from for size in sizes),
        "largest": max(sizes, default=None),
    }


def format_too_small(too_small: dict[str, Any]) -> str:
    """One line on the faces below --min-face, and whether lowering it would keep some, e.g.
    "5 faces too small (< 90.5 px), 3 of them within 25% of the limit (67.9-90.5 px): ..."."""
    count, near = too_small["count"], too_small["near_limit"]
    low, high = too_small["near_from"], too_small["min_face"]
    head = f"{count} face{'s' if count != 1 else ''} too small (< {high:.1f} px)"
    band = f"within {NEAR_LIMIT:.0%} of the limit ({low:.1f}-{high:.1f} px)"
    if not near:
        return f"{head}, {'not' if count == 1 else 'none'} {band}; --min-face sets the limit"
    which = "" if count == 1 else ("all " if near == count else f"{near} of them ")
    them = "it" if near == 1 else "them"
    return (
        f"{head}, {which}{band}: lower --min-face (e.g. --min-face {math.floor(low)}) "
        f"to keep {them}"
    )


def format_summary(summary: dict[str, Any]) -> str:
    """A few human-readable lines for the end of the command."""
    rejected = ", ".join(f"{reason} {count}" for reason, count in summary["rejected"].items())
    run = summary["this_run"]
    speed = (
        f"{run['photos']} photos in {run['seconds']:.1f} s "
        f"({run['photos_per_second']:.2f} photos/s, {run['faces_per_second']:.2f} faces/s)"
        if run["photos"]
        else "nothing new to process"
    )
    lines = [
        f"photos: {summary['photos']} ({summary['unreadable']} unreadable, "
        f"{summary['without_face']} without a face); this run: {speed}",
        f"faces: {summary['faces_found']} found, {summary['kept']} kept; rejected: {rejected}",
        *([format_too_small(summary["too_small"])] if summary["too_small"]["count"] else []),
        f"wrote {Path(summary['out']) / MANIFEST_FILE}",
    ]
    for item in summary["unreadable_files"][:10]:
        lines.append(f"unreadable: {item['source']} ({item['error']})")
    return "\n".join(lines)
