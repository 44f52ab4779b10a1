"""A fingerprint of the transcripts on disk, kept beside the read positions it matches.

Every start lists and `stat`s every transcript to see new bytes; comparing each with its
stored position then needs every position loaded (~15 ms for 10K files) and compared.
When nothing changed since a start that left the positions up to date, the sums below
are equal and both steps are skipped. The stored value also holds a version of the
`files` table (a count of its changes that triggers keep): any write of a position by
anyone (another process, an older release) changes it, so a mark is only believed for
the positions it was taken with. A change to any transcript changes the
disk sums: a new or deleted file the count and inode sum, an append the size and
mtime sums, a replaced file its inode. The sums are kept per folder: when only some
folders' sums changed (one session appended to), only their files' positions are loaded
and compared. (docs/data-path.md)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import LedgerError, translated
from tray_app.adapters.ledger_recovery import FILES_WRITES
from tray_app.adapters.listing import mark_lines

log = logging.getLogger(__name__)

KEY = "files_mark:"


def _key(root_ids: Sequence[str]) -> str:
    # Per set of roots: a run on other --data-dir roots lists other files.
    return KEY + "\x1f".join(sorted(root_ids))


def _files_version(ledger: Ledger) -> str | None:
    # A count of every change to the positions, kept by triggers (ledger_recovery.TRIGGERS);
    # None where it is not kept (then no mark is believed or kept).
    row = ledger.db.execute_sql("SELECT value FROM meta WHERE key = ?", (FILES_WRITES,)).fetchone()
    return None if row is None else f"w{row[0]}"


def _version(ledger: Ledger) -> str | None:
    """The positions' version now; None if it cannot be read (then no shortcut is taken)."""
    try:
        with translated(ledger.path):
            return _files_version(ledger)
    except LedgerError as exc:  # the mark is only a shortcut: compare every position
        log.debug("files mark not read: %s", exc)
        return None


@dataclass(slots=True)
class Mark:
    """A start's disk fingerprint and the positions' version it is compared against.

    `seen` follows this run's own writes; it becomes None as soon as anyone else has
    written positions since they were loaded (a `roots forget` dropping some so they are
    read again, another process): the run then cannot vouch for them and keeps no mark.
    """

    disk: str
    seen: str | None
    # The keys of the folders whose line in the mark changed since the stored one (the
    # positions unchanged since): only their files need comparing. None: every file.
    changed: frozenset[str] | None = None

    def before_write(self, ledger: Ledger) -> None:
        """Inside a write transaction, before this run writes positions."""
        if self.seen is not None and _files_version(ledger) != self.seen:
            self.seen = None

    def after_write(self, ledger: Ledger) -> None:
        """Inside the same transaction, after them."""
        if self.seen is not None:
            self.seen = _files_version(ledger)


def check(ledger: Ledger, root_ids: Sequence[str], disk: str) -> Mark | None:
    """None when the stored mark says the positions cover the disk `disk` describes
    (nothing new); else the mark to keep once this run has read it all, with the
    positions' version read before the positions themselves are."""
    version = _version(ledger)
    changed = None
    if version is not None:
        stored = None
        with contextlib.suppress(LedgerError), translated(ledger.path):
            stored = ledger.meta(_key(root_ids))
        if stored is not None:
            before, _, then = stored.rpartition("|")  # (a version holds no "|")
            if then == version:
                if before == disk:
                    return None
                changed = _changed(before, disk)
    return Mark(disk, version, changed)


def _changed(before: str, now: str) -> frozenset[str] | None:
    """The folders whose line differs; None if a folder is gone (its files are: compare all)."""
    try:
        then, lines = mark_lines(before), mark_lines(now)
    except ValueError:  # (an older release's mark: one line of sums)
        return None
    if not then.keys() <= lines.keys():
        return None
    return frozenset(key for key, sums in lines.items() if then.get(key) != sums)


def remember(ledger: Ledger, root_ids: Sequence[str], mark: Mark) -> None:
    """Keep `mark` once this run has read everything it listed, in a transaction of its
    own, if no one else wrote positions since this run loaded them.

    Only when the write lock is free at once: a busy ledger is someone else writing
    positions, and the next start simply compares them all again.
    """
    if mark.seen is None:
        return
    key = _key(root_ids)
    db = ledger.db
    busy = int(str(db.pragmas.get("busy_timeout", 0)))
    try:
        with translated(ledger.path):
            db.execute_sql("PRAGMA busy_timeout = 0")
        try:
            with ledger.writing():
                mark.before_write(ledger)
                if mark.seen is not None:
                    value = f"{mark.disk}|{mark.seen}"
                    db.execute_sql("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        finally:
            with translated(ledger.path):
                db.execute_sql(f"PRAGMA busy_timeout = {busy}")
    except LedgerError as exc:  # busy, read-only, full: the mark is only a shortcut
        log.debug("files mark not stored: %s", exc)
