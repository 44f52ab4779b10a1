"""Which transcripts a refresh must read, from where, and which are gone."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tray_app.adapters import roots_ledger
from tray_app.adapters.discovery import FileStat, Roots, regular_stat, scan_transcripts
from tray_app.adapters.ledger import FileRow


@dataclass(frozen=True, slots=True)
class Job:
    """One file to read: from `offset` (line number `lines`) up to its size at stat."""

    path: Path
    st: FileStat
    offset: int
    lines: int

    @property
    def size(self) -> int:
        """The bytes this job reads at most."""
        return self.st.st_size - self.offset


@dataclass(slots=True)
class Plan:
    """The files seen, the reads to do (oldest-modified first), the files gone."""

    seen: int = 0
    jobs: list[Job] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    resets: int = 0  # files truncated or replaced: read again from the start


def _gone(
    known: Mapping[str, FileRow], found: Mapping[str, FileStat], root_ids: Sequence[str]
) -> list[str]:
    # Another root's files are not gone: a run on other roots keeps their positions. A
    # file that exists after all was made after the listing (its position is someone
    # else's, newer than the listing): not gone.
    return [
        p
        for p in known
        if p not in found and roots_ledger.root_of(p, root_ids) is not None and not _exists(p)
    ]


def _exists(path: str) -> bool:
    try:
        os.stat(path)
    except OSError:
        return False
    return True


def _fresh(path: str, state: FileRow) -> FileStat | None:
    """The file's stat now, if it matches its stored position after all (None otherwise).

    A listing is a moment: another process (the tray, a second command) may have read and
    stored a newer position of the file since. Without this, the listed size below that
    position looked like a truncation and the whole file was read again.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    _, device, inode, _, offset, _, _ = state
    ok = st.st_ino == inode and st.st_dev == device and st.st_size >= offset
    return st if ok and stat.S_ISREG(st.st_mode) else None


def _named(
    paths: Sequence[Path], warnings: list[str]
) -> tuple[dict[str, os.stat_result], list[str]]:
    found: dict[str, os.stat_result] = {}
    gone: list[str] = []
    for path in paths:
        try:
            st = regular_stat(path, warnings)
        except FileNotFoundError:
            gone.append(str(path))
            continue
        if st is not None:
            found[str(path)] = st
    return found, gone


def plan(
    roots: Roots,
    known: Mapping[str, FileRow],
    root_ids: Sequence[str],
    paths: Sequence[Path] | None,
    validate: bool,
    warnings: list[str],
    listed: Mapping[str, FileStat] | None = None,
) -> Plan:
    """What to read of `paths` (default: every transcript of `roots`, or `listed` when the
    caller listed them already) given the positions."""
    gone: list[str] = []
    found: Mapping[str, FileStat]
    if paths is None:
        found = scan_transcripts(roots, warnings) if listed is None else listed
    else:
        found, gone = _named(paths, warnings)
    result = Plan(seen=len(found), gone=gone)
    todo: list[tuple[str, FileStat, int, int]] = []
    get = known.get
    known_found = 0
    # One pass, no calls per file: a start compares every transcript (10K) with its position.
    for path, st in found.items():
        state = get(path)
        if state is None:
            todo.append((path, st, 0, 0))
            continue
        known_found += 1
        if not validate:
            _, device, inode, size, offset, lines, _ = state  # FileState's order
            now = st.st_size
            if not (inode == st.st_ino and device == st.st_dev and now >= offset):
                again = _fresh(path, state)  # (rare: a truncation, or a stale listing)
                if again is not None:
                    st, now = again, again.st_size
            if inode == st.st_ino and device == st.st_dev and now >= offset:
                if now in (offset, size):
                    # Nothing new: not even opened. Reads stop at the size seen at stat,
                    # so an incomplete last line is rescanned only once the file grows.
                    continue
                todo.append((path, st, offset, lines))
                continue
            result.resets += 1  # truncated or replaced: dedup makes a re-read safe
        todo.append((path, st, 0, 0))
    if paths is None and known_found < len(known):  # only then can a known file be gone
        result.gone = _gone(known, found, root_ids)
    todo.sort(key=lambda t: (t[1].st_mtime_ns, t[0]))  # oldest-modified first
    result.jobs = [Job(Path(path), st, offset, lines) for path, st, offset, lines in todo]
    return result
