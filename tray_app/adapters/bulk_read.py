"""Read many transcripts on several cores for a first scan; results merge as if read in order.

The files are cut into contiguous ranges of about `RANGE_BYTES`, more ranges than readers,
and each range's result is handed over as soon as it and the ranges before it are done:
the caller folds in and writes one range while the readers go on with the next ones (a
few ranges ahead, not all), and holds a few ranges' results at a time, not the history.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.adapters.transcript import CHUNK, FileRead, Put, read_from
from tray_app.usage.dedup import Row, merge_row
from tray_app.usage.model import Entry, ResetNotice

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tray_app.adapters.file_pieces import Pieces

log = logging.getLogger(__name__)

PARALLEL_MIN_BYTES = 48 << 20  # below this, starting workers costs more than it saves
RANGE_BYTES = 24 << 20  # small enough to keep the last range's tail short, big per task
PIECE_BYTES = RANGE_BYTES // 2  # larger files are read in pieces (adapters/file_pieces.py)
AHEAD_PER_READER = 2  # ranges handed out per reader beyond the one being folded
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_CHECK_SECONDS = 1.0

_new_entry = tuple.__new__  # Entry(...) runs a Python-level __new__ with 17 arguments
SCRATCH_BYTES = CHUNK + (1 << 20)  # a reader's read buffer: a chunk after an unfinished line
_buffers = threading.local()  # one per thread: readers are processes, tests may be threads
Job = tuple[str, int, int, int, str]  # path, offset, first line number, read up to, place


@dataclass(frozen=True, slots=True)
class RangeResult:
    """One worker's contiguous range: per-file reads (no items) plus its local winners."""

    reads: list[tuple[str, FileRead | str]]  # path → read metadata, or an OSError message
    # Plain tuples: a NamedTuple pickles through a reduce call per response and unpickles
    # through Entry's Python-level __new__, ~4x slower on both ends of the pipe.
    rows: list[Row]  # the winners' fields, first-seen order within the range
    resets: list[ResetNotice]
    keys: dict[str, list[str]]  # path → keys of every copy in it (the roots of responses)
    size: int = 0  # the bytes the range's jobs cover (a cut file's pieces count as read)

    @property
    def winners(self) -> list[Entry]:
        """The range's winning copies (first-seen order), built anew on each access."""
        return [_new_entry(Entry, row) for row in self.rows]


def _watch_parent(parent: int) -> None:
    """Exit as soon as the parent is gone (re-parented: getppid changes)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Worker initializer: a reader never outlives the scan that started it.

    Without this, `kill -9` of a first scan left its readers blocked on a result pipe
    that their siblings kept open, forever.
    """
    if sys.platform.startswith("linux"):
        import ctypes  # here: only readers need it

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError) as exc:  # no libc symbol: the watchdog still runs
            log.debug("prctl unavailable: %s", exc)
    if os.getppid() != parent:
        os._exit(1)  # died before the death signal was armed
    # Portable fallback (macOS, Windows, or a parent thread that exits first).
    threading.Thread(target=_watch_parent, args=(parent,), name="tm-parent", daemon=True).start()


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused (for code that makes no reference cycles), then resumed."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def read_range(jobs: Sequence[Job]) -> RangeResult:
    """Read a contiguous range of files (in order) and dedupe within it."""
    # Nothing read here makes reference cycles: the cycle collector would only re-walk
    # the range's growing winners on every few hundred decoded lines (~10 % of the time).
    with no_cycle_collection():
        return _read_range(jobs)


def _read_range(jobs: Sequence[Job]) -> RangeResult:
    failed: dict[int, str] = {}  # jobs that failed after some of their lines were merged
    while (result := _merged(jobs, failed)) is None:
        pass  # read again without them: as if they had failed before their first line
    return result


def _merging(winners: dict[str, Row], here: dict[str, None], resets: list[ResetNotice]) -> Put:
    """The sink a range's reads put each response into: the Deduper's rule
    (usage/dedup.merge_row) on plain rows, as they are read."""
    # Merged as each line is read, not collected per file and looped over after: a third
    # less of the time outside decoding (a range offers ~3 copies per response, and only
    # its winners leave the process).
    get = winners.get

    def put(found: Row | Entry | ResetNotice) -> None:
        if type(found) is tuple:
            item = found
        elif isinstance(found, ResetNotice):
            resets.append(found)
            return
        else:
            item = found[:]  # an Entry of the full rules: its fields as a plain tuple
        key = item[0]
        here[key] = None
        old = get(key)
        if old is None:
            winners[key] = item
        elif (won := merge_row(old, item)) is not None:
            winners[key] = won

    return put


def _merged(jobs: Sequence[Job], failed: dict[int, str]) -> RangeResult | None:
    """The range read (`failed` jobs left out); None when a read failed half-way (it is
    added to `failed`): its first lines were merged already."""
    winners: dict[str, Row] = {}
    reads: list[tuple[str, FileRead | str]] = []
    resets: list[ResetNotice] = []
    keys: dict[str, list[str]] = {}
    here: dict[str, None] = {}  # the keys of the file being read
    put = _merging(winners, here, resets)
    scratch = _scratch()
    for index, (path, offset, lines, size, place) in enumerate(jobs):
        if index in failed:
            reads.append((path, failed[index]))
            continue
        noticed = len(resets)
        try:
            # Lines are not counted on (a bad line still gets its number): ~9 % faster.
            read = read_from(
                Path(path), offset, lines, limit=size, place=place, count=False,
                scratch=scratch, put=put,
            )  # fmt: skip
        except OSError as exc:
            if here or len(resets) > noticed:
                failed[index] = str(exc.strerror)
                return None
            reads.append((path, str(exc.strerror)))
            continue
        if path in keys:  # two pieces of one cut file in this range (file_pieces.py)
            keys[path].extend(here)
        else:
            keys[path] = list(here)
        here.clear()
        reads.append((path, read))
    size = sum(limit - offset for _, offset, _, limit, _ in jobs)
    return RangeResult(reads, list(winners.values()), resets, keys, size)


def _scratch() -> bytearray:
    """This thread's read buffer, kept from range to range (a reader reads ~40 of them).

    A new buffer per file, or per range, is new memory: the kernel maps in every 4 KiB of
    it on first touch (~0.15 CPU-s per GB read). One that a very long line grew is dropped.
    """
    scratch: bytearray | None = getattr(_buffers, "scratch", None)
    if scratch is None or len(scratch) > 2 * SCRATCH_BYTES:
        scratch = _buffers.scratch = bytearray(SCRATCH_BYTES)
    return scratch


def split(jobs: Sequence[Job], sizes: Sequence[int], parts: int) -> list[list[Job]]:
    """Contiguous ranges of about equal bytes (order kept: the counting rules first-seen rule)."""
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


def _joined(result: RangeResult, pieces: Pieces) -> RangeResult:
    """The range's result with the reads of a cut file's pieces joined (at its last piece)."""
    reads = pieces.join(result.reads)
    if reads is result.reads:
        return result
    return RangeResult(reads, result.rows, result.resets, result.keys, result.size)


def read_parallel(jobs: Sequence[Job], sizes: Sequence[int]) -> Generator[RangeResult, None, None]:
    """Read `jobs` on several processes; results in range order, each as soon as it is in."""
    # Imported here: every command imports this module, few start readers (~5-30 ms).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tray_app.adapters.file_pieces import Pieces

    count = workers()
    pieces = Pieces()
    jobs, sizes = pieces.cut(jobs, sizes, max(1, PIECE_BYTES))
    ranges = split(jobs, sizes, max(count, -(-sum(sizes) // RANGE_BYTES)))
    # fork is fastest and safe while this process has one thread (the CLI); the tray app
    # has GUI threads, so there a fresh interpreter is started instead.
    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
    ctx = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(
        min(count, len(ranges)), mp_context=ctx, initializer=die_with_parent,
        initargs=(os.getpid(),),
    )  # fmt: skip
    try:
        # A few ranges ahead of the one being folded, not all of them: ranges the readers
        # finish while the caller writes would otherwise wait in memory (a fast machine
        # reading 3 GB held ~20 MB more at its peak).
        ahead: deque[Future[RangeResult]] = deque()
        for part in ranges:
            ahead.append(pool.submit(read_range, part))
            if len(ahead) > AHEAD_PER_READER * count:
                yield _joined(ahead.popleft().result(), pieces)
        while ahead:
            yield _joined(ahead.popleft().result(), pieces)
    finally:
        # Also when the caller stops early (a full disk): ranges not started never run.
        pool.shutdown(wait=True, cancel_futures=True)
