"""A fingerprint of the transcripts on disk, kept beside the read positions it matches.

Every start lists and `stat`s every transcript to see new bytes; comparing each with its
stored position then needs every position loaded (~15 ms for 10K files) and compared.
When nothing changed since a start that left the positions up to date, the sums below
are equal and both steps are skipped. The stored value also holds a version of the
`files` table (rows, newest rowid, sums of offsets, sizes and inodes): any write of a
position by anyone (another process, an older release) changes it, so a mark is only
believed for the positions it was taken with. A change to any transcript changes the
disk sums: a new or deleted file the count and inode sum, an append the size and
mtime sums, a replaced file its inode. (docs/data-path.md)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import LedgerError

log = logging.getLogger(__name__)

KEY = "files_mark:"


def disk_mark(found: Mapping[str, os.stat_result]) -> str:
    """Sums over every listed transcript: count, path lengths, sizes, inodes, mtimes, devices."""
    stats = found.values()
    return ":".join(
        str(n)
        for n in (
            len(found),
            sum(map(len, found)),
            sum(st.st_size for st in stats),
            sum(st.st_ino for st in stats),
            sum(st.st_mtime_ns for st in stats),
            sum(st.st_dev for st in stats),
        )
    )


def _key(root_ids: Sequence[str]) -> str:
    # Per set of roots: a run on other --data-dir roots lists other files.
    return KEY + "\x1f".join(sorted(root_ids))


def _files_version(ledger: Ledger) -> str:
    row = ledger.db.execute_sql(
        "SELECT count(*), max(rowid), total(offset), total(size), total(inode) FROM files"
    ).fetchone()
    return ":".join(map(str, row))


def matches(ledger: Ledger, root_ids: Sequence[str], mark: str) -> bool:
    """Whether the positions are up to date for the disk `mark` describes."""
    stored = ledger.meta(_key(root_ids))
    if stored is None or not stored.startswith(mark + "|"):
        return False
    return stored == f"{mark}|{_files_version(ledger)}"


def store(ledger: Ledger, root_ids: Sequence[str], mark: str) -> None:
    """Inside a write transaction, after the positions are written: keep `mark` with them."""
    value = f"{mark}|{_files_version(ledger)}"
    ledger.db.execute_sql("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_key(root_ids), value))


def remember(ledger: Ledger, root_ids: Sequence[str], mark: str) -> None:
    """Store `mark` with the positions as they are now (they cover everything it lists).

    Only when the write lock is free at once: a busy ledger is someone else writing
    positions, and the next start simply compares them all again.
    """
    key = _key(root_ids)
    if ledger.meta(key) == f"{mark}|{_files_version(ledger)}":
        return
    db = ledger.db
    busy = db.pragmas.get("busy_timeout", 0)
    db.execute_sql("PRAGMA busy_timeout = 0")
    try:
        with ledger.writing():
            store(ledger, root_ids, mark)
    except LedgerError as exc:  # busy, read-only, full: the mark is only a shortcut
        log.debug("files mark not stored: %s", exc)
    finally:
        db.execute_sql(f"PRAGMA busy_timeout = {int(str(busy))}")
