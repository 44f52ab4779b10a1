"""Limit messages of windows other than the 5-hour one (weekly, Opus, ...), kept in the ledger.

The 5-hour ones live in `resets` (they end blocks). These only say "this window is full
until its reset" (docs/official-limits.md), so they get their own small table, created on
first use (not in ledger_schema: older ledgers need no upgrade). A transcript is read only
once, so without this a weekly message would be forgotten by the next run.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import LedgerError
from tray_app.usage.model import ResetNotice

log = logging.getLogger(__name__)

_CREATE = (
    "CREATE TABLE IF NOT EXISTS limit_notices (ts REAL NOT NULL, name TEXT NOT NULL,"
    " resets_at REAL NOT NULL, PRIMARY KEY (ts, name, resets_at))"
)


def _db(ledger: Ledger) -> Any:
    """The peewee database (untyped: peewee ships no hints)."""
    return ledger.db


def load(ledger: Ledger) -> set[ResetNotice]:
    """Every stored notice; none when the table does not exist yet (or cannot be read)."""
    try:
        rows = _db(ledger).execute_sql("SELECT ts, resets_at, name FROM limit_notices").fetchall()
    except sqlite3.DatabaseError:
        return set()  # no such table yet: nothing stored
    return {
        ResetNotice(float(ts), float(at), name)
        for ts, at, name in rows
        if isinstance(ts, int | float) and isinstance(at, int | float) and isinstance(name, str)
    }


def store(ledger: Ledger, notices: Iterable[ResetNotice]) -> None:
    """Remember new notices (a re-read file offers them again: kept once)."""
    rows = [(n.timestamp, n.window, n.resets_at) for n in notices]
    if not rows:
        return
    try:
        with ledger.writing() as raw:
            db: Any = raw
            db.execute_sql(_CREATE)
            db.cursor().executemany("INSERT OR IGNORE INTO limit_notices VALUES (?, ?, ?)", rows)
    except LedgerError as exc:
        # Busy or full: they still count for this run; the message is only a hint.
        log.warning("cannot store limit messages: %s", exc)
