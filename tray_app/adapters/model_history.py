"""The ledger's `model_history` table: every change of the model for new sessions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee as pw

from tray_app.adapters.ledger_schema import models_for
from tray_app.adapters.locations import private_dir


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
def _table(path: Path) -> Iterator[Any]:
    """The table on a short-lived connection; the ledger file is created 0600 if missing."""
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    # Same pragmas as the ledger: WAL lets the tray's aggregator keep writing meanwhile.
    db = pw.SqliteDatabase(
        str(path), pragmas={"journal_mode": "wal", "busy_timeout": 5000}, check_same_thread=False
    )
    db.connect()
    try:
        table = models_for(db)["model_change"]
        db.create_tables([table], safe=True)  # an older ledger gains the table here
        yield table
    finally:
        db.close()


def record(path: Path, change: ModelChange) -> None:
    """Append one change to the ledger at `path`."""
    with _table(path) as table:
        table.create(
            ts=change.ts,
            kind=change.kind,
            old=change.old,
            new=change.new,
            reason=change.reason,
            until=change.until,
            source=change.source,
        )


def recent(path: Path, limit: int = 50) -> list[ModelChange]:
    """The newest `limit` changes, newest first (none when there is no ledger yet)."""
    if not path.exists():
        return []
    with _table(path) as table:
        rows = table.select().order_by(table.ts.desc(), table.id.desc()).limit(limit)
        return [ModelChange(r.ts, r.kind, r.old, r.new, r.reason, r.until, r.source) for r in rows]


def last(path: Path) -> ModelChange | None:
    """The newest change, or None."""
    changes = recent(path, 1)
    return changes[0] if changes else None
