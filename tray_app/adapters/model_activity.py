"""The ledger's per-model activity table: busy time per UTC quarter-hour and model.

It follows the usage rollup (adapters/usage_rollup.py) rather than the responses: triggers
on `usage_rollup` record the earliest quarter-hour the rollup rewrote, so writing a
response costs nothing more, and the next reader rebuilds only from that quarter-hour on.
Read it right after `Rollup.update()`; the caller counts from responses when that failed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.adapters.ledger_errors import translated
from tray_app.usage.model_activity import IDLE_GAP, Activity, activity_of
from tray_app.usage.rollup import QUARTER

log = logging.getLogger(__name__)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS model_activity (q INTEGER NOT NULL, model TEXT NOT NULL, "
    "responses INTEGER NOT NULL, busy REAL NOT NULL, first REAL NOT NULL, last REAL NOT NULL, "
    "PRIMARY KEY (q, model)) WITHOUT ROWID",
    # dirty: the earliest quarter-hour the rollup rewrote since our last rebuild.
    "CREATE TABLE IF NOT EXISTS model_activity_state (id INTEGER PRIMARY KEY CHECK (id = 0), "
    "dirty INTEGER)",
    "CREATE TRIGGER IF NOT EXISTS model_activity_ins AFTER INSERT ON usage_rollup BEGIN "
    "UPDATE model_activity_state SET dirty = min(coalesce(dirty, new.q), new.q); END",
    "CREATE TRIGGER IF NOT EXISTS model_activity_del AFTER DELETE ON usage_rollup BEGIN "
    "UPDATE model_activity_state SET dirty = min(coalesce(dirty, old.q), old.q); END",
)
EVERYTHING = -(2**62)  # a dirty quarter-hour before any response: rebuild it all


def _activity(row: Sequence[object]) -> Activity:
    q, model, n, busy, first, last = row
    return Activity(q, model, n, busy, first, last)  # type: ignore[arg-type]


def update(ledger: Ledger) -> bool:
    """Bring the table up to date; False when the ledger cannot be written now."""
    try:
        with ledger.writing() as db:
            for sql in SCHEMA:
                db.execute_sql(sql)
            row = db.execute_sql("SELECT dirty FROM model_activity_state").fetchone()
            dirty = EVERYTHING if row is None else row[0]
            if dirty is not None:
                _rebuild(ledger, dirty)
    except LedgerError as exc:
        log.warning("model activity not updated: %s", exc)
        return False
    return True


def _rebuild(ledger: Ledger, dirty: int) -> None:
    db = ledger.db
    db.execute_sql("DELETE FROM model_activity WHERE q >= ?", (dirty,))
    lo = -math.inf if dirty == EVERYTHING else dirty * QUARTER
    cursor = db.execute_sql("SELECT ts, model FROM responses WHERE ts >= ?", (lo,))
    records = activity_of(cursor)
    db.cursor().executemany(
        "INSERT INTO model_activity VALUES (?, ?, ?, ?, ?, ?)",
        [(a.q, a.model, a.responses, a.busy, a.first, a.last) for a in records],
    )
    db.execute_sql("DELETE FROM model_activity_state")
    db.execute_sql("INSERT INTO model_activity_state VALUES (0, NULL)")


def _stamps(ledger: Ledger, lo: float, hi: float) -> list[tuple[float, str]]:
    cursor = ledger.db.execute_sql(
        "SELECT ts, model FROM responses WHERE ts >= ? AND ts < ?", (lo, hi)
    )
    return list(cursor)


def activity(ledger: Ledger, q_lo: int, q_hi: int) -> list[Activity]:
    """The records of quarter-hours q_lo <= q < q_hi."""
    with translated(ledger.path):
        cursor = ledger.db.execute_sql(
            "SELECT q, model, responses, busy, first, last FROM model_activity "
            "WHERE q >= ? AND q < ?",
            (q_lo, q_hi),
        )
        return [_activity(r) for r in cursor]


def summed(ledger: Ledger, q_lo: int, q_hi: int) -> list[Activity]:
    """One record per model for quarter-hours q_lo <= q < q_hi, summed by SQLite: the busy
    seconds inside each quarter-hour plus each gap (capped) from one to the next."""
    with translated(ledger.path):
        cursor = ledger.db.execute_sql(
            "SELECT MIN(q), model, SUM(responses), SUM(busy) + COALESCE(SUM(MIN(gap, ?)), 0), "
            "MIN(first), MAX(last) FROM (SELECT q, model, responses, busy, first, last, "
            "first - LAG(last) OVER (PARTITION BY model ORDER BY q) AS gap "
            "FROM model_activity WHERE q >= ? AND q < ?) GROUP BY model",
            (IDLE_GAP, q_lo, q_hi),
        )
        return [_activity(r) for r in cursor]


def window_activity(ledger: Ledger, lo: float, hi: float) -> list[Activity]:
    """Records covering lo <= ts < hi: whole quarter-hours from the table, edges counted."""
    if not lo < hi:
        return []
    q_lo = math.ceil(lo / QUARTER) if math.isfinite(lo) else EVERYTHING
    q_hi = math.floor(hi / QUARTER) if math.isfinite(hi) else 2**62
    if q_lo >= q_hi:
        with translated(ledger.path):
            return activity_of(_stamps(ledger, lo, hi))
    out = summed(ledger, q_lo, q_hi)  # O(models) rows, whatever the window's length
    with translated(ledger.path):
        if math.isfinite(lo) and lo < q_lo * QUARTER:
            out += activity_of(_stamps(ledger, lo, q_lo * QUARTER))
        if math.isfinite(hi) and q_hi * QUARTER < hi:
            out += activity_of(_stamps(ledger, q_hi * QUARTER, hi))
    return out
