"""Read many transcripts on several cores for a first scan; results merge as if read in order."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tray_app.adapters.transcript import FileRead, read_from
from tray_app.usage.dedup import Deduper
from tray_app.usage.model import Entry, ResetNotice

PARALLEL_MIN_BYTES = 48 << 20  # below this, starting workers costs more than it saves

Job = tuple[str, int, int, int, str]  # path, offset, first line number, size at stat, place


@dataclass(frozen=True, slots=True)
class RangeResult:
    """One worker's contiguous range: per-file reads (no items) plus its local winners."""

    reads: list[tuple[str, FileRead | str]]  # path → read metadata, or an OSError message
    winners: list[Entry]  # first-seen order within the range
    resets: list[ResetNotice]


def read_range(jobs: Sequence[Job]) -> RangeResult:
    """Read a contiguous range of files (in order) and dedupe within it."""
    deduper = Deduper()
    reads: list[tuple[str, FileRead | str]] = []
    resets: list[ResetNotice] = []
    for path, offset, lines, size, place in jobs:
        try:
            read = read_from(Path(path), offset, lines, limit=size, place=place)
        except OSError as exc:
            reads.append((path, str(exc.strerror)))
            continue
        for item in read.items:
            if isinstance(item, ResetNotice):
                resets.append(item)
            else:
                deduper.offer(item)
        read.items = []
        reads.append((path, read))
    return RangeResult(reads, list(deduper), resets)


def split(jobs: Sequence[Job], sizes: Sequence[int], parts: int) -> list[list[Job]]:
    """Contiguous ranges of about equal bytes (order kept: SPEC §3 first-seen rule)."""
    total = sum(sizes) or 1
    ranges: list[list[Job]] = [[]]
    acc = 0
    for job, size in zip(jobs, sizes, strict=True):
        if acc >= total * len(ranges) / parts and len(ranges) < parts:
            ranges.append([])
        ranges[-1].append(job)
        acc += size
    return [r for r in ranges if r]


def workers() -> int:
    """How many processes a bulk read may use."""
    return max(1, min(os.cpu_count() or 1, 4))


def read_parallel(jobs: Sequence[Job], sizes: Sequence[int]) -> list[RangeResult]:
    """Read `jobs` on several processes; results in range order."""
    ranges = split(jobs, sizes, workers())
    # fork is fastest and safe while this process has one thread (the CLI); the tray app
    # has GUI threads, so there a fresh interpreter is started instead.
    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
    ctx = multiprocessing.get_context(method)
    with ProcessPoolExecutor(len(ranges), mp_context=ctx) as pool:
        return list(pool.map(read_range, ranges))
