"""Open the ledger's file safely: refuse what is not ours, wait when busy, read read-only
media, and rebuild only what SQLite itself calls malformed (docs/ledger-safety.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from tray_app.adapters import ledger_recovery as recovery
from tray_app.adapters.ledger_connect import connect, memory_copy, read_only_place
from tray_app.adapters.ledger_db import LedgerDb
from tray_app.adapters.ledger_errors import (
    SQLITE_CANTOPEN,
    SQLITE_PERM,
    LedgerCorrupt,
    LedgerError,
    LedgerReadOnly,
    LedgerRefused,
    classify,
    sqlite_code,
    translated,
)
from tray_app.adapters.ledger_file import Kind, identify, refusal
from tray_app.adapters.ledger_recovery import Salvaged
from tray_app.adapters.locations import private_dir

log = logging.getLogger(__name__)


@dataclass
class Opened:
    """A connected ledger database and what the user should be told about it."""

    db: LedgerDb
    readonly: bool = False  # an in-memory copy: changes last for this run only
    notes: list[str] = field(default_factory=list)
    aside: Path | None = None  # where a damaged file was moved
    salvaged: Salvaged | None = None


def prepare(db: LedgerDb) -> None:
    """Create what is missing, then read a page of each table (fails fast on garbage)."""
    recovery.init_schema(db)
    recovery.probe_tables(db)


def open_db(path: Path, busy_ms: int) -> Opened:
    """Connect to the ledger at `path`, creating it (and missing folders) when absent."""
    notes: list[str] = []
    kind = identify(path)
    if kind is Kind.FOREIGN:
        raise refusal(path)
    if kind is Kind.MISSING:
        with translated(path):
            private_dir(path.parent)
        if not recovery.create(path) and identify(path) is Kind.MISSING:
            # The name is taken by a symlink to nowhere: SQLite would create its target.
            raise LedgerRefused(f"{path} is a broken symbolic link; nothing was changed")
    elif kind is Kind.EMPTY:
        notes.append(
            f"the ledger {path} was empty (no tables); it was started afresh and is "
            "filled from the transcripts (names given before are not in it)"
        )
    why = read_only_place(path) if kind is not Kind.DAMAGED else None
    if why:
        return _read_only(path, why, notes)
    db: LedgerDb | None = None
    try:
        if kind is Kind.DAMAGED:
            raise LedgerCorrupt("its SQLite header is gone")
        db = connect(path, busy_ms)
        prepare(db)
    except Exception as exc:
        if db is not None:
            db.close()
        err = classify(exc, path)
        if isinstance(err, LedgerCorrupt):
            return _recover(path, exc, busy_ms, notes)
        if isinstance(err, LedgerReadOnly) or sqlite_code(exc) in (SQLITE_CANTOPEN, SQLITE_PERM):
            return _read_only(path, str(err), notes)
        raise err from exc
    return Opened(db, notes=notes)


def _read_only(path: Path, why: str, notes: list[str]) -> Opened:
    db = memory_copy(path)
    with translated(path):
        recovery.init_schema(db)
    note = (
        f"the ledger {path} cannot be written ({why}); reports use it read-only "
        "and nothing new is saved"
    )
    log.warning("%s", note)
    return Opened(db, readonly=True, notes=[*notes, note])


def _recover(path: Path, exc: BaseException, busy_ms: int, notes: list[str]) -> Opened:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    log.warning("ledger %s is damaged (%s); rebuilding it", path, detail)
    try:
        aside, got = recovery.recover(path)
    except LedgerError as err:
        raise type(err)(f"the ledger {path} is damaged and could not be rebuilt: {err}") from err
    with translated(path):
        db = connect(path, busy_ms)
        prepare(db)
    note = (
        f"the ledger was damaged ({detail}); it was moved to {aside} and "
        f"rebuilt from the transcripts; {got.describe()}"
    )
    return Opened(db, notes=[*notes, note], aside=aside, salvaged=got)
