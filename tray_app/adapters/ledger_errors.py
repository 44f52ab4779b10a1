"""Why the ledger cannot be used, told apart by SQLite's own result codes."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

# Primary SQLite result codes (https://sqlite.org/rescode.html).
SQLITE_ERROR = 1
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class LedgerError(Exception):
    """The ledger cannot be opened or written; the message is one line for the user."""


class LedgerRefused(LedgerError):
    """The path holds something that is not a Token Monitor ledger: left as it is."""


class LedgerBusy(LedgerError):
    """Another process held the write lock for longer than the busy timeout."""


class LedgerFull(LedgerError):
    """The disk (or the file system holding the ledger) is full."""


class LedgerIOError(LedgerError):
    """The operating system reported an I/O error (or no permission) on the ledger."""


class LedgerReadOnly(LedgerError):
    """A change was asked of a ledger opened read-only."""


class LedgerCorrupt(LedgerError):
    """SQLite itself reports the file as malformed or not a database."""


def sqlite_code(exc: BaseException) -> int | None:
    """The primary SQLite result code behind `exc` (peewee wraps sqlite3's errors).

    The most telling code in the chain wins: after SQLITE_FULL, SQLite has already rolled
    back, and the failed ROLLBACK (a generic SQLITE_ERROR) must not hide the cause.
    """
    seen: set[int] = set()
    todo: list[object] = [exc]
    found: int | None = None
    while todo:
        err = todo.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        code = getattr(err, "sqlite_errorcode", None)
        if isinstance(code, int):
            if code & 0xFF != SQLITE_ERROR:
                return code & 0xFF
            found = SQLITE_ERROR
        todo.extend([err.__cause__, err.__context__, *err.args])
    return found


def disk_full(path: Path) -> bool:
    """Whether the file system holding `path` has no free blocks left for us."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024  # less than a few SQLite pages


def classify(exc: BaseException, path: Path) -> LedgerError:
    """One clear error for an SQLite/OS failure on the ledger at `path`."""
    if isinstance(exc, LedgerError):
        return exc
    code = sqlite_code(exc)
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        # Which of the two, and SQLite's words: a busy wait that ran out reads "database is
        # locked"; a statement left open on the same connection, "database table is locked".
        log.warning("ledger %s busy: SQLite code %s: %s", path, code, detail)
        return LedgerBusy(
            f"the ledger {path} is locked by another process (waited for it, in vain); "
            "nothing was changed, try again in a moment"
        )
    errno_full = isinstance(exc, OSError) and exc.errno in (28, 122)  # ENOSPC, EDQUOT
    if code == SQLITE_FULL or errno_full or (code == SQLITE_IOERR and disk_full(path)):
        return LedgerFull(
            f"disk full: the ledger {path} could not be written; it was left as it was "
            "(free some space and run again)"
        )
    if code == SQLITE_READONLY:
        return LedgerReadOnly(f"the ledger {path} is read-only ({detail})")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return LedgerCorrupt(f"the ledger {path} is damaged ({detail})")
    if code in (SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PERM) or isinstance(exc, OSError):
        return LedgerIOError(f"cannot use the ledger {path}: {detail}; it was left untouched")
    return LedgerError(f"cannot use the ledger {path}: {detail}")


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn SQLite/OS failures inside the block into `LedgerError`s (chained)."""
    try:
        yield
    except LedgerError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise classify(exc, path) from exc
    except Exception as exc:
        if sqlite_code(exc) is None and not _is_peewee(exc):
            raise
        raise classify(exc, path) from exc


def _is_peewee(exc: BaseException) -> bool:
    return type(exc).__module__ == "peewee"
