"""Which transcripts a refresh must read, from where, and which are gone."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tray_app.adapters import roots_ledger
from tray_app.adapters.discovery import Roots, regular_stat, scan_transcripts
from tray_app.adapters.ledger import FileState


@dataclass(frozen=True, slots=True)
class Job:
    """One file to read: from `offset` (line number `lines`) up to its size at stat."""

    path: Path
    st: os.stat_result
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


def _listed(
    roots: Roots, known: Mapping[str, FileState], root_ids: Sequence[str], warnings: list[str]
) -> tuple[list[tuple[str, os.stat_result]], list[str]]:
    found = scan_transcripts(roots, warnings)
    present = {p for p, _ in found}
    # Another root's files are not gone: a run on other roots keeps their positions.
    gone = [p for p in known if p not in present and roots_ledger.root_of(p, root_ids) is not None]
    return found, gone


def _named(
    paths: Sequence[Path], warnings: list[str]
) -> tuple[list[tuple[str, os.stat_result]], list[str]]:
    found: list[tuple[str, os.stat_result]] = []
    gone: list[str] = []
    for path in paths:
        try:
            st = regular_stat(path, warnings)
        except FileNotFoundError:
            gone.append(str(path))
            continue
        if st is not None:
            found.append((str(path), st))
    found.sort(key=lambda kv: (kv[1].st_mtime_ns, kv[0]))
    return found, gone


def plan(
    roots: Roots,
    known: Mapping[str, FileState],
    root_ids: Sequence[str],
    paths: Sequence[Path] | None,
    validate: bool,
    warnings: list[str],
) -> Plan:
    """What to read of `paths` (default: every transcript of `roots`) given the positions."""
    found, gone = (
        _listed(roots, known, root_ids, warnings) if paths is None else _named(paths, warnings)
    )
    result = Plan(seen=len(found), gone=gone)
    for path, st in found:
        state = known.get(path)
        offset = lines = 0
        if state is not None and not validate:
            same_file = state.device == st.st_dev and state.inode == st.st_ino
            if same_file and st.st_size >= state.offset:
                if st.st_size in (state.offset, state.size):
                    # Nothing new: not even opened. Reads stop at the size seen at stat,
                    # so an incomplete last line is rescanned only once the file grows.
                    continue
                offset, lines = state.offset, state.lines
            else:
                result.resets += 1  # truncated or replaced: dedup makes a re-read safe
        result.jobs.append(Job(Path(path), st, offset, lines))
    return result
