"""How the ledger's file is connected: read-write with a busy timeout, or copied read-only."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tray_app.adapters.ledger_db import LedgerDb
from tray_app.adapters.ledger_errors import classify
from tray_app.adapters.ledger_file import ro_uri
from tray_app.adapters.ledger_in_use import TrackedConnection


def stored_path(path: str) -> str | bytes:
    """A path as kept in `files`: text, or its exact bytes when it is not valid UTF-8."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)  # undecodable names arrive as surrogate escapes
    return path


def loaded_path(value: str | bytes) -> str:
    """The path `stored_path` stored, exactly as the scanner spelled it."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


# The write-ahead log is cut back to this once it is reset (the first write after a full
# checkpoint): the tray keeps its connection open for days, and only the last close would
# shrink the ~30 MB log a first scan of 1 GB leaves beside the ledger.
WAL_KEPT_BYTES = 4 << 20


def connect(path: Path, busy_ms: int) -> LedgerDb:
    db = LedgerDb(
        str(path),
        pragmas={
            "journal_mode": "wal",
            "synchronous": "normal",
            "busy_timeout": busy_ms,
            "journal_size_limit": WAL_KEPT_BYTES,
        },
        timeout=busy_ms / 1000,
        check_same_thread=False,
        factory=TrackedConnection,  # while one is open, identify() must not open the file
    )
    db.connect()
    return db


def read_only_place(path: Path) -> str | None:
    """Why the ledger cannot be written where it is (None: it can)."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        return None
    if not os.access(path, os.W_OK):
        return "read-only file"
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-wal").exists():
        return "read-only folder"
    return None


def memory_copy(path: Path) -> LedgerDb:
    """The ledger copied into memory: reports run unchanged, nothing reaches the disk."""
    db = LedgerDb(":memory:", check_same_thread=False)
    db.connect()
    failure: sqlite3.Error | None = None
    for immutable in (False, True):  # immutable: read-only media without a -shm file
        try:
            src = sqlite3.connect(ro_uri(path, immutable), uri=True)
            try:
                src.backup(db.connection())
            finally:
                src.close()
            return db
        except sqlite3.Error as exc:
            failure = exc
    db.close()
    assert failure is not None
    raise classify(failure, path) from failure
