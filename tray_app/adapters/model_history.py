"""The ledger's `model_history` table: every change of the model for new sessions."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import LedgerError

log = logging.getLogger(__name__)
# A busy, locked, full, foreign or broken ledger: the model change itself must still go
# through, so these are logged, not raised.
_FAILURES = (LedgerError, pw.DatabaseError, sqlite3.Error, OSError)


@dataclass(frozen=True, slots=True)
class ModelChange:
    """One change: automatic switch, restore after a reset, or the user's own choice."""

    ts: float
    kind: str  # "auto" | "restore" | "manual"
    old: str | None  # None = Claude Code's default
    new: str | None
    reason: str = ""
    until: float | None = None  # the reset that ends an automatic switch or a manual hold
    source: str = ""  # "cli" | "tray" | "auto" | "file" (seen changed in settings.json)


@contextmanager
def _ledger(path: Path) -> Iterator[Ledger]:
    """The ledger through its own open (it creates, identifies and guards the file)."""
    ledger = Ledger.open(path)
    try:
        yield ledger
    finally:
        ledger.close()


def record(path: Path, change: ModelChange) -> bool:
    """Append one change to the ledger at `path`; False (logged) when it cannot be written."""
    try:
        with _ledger(path) as ledger, ledger.writing():
            ledger.m["model_change"].create(
                ts=change.ts,
                kind=change.kind,
                old=change.old,
                new=change.new,
                reason=change.reason,
                until=change.until,
                source=change.source,
            )
    except _FAILURES as error:
        log.warning("model change not recorded in %s: %s", path, error)
        return False
    return True


def recent(path: Path, limit: int = 50) -> list[ModelChange]:
    """The newest `limit` changes, newest first (none when there is no ledger, or it is bad)."""
    if not path.exists():
        return []
    try:
        with _ledger(path) as ledger:
            table = ledger.m["model_change"]
            rows = table.select().order_by(table.ts.desc(), table.id.desc()).limit(limit)
            return [
                ModelChange(r.ts, r.kind, r.old, r.new, r.reason, r.until, r.source) for r in rows
            ]
    except _FAILURES as error:
        log.warning("model history unreadable in %s: %s", path, error)
        return []


def last(path: Path) -> ModelChange | None:
    """The newest change, or None."""
    changes = recent(path, 1)
    return changes[0] if changes else None
