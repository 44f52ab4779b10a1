"""Fold what a refresh read into the engine: dedup against the ledger, queue the writes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.adapters import roots_ledger
from tray_app.adapters.scan_results import ScanStats, file_state
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry, ResetNotice

if TYPE_CHECKING:
    from tray_app.adapters.discovery import FileStat
    from tray_app.adapters.scanner import Engine
    from tray_app.adapters.transcript import FileRead

log = logging.getLogger(__name__)


class Apply:
    """Folds read items into the engine's state and pending writes; collects what changed.

    Everything goes into `engine.pending` as it is applied, so a long scan can be written
    in parts (each part's responses with its files' read positions).
    """

    def __init__(self, engine: Engine, stats: ScanStats) -> None:
        self.engine = engine
        self.stats = stats
        self.changes: list[Change] = []
        self.new_resets: list[ResetNotice] = []
        # The root of each folder read (all files of a folder share it): one look-up per
        # folder, not per file.
        self._roots: dict[str, str | None] = {}
        self._root_ids = engine.root_ids

    def items(self, items: Iterable[Entry | ResetNotice], path: Path | None = None) -> None:
        """Offer responses to the deduper (in first-seen order) and keep new resets.

        With `path`, the responses' keys are remembered under that file's root; without
        it, the caller must name their files with `keys_from` before the next write (a
        flush takes every key written as read from a root in `seen`: Pending.unrooted).
        """
        engine, stats = self.engine, self.stats
        pending = engine.pending
        items = list(items)
        # Only the keys offered now are looked up in the ledger: O(new lines), not history.
        engine.counted.prefetch(i.key for i in items if type(i) is Entry)
        offer = engine.counted.offer
        outside = engine.outside
        seen = self._seen(path) if path is not None else set()
        for item in items:
            if isinstance(item, ResetNotice):
                self._notice(item)
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
            pending.entries[item.key] = change.new
            if change.old is None:
                stats.new_responses += 1
                if item.session_id not in engine.projects and item.cwd:
                    engine.projects[item.session_id] = item.cwd
                    pending.projects[item.session_id] = item.cwd
            else:
                stats.replaced += 1

    def written_as_read(self, entries: list[Entry]) -> None:
        """A bulk range's winners, written as the scan goes: what `items` does, but the
        caller gets no `changes` (it keeps only the counters), so none are made.

        The roots of their copies come with `keys_from`.
        """
        engine, stats = self.engine, self.stats
        if engine.outside:  # counted before from other roots only: `items` knows how
            self.items(entries)
            return
        counted = engine.counted
        counted.prefetch(map(itemgetter(0), entries))  # their keys
        fresh, replaced = counted.offer_all(entries, engine.pending.entries)
        stats.candidates += len(entries)
        stats.new_responses += len(fresh)
        stats.replaced += replaced
        projects, waiting = engine.projects, engine.pending.projects
        for entry in fresh:  # the first-seen copy's working dir names a new session
            if entry.cwd and entry.session_id not in projects:
                projects[entry.session_id] = waiting[entry.session_id] = entry.cwd

    def _notice(self, item: ResetNotice) -> None:
        engine = self.engine
        if item.window != "five_hour":  # only the 5-hour one ends a block
            if item not in engine.limits:
                engine.limits.add(item)
                engine.pending.limits.append(item)
        elif item not in engine.resets:
            engine.resets.add(item)
            engine.pending.resets.append(item)
            self.new_resets.append(item)

    def _seen(self, path: Path) -> set[str]:
        """The keys read from `path`'s root in this scan (a throwaway set outside roots)."""
        text = str(path)
        folder = os.path.dirname(text)
        if folder in self._roots:
            root = self._roots[folder]
        else:
            root = self._roots[folder] = roots_ledger.root_of(text, self._root_ids)
        if root is None:
            self.engine.pending.unrooted = True
            return set()
        return self.engine.pending.seen.setdefault(root, set())

    def keys_from(self, path: Path, keys: Iterable[str]) -> None:
        """Remember that copies of these responses were read from `path`'s root."""
        self._seen(path).update(keys)

    def file_done(self, path: Path, st: FileStat, read: FileRead) -> None:
        """Record how far a file was read (after its items: a failure in between re-reads)."""
        self.stats.add_read(read)
        state = file_state(path, st, read)
        self.engine.files[state.path] = state
        self.engine.pending.files[state.path] = state
        self.engine.pending.gone.discard(state.path)

    def unreadable(self, path: Path, reason: str) -> None:
        """Vanished or unreadable: keep its history and position, try again later."""
        self.stats.warnings.append(f"cannot read {path}: {reason}")
        log.warning("cannot read %s: %s", path, reason)
