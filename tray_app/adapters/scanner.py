"""The loader: discover → read new bytes → count once → ledger (docs/counting-rules.md)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tray_app.adapters import bulk_read, limit_notices, roots_ledger
from tray_app.adapters.counted import CountedSet
from tray_app.adapters.discovery import Roots, find_transcripts, regular_stat
from tray_app.adapters.ledger import FileState, Ledger
from tray_app.adapters.ledger_bounds import set_aside_out_of_bounds
from tray_app.adapters.transcript import MAX_PLACES, BadLine, FileRead, file_place, read_from
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry, ResetNotice

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ScanStats:
    """Counters of one refresh (tests and `doctor` read them)."""

    files_seen: int = 0
    files_read: int = 0
    files_reset: int = 0  # truncated or replaced: read again from the start
    bytes_read: int = 0
    candidates: int = 0
    new_responses: int = 0
    replaced: int = 0
    bad_lines: int = 0
    bad_places: list[BadLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_read(self, read: FileRead) -> None:
        """Fold one file's read into the totals."""
        self.files_read += 1
        self.bytes_read += read.bytes_read
        self.bad_lines += read.bad_count
        room = MAX_PLACES - len(self.bad_places)
        if room > 0:
            self.bad_places.extend(read.bad[:room])


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What changed in the counted set, and the counters."""

    changes: list[Change]
    resets: list[ResetNotice]
    stats: ScanStats


def _state(path: Path, st: os.stat_result, read: FileRead) -> FileState:
    return FileState(
        str(path), st.st_dev, st.st_ino, st.st_size, read.end_offset, read.lines, st.st_mtime_ns
    )


@dataclass(slots=True)
class _Pending:
    """Changes not yet written to the ledger."""

    entries: dict[str, Entry] = field(default_factory=dict)
    files: dict[str, FileState] = field(default_factory=dict)
    resets: list[ResetNotice] = field(default_factory=list)
    limits: list[ResetNotice] = field(default_factory=list)  # other windows' limit messages
    projects: dict[str, str] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    seen: dict[str, set[str]] = field(default_factory=dict)  # root id → keys read from it


class _Apply:
    """Folds read items into the engine's state and collects what changed."""

    def __init__(self, engine: Engine, stats: ScanStats) -> None:
        self.engine = engine
        self.stats = stats
        self.changes: list[Change] = []
        self.new_resets: list[ResetNotice] = []
        self.states: list[FileState] = []
        self.new_projects: dict[str, str] = {}

    def items(self, items: Iterable[Entry | ResetNotice], path: Path | None = None) -> None:
        """Offer responses to the deduper (in first-seen order) and keep new resets.

        With `path`, the responses' keys are remembered under that file's root.
        """
        engine, stats = self.engine, self.stats
        items = list(items)
        # Only the keys offered now are looked up in the ledger: O(new lines), not history.
        engine.counted.prefetch(i.key for i in items if isinstance(i, Entry))
        offer = engine.counted.offer
        outside = engine.outside
        seen = self._seen(path) if path is not None else set()
        for item in items:
            if isinstance(item, ResetNotice):
                if item.window != "five_hour":  # only the 5-hour one ends a block
                    if item not in engine.limits:
                        engine.limits.add(item)
                        engine._pending.limits.append(item)
                    continue
                if item not in engine.resets:
                    engine.resets.add(item)
                    self.new_resets.append(item)
                continue
            stats.candidates += 1
            seen.add(item.key)
            change = offer(item)
            if outside and item.key in outside:
                # Counted before from another root only: new to this run's roots.
                outside.discard(item.key)
                counted = engine.counted.get(item.key)
                assert counted is not None
                change = Change(None, counted)
            if change is None:
                continue
            self.changes.append(change)
            if change.old is None:
                stats.new_responses += 1
                if item.session_id not in engine.projects and item.cwd:
                    engine.projects[item.session_id] = item.cwd
                    self.new_projects[item.session_id] = item.cwd
            else:
                stats.replaced += 1

    def _seen(self, path: Path) -> set[str]:
        """The keys read from `path`'s root in this scan (a throwaway set outside roots)."""
        root = roots_ledger.root_of(str(path), self.engine.root_ids)
        return set() if root is None else self.engine._pending.seen.setdefault(root, set())

    def keys_from(self, path: Path, keys: Iterable[str]) -> None:
        """Remember that copies of these responses were read from `path`'s root."""
        self._seen(path).update(keys)

    def file_done(self, path: Path, st: os.stat_result, read: FileRead) -> None:
        """Record how far a file was read."""
        self.stats.add_read(read)
        state = _state(path, st, read)
        self.engine.files[state.path] = state
        self.states.append(state)

    def unreadable(self, path: Path, reason: str) -> None:
        """Vanished or unreadable: keep its history and position, try again later."""
        self.stats.warnings.append(f"cannot read {path}: {reason}")
        log.warning("cannot read %s: %s", path, reason)


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
        self.files: dict[str, FileState] = {}
        self.projects: dict[str, str] = {}  # session id → cwd of its first-seen line
        self._pending = _Pending()
        self._outside: set[str] | None = None
        if ledger is not None:
            # Older ledgers: learn each response's root by reading everything once.
            roots_ledger.ensure_attributed(ledger)
            # An older release may have stored impossible values: set them aside once.
            set_aside_out_of_bounds(ledger)
            # Responses are never loaded to count: only reports that list them read them.
            self.resets = set(ledger.load_resets())
            self.limits = limit_notices.load(ledger)
            self.files = ledger.file_states()
            self.projects = {m.session_id: m.project_path for m in ledger.sessions().values()}

    def place(self, path: Path) -> str:
        """The file's id for keying lines without ids: its path below its root."""
        root = next((r for r in self.roots.dirs if path.is_relative_to(r)), None)
        return file_place(path, root)

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
            if self._pending.entries:
                merged = {e.key: e for e in every}
                merged.update(self._pending.entries)
                every = merged.values()
        outside = self.outside
        if not outside:
            return iter(every)
        return (e for e in every if e.key not in outside)

    def refresh(
        self, paths: Sequence[Path] | None = None, validate: bool = False, persist: bool = True
    ) -> ScanResult:
        """Read what is new in `paths` (default: every transcript), oldest-modified first.

        With `persist=False` the changes wait for `flush()` (the live service batches them).
        """
        stats = ScanStats(warnings=list(self.roots.warnings))
        if paths is None:
            found = find_transcripts(self.roots, stats.warnings)
            present = {str(p) for p, _ in found}
            # Another root's files are not gone: a run on other roots keeps their positions.
            mine = self.root_ids
            gone = [
                p for p in self.files
                if p not in present and roots_ledger.root_of(p, mine) is not None
            ]  # fmt: skip
        else:
            found = []
            gone = []
            for path in paths:
                try:
                    st = regular_stat(path, stats.warnings)
                except FileNotFoundError:
                    gone.append(str(path))
                    continue
                if st is not None:
                    found.append((path, st))
            found.sort(key=lambda kv: (kv[1].st_mtime_ns, str(kv[0])))
        stats.files_seen = len(found)
        jobs: list[tuple[Path, os.stat_result, int, int]] = []
        for path, st in found:
            known = self.files.get(str(path))
            offset = lines = 0
            if known is not None and not validate:
                same_file = known.device == st.st_dev and known.inode == st.st_ino
                if same_file and st.st_size >= known.offset:
                    if st.st_size in (known.offset, known.size):
                        # Nothing new: not even opened. Reads stop at the size seen at stat,
                        # so an incomplete last line is rescanned only once the file grows.
                        continue
                    offset, lines = known.offset, known.lines
                else:
                    stats.files_reset += 1  # truncated or replaced: dedup makes a re-read safe
            jobs.append((path, st, offset, lines))
        acc = _Apply(self, stats)
        to_read = sum(st.st_size - offset for _, st, offset, _ in jobs)
        if not validate and to_read >= bulk_read.PARALLEL_MIN_BYTES and bulk_read.workers() > 1:
            by_path = {str(p): (p, st) for p, st, _, _ in jobs}
            results = bulk_read.read_parallel(
                [(str(p), off, ln, st.st_size, self.place(p)) for p, st, off, ln in jobs],
                [st.st_size - off for _, st, off, _ in jobs],
            )
            for part in results:
                for path_str, read in part.reads:
                    if isinstance(read, str):
                        acc.unreadable(by_path[path_str][0], read)
                    else:
                        acc.file_done(*by_path[path_str], read)
                acc.items(part.resets)
                acc.items(part.winners)
                for path_str, keys in part.keys.items():
                    acc.keys_from(by_path[path_str][0], keys)
        else:
            for path, st, offset, lines in jobs:
                try:
                    read = read_from(path, offset, lines, validate, st.st_size, self.place(path))
                except OSError as exc:
                    acc.unreadable(path, str(exc.strerror))
                    continue
                acc.items(read.items, path)
                acc.file_done(path, st, read)
        changes, new_resets, states, new_projects = (
            acc.changes,
            acc.new_resets,
            acc.states,
            acc.new_projects,
        )
        for path_str in gone:
            self.files.pop(path_str, None)
        pending = self._pending
        for change in changes:
            pending.entries[change.new.key] = change.new
        for state in states:
            pending.files[state.path] = state
        pending.resets.extend(new_resets)
        pending.projects.update(new_projects)
        pending.gone.update(gone)
        for state in states:
            pending.gone.discard(state.path)
        if persist:
            self.flush()
        return ScanResult(changes, new_resets, stats)

    @property
    def unflushed(self) -> int:
        """Responses and read positions waiting to be written."""
        p = self._pending
        return (
            len(p.entries) + len(p.files) + len(p.resets) + len(p.gone) + len(p.seen)
            + len(p.limits)
        )  # fmt: skip

    def flush(self) -> None:
        """Write pending changes in one transaction: responses with their read positions.

        Positions and responses commit together, so after a crash the bytes behind the
        last commit are read again, and the dedup rule keeps that from counting twice.
        """
        p = self._pending
        if self.ledger is not None and self.unflushed:
            # Roots first: a crash in between leaves a root row for a response re-read
            # later, never a counted response of unknown root.
            roots_ledger.record(self.ledger, p.seen)
            limit_notices.store(self.ledger, p.limits)  # before positions: a re-read keeps one
            self.ledger.write(
                p.entries.values(), p.files.values(), p.resets, p.projects, sorted(p.gone)
            )
        self.counted.written()
        self._pending = _Pending()
