"""The loader: discover → read new bytes → count once → ledger (docs/counting-rules.md)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.adapters import early_listing, limit_notices, roots_ledger, scan_mark, wal_checkpoint
from tray_app.adapters.counted import CountedSet, has_responses
from tray_app.adapters.discovery import FileStat, Roots, scan_transcripts
from tray_app.adapters.ledger import FileRow, Ledger
from tray_app.adapters.ledger_bounds import set_aside_out_of_bounds
from tray_app.adapters.ledger_errors import translated
from tray_app.adapters.listing import Run, dir_key, disk_mark
from tray_app.adapters.scan_apply import Apply
from tray_app.adapters.scan_plan import Job, plan
from tray_app.adapters.scan_results import Pending, ScanResult, ScanStats
from tray_app.usage.model import Entry, ResetNotice

if TYPE_CHECKING:
    # The reading modules (transcript, parse, bulk_read: 4-7 ms) are imported only when a
    # file has new bytes: a report on an up-to-date ledger never needs them.
    from tray_app.adapters.block_seed import Seed
    from tray_app.adapters.bulk_read import RangeResult

# Called with every counted response and reset just before a first scan's one write; what
# it returns stores derived data in that write's transaction (adapters/block_seed.py).
FirstWrite = Callable[[Mapping[str, Entry], Set[ResetNotice]], "Seed | None"]

__all__ = ["Engine", "ScanResult", "ScanStats"]
log = logging.getLogger(__name__)
# A bulk read writes once this many responses wait (about 50 MB): rarely more than once,
# because responses' keys are random, so each write touches pages all over the table.
FLUSH_ENTRIES = 100_000
OVERSHOOT = 1.25  # how far past FLUSH_ENTRIES the last write of a bulk read may grow
# ... and a first scan's only write: then the blocks are built beside it (block_seed), not
# read back from the ledger after it (~0.35 s on 1 GB, for ~4 MB more at the peak).
SEEDED_OVERSHOOT = 1.5
# What reading imports, leaves first: one import cannot be cut short, so a listing that
# arrives mid-import waits for it; `transcript` alone pulls in ~11 ms (orjson, msgspec),
# which made a start with 10,000 files and nothing new wait up to 14 ms more.
READING = (
    "uuid", "decimal", "orjson", "typing_extensions", "msgspec",
    "tray_app.adapters.usual_line", "tray_app.adapters.transcript", "tray_app.adapters.bulk_read",
)  # fmt: skip


@functools.lru_cache(maxsize=4)  # the tray replaces its engine's roots when they change
def _prefixes(dirs: tuple[Path, ...]) -> list[tuple[Path, str]]:
    """Each root with the text every path inside it starts with."""
    return [(r, os.path.join(str(r), "")) for r in dirs]


def _fits(waiting: int, read: int, rest: int, overshoot: float = OVERSHOOT) -> bool:
    """Whether the rest of a bulk read is expected to fit in one write with what waits.

    Each write after the first touches pages all over the table (keys are random), so a
    small last write costs nearly as much as a full one: up to a quarter more responses
    wait instead (expected from the bytes left at the rate of those read since the last
    write).
    """
    return read > 0 and waiting + waiting * rest / read <= FLUSH_ENTRIES * overshoot


def _in(found: Mapping[str, FileStat], runs: Iterable[Run]) -> dict[str, FileStat]:
    """The files of a listing's `runs`."""
    items = list(found.items())
    return dict(item for _, first, end in runs for item in items[first:end])


class Engine:
    """Owns the counted set; one refresh reads only what is new since the last one."""

    def __init__(self, roots: Roots, ledger: Ledger | None = None) -> None:
        self.roots = roots
        self.ledger = ledger
        # New copies are merged with the ledger's copy of their key only (adapters/counted.py).
        self.counted = CountedSet(ledger)
        self.resets: set[ResetNotice] = set()
        # Limit messages of other windows (weekly, Opus, ...): they mark a window full.
        self.limits: set[ResetNotice] = set()
        # Read positions by path, loaded when a refresh first compares them (`files`).
        self._files: dict[str, FileRow] | None = None if ledger is not None else {}
        self.projects: dict[str, str] = {}  # session id → cwd of its first-seen line
        self.pending = Pending()
        self.first_write: FirstWrite | None = None
        self._mark: scan_mark.Mark | None = None  # during a refresh that may keep one
        self._outside: set[str] | None = None
        if ledger is not None:
            # Older ledgers: learn each response's root by reading everything once.
            roots_ledger.ensure_attributed(ledger)
            # An older release may have stored impossible values: set them aside once.
            set_aside_out_of_bounds(ledger)
            # Responses are never loaded to count: only reports that list them read them.
            self.resets = set(ledger.load_resets())
            self.limits = limit_notices.load(ledger)
            self.projects = ledger.projects()

    def notices_from_ledger(self) -> None:
        """Take the reset and limit notices another process counted first: their lines are
        no change for this engine (the positions it reads from say they were read), so it
        would never learn them itself."""
        if self.ledger is not None:
            with translated(self.ledger.path):
                self.resets.update(self.ledger.load_resets())
            self.limits.update(limit_notices.load(self.ledger))

    @property
    def files(self) -> dict[str, FileRow]:
        """Read positions by path (loaded from the ledger on first use)."""
        if self._files is None:
            self._files = self.ledger.file_states() if self.ledger is not None else {}
        return self._files

    def place(self, path: Path) -> str:
        """The file's id for keying lines without ids: its path below its root."""
        from tray_app.adapters.transcript import place_id

        # `transcript.file_place(path, root)` by text: a prefix test and a slice give what
        # Path.is_relative_to/relative_to give (both normalised), without ~30 us a file
        # spent before a first scan's readers start.
        text = str(path)
        for _root, prefix in _prefixes(self.roots.dirs):
            if text.startswith(prefix):
                return place_id(text[len(prefix) :])
        return place_id(text)

    @property
    def root_ids(self) -> list[str]:
        """This engine's roots as the ledger names them."""
        return [roots_ledger.root_id(d) for d in self.roots.dirs]

    @property
    def outside(self) -> set[str]:
        """Counted responses read only from roots other than this engine's (not reported)."""
        if self._outside is None:
            ledger = self.ledger
            self._outside = set() if ledger is None else roots_ledger.outside_keys(
                ledger, self.root_ids
            )  # fmt: skip
        return self._outside

    @property
    def loaded(self) -> bool:
        """Whether the counted set lives in memory (no ledger): else `entries` reads SQLite."""
        return self.ledger is None

    @property
    def entries(self) -> Iterable[Entry]:
        """The counted responses of this engine's roots (and those of unknown root).

        With a ledger this reads every stored response (plus unwritten changes) on each
        call: for reports that list responses; counting never needs it.
        """
        every: Iterable[Entry]
        if self.ledger is None:
            every = self.counted
        else:
            every = self.ledger.load_entries()
            if self.pending.entries:
                merged = {e.key: e for e in every}
                merged.update(self.pending.entries)
                every = merged.values()
        outside = self.outside
        if not outside:
            return iter(every)
        return (e for e in every if e.key not in outside)

    def refresh(
        self, paths: Sequence[Path] | None = None, validate: bool = False, persist: bool = True
    ) -> ScanResult:
        """Read what is new in `paths` (default: every transcript), oldest-modified first.

        With `persist=False` the changes wait for `flush()` (the live service batches them);
        with `persist` a bulk read (many new bytes) writes as it goes and returns no
        `changes`, only the counters.
        """
        stats = ScanStats(warnings=list(self.roots.warnings))
        found: Mapping[str, FileStat] | None = None
        mark = None
        count = 0
        listed_clean = True  # no warning while the files were taken from an early listing
        ledger = self.ledger
        # Not for the tray's engine: it reads from its own positions, which may lag these.
        fresh = self._files is None and paths is None and not validate
        if fresh and ledger is not None and not ledger.readonly:
            # The listing a forked child made while this command started, if it is ours:
            # its fingerprint is all a start with nothing new needs (adapters/early_listing).
            early_listing.warm(READING)  # (needed once anything is new)
            early = early_listing.take(self.roots, stats.warnings)
            try:
                if early is None:
                    runs: list[Run] = []
                    listed = scan_transcripts(self.roots, stats.warnings, runs)
                    disk, count = disk_mark(listed, runs), len(listed)
                else:
                    disk, count, runs = early.mark, early.count, early.runs()
                if len(stats.warnings) == len(self.roots.warnings):  # listed without a problem
                    folders = [prefix for prefix, _, _ in runs]
                    mark = scan_mark.check(ledger, self.root_ids, disk, folders)
                    if mark is None:
                        stats.files_seen = count
                        return ScanResult([], [], stats)  # positions cover it all: nothing new
                    mark = mark if persist else None  # (kept by a run that writes as it reads)
                said = len(stats.warnings)
                if mark is not None and mark.changed is not None:
                    # Only the folders whose sums changed: their files and their positions.
                    # (Persisted as it goes, so the positions are all loaded again next time.)
                    runs = [r for r in runs if dir_key(r[0]) in mark.changed]
                    found = _in(listed, runs) if early is None else early.found(runs)
                    self._files = ledger.file_states_in(prefix for prefix, _, _ in runs)
                else:
                    found = listed if early is None else early.found()
                # (A folder the command listed itself and could not: its files are missing
                # here, but the child's fingerprint counts them.)
                listed_clean = len(stats.warnings) == said
            finally:
                if early is not None:
                    early.close()  # (the child, if its second part was not needed)
        self._mark = mark  # this refresh's writes keep its write counts up to date
        try:
            known = self.files
            todo = plan(self.roots, known, self.root_ids, paths, validate, stats.warnings, found)
            stats.files_seen, stats.files_compared = max(todo.seen, count), todo.seen
            stats.files_reset = todo.resets
            for path_str in todo.gone:
                self.files.pop(path_str, None)
            self.pending.gone.update(todo.gone)
            acc = Apply(self, stats)
            warned = len(stats.warnings)  # an unreadable file adds one: then no mark is kept
            to_read = sum(job.size for job in todo.jobs)
            if todo.jobs:  # something to read: only now the reading modules
                from tray_app.adapters import bulk_read
                from tray_app.adapters.transcript import read_from
            if (
                todo.jobs
                and not validate
                and to_read >= bulk_read.PARALLEL_MIN_BYTES
                and bulk_read.workers() > 1
            ):
                # What a bulk read builds has no reference cycles: the collector would only
                # re-walk the growing pending responses (a third of the time spent writing).
                with bulk_read.no_cycle_collection():
                    self._read_bulk(todo.jobs, acc, persist)
                    if persist:
                        self.flush(self._seed())
            else:
                for job in todo.jobs:
                    path = job.path
                    try:
                        read = read_from(
                            path, job.offset, job.lines, validate, job.st.st_size, self.place(path)
                        )
                    except OSError as exc:
                        acc.unreadable(path, str(exc.strerror))
                        continue
                    acc.items(read.items, path)
                    acc.file_done(path, job.st, read)
            if persist:
                self.flush()
        finally:
            self._mark = None
            if mark is not None and mark.changed is not None:
                self._files = None  # only some were loaded
        if (
            mark is not None
            and ledger is not None
            and len(stats.warnings) == warned
            and listed_clean
        ):
            # Everything listed was read (or had nothing new): the next start may skip.
            scan_mark.remember(ledger, self.root_ids, mark)
        return ScanResult(acc.changes, acc.new_resets, stats)

    def _read_bulk(self, jobs: list[Job], acc: Apply, persist: bool) -> None:
        """Read on several processes; each range is folded in (and written) as it arrives,
        in file order, while the readers go on with the next ranges."""
        from tray_app.adapters import bulk_read

        by_path = {str(job.path): job for job in jobs}
        results = bulk_read.read_parallel(
            [(str(j.path), j.offset, j.lines, j.st.st_size, self.place(j.path)) for j in jobs],
            [job.size for job in jobs],
        )
        # Closed at once on a failure (a full disk): the readers stop, not at garbage time.
        with contextlib.closing(results), self.counted.one_scan():
            self._fold(results, by_path, acc, persist)

    def _fold(
        self, results: Iterable[RangeResult], by_path: dict[str, Job], acc: Apply, persist: bool
    ) -> None:
        total = sum(job.size for job in by_path.values())
        done = written = 0  # bytes folded in, and up to the last write
        for part in results:
            acc.items(part.resets)
            if persist:
                acc.written_as_read(part.winners)
            else:
                acc.items(part.winners)
            for path_str, keys in part.keys.items():
                acc.keys_from(by_path[path_str].path, keys)
            done += part.size
            for path_str, read in part.reads:  # positions after the responses they cover
                job = by_path[path_str]
                if isinstance(read, str):
                    acc.unreadable(job.path, read)
                else:
                    acc.file_done(job.path, job.st, read)
            if persist:
                # Written as it goes: the caller is told the counters, not every change
                # (holding them would hold every response of the history).
                acc.changes.clear()
                waiting = len(self.pending.entries)
                seeded = self.first_write is not None and self.counted.fresh
                overshoot = SEEDED_OVERSHOOT if seeded else OVERSHOOT
                if waiting >= FLUSH_ENTRIES and not _fits(
                    waiting, done - written, total - done, overshoot
                ):
                    # Responses commit with their files' positions: a crash re-reads the rest.
                    self.flush()
                    written = done

    @property
    def unflushed(self) -> int:
        """Responses and read positions waiting to be written."""
        return self.pending.count()

    def _seed(self) -> Seed | None:
        """`first_write` started, when everything counted waits in one write (a first scan)."""
        if self.first_write is None or not self.counted.fresh or not self.pending.entries:
            return None
        return self.first_write(self.pending.entries, self.resets)

    def flush(self, seed: Seed | None = None) -> None:
        """Write pending changes in one transaction: responses with their read positions.

        Positions and responses commit together, so after a crash the bytes behind the
        last commit are read again, and the dedup rule keeps that from counting twice.
        """
        mark = self._mark  # a refresh's disk fingerprint follows its own writes
        p = self.pending
        ledger = self.ledger
        try:
            if ledger is not None and p.count():
                limit_notices.store(ledger, p.limits)  # before positions: a re-read keeps one
                # A first scan's one write: its checkpoint beside the report, not in it.
                later = (
                    wal_checkpoint.after_commit(ledger)
                    if seed is not None
                    else contextlib.nullcontext()
                )
                # Roots and responses in one transaction: whether the roots' rows may stay
                # implicit (roots_ledger) is decided on what the ledger holds at that moment.
                with later, ledger.writing():
                    if mark is not None:
                        mark.before_write(ledger)
                    was_empty = seed is not None and not has_responses(ledger)
                    roots_ledger.record(ledger, p.seen, p.entries.keys(), not p.unrooted)
                    ledger.write(p.entries, p.files.values(), p.resets, p.projects, sorted(p.gone))
                    if seed is not None:
                        seed.store(ledger, was_empty)
                    if mark is not None:
                        mark.after_write(ledger)
        finally:
            if seed is not None:
                seed.close()
        self.counted.written()
        self.pending = Pending()
