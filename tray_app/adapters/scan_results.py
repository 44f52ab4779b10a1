"""What one engine refresh found (counters, changes) and what waits to be written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.adapters.ledger import FileState
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry, ResetNotice

if TYPE_CHECKING:  # the reading modules load only when a file has new bytes (scanner.py)
    from tray_app.adapters.discovery import FileStat
    from tray_app.adapters.transcript import BadLine, FileRead


@dataclass(slots=True)
class ScanStats:
    """Counters of one refresh (tests and `doctor` read them)."""

    files_seen: int = 0
    files_compared: int = 0  # with their read positions (a start with nothing new: none)
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
        from tray_app.adapters.transcript import MAX_PLACES

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


def file_state(path: Path, st: FileStat, read: FileRead) -> FileState:
    """The read position to store for a file read up to `read.end_offset`."""
    return FileState(
        str(path), st.st_dev, st.st_ino, st.st_size, read.end_offset, read.lines, st.st_mtime_ns
    )


@dataclass(slots=True)
class Pending:
    """Changes not yet written to the ledger."""

    entries: dict[str, Entry] = field(default_factory=dict)
    files: dict[str, FileState] = field(default_factory=dict)
    resets: list[ResetNotice] = field(default_factory=list)
    limits: list[ResetNotice] = field(default_factory=list)  # other windows' limit messages
    projects: dict[str, str] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    seen: dict[str, set[str]] = field(default_factory=dict)  # root id → keys read from it
    unrooted: bool = False  # a key was read from a file outside every root

    def count(self) -> int:
        """Responses, read positions and other rows waiting to be written."""
        return (
            len(self.entries) + len(self.files) + len(self.resets) + len(self.gone)
            + len(self.seen) + len(self.limits)
        )  # fmt: skip
