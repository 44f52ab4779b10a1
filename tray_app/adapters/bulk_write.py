"""Large writes: the per-row upkeep of an index or a trigger done once, after the rows.

Every response written also goes into the time index (`responses_ts`), at a place set by
its time while the table itself takes rows in key order: an insert all over the index per
row. Building an index from a finished table is one sort instead. A first scan into a new
ledger writes before the index exists (the block cache makes it after), but a large write
into a ledger that has it pays: a data root with a long history added to a ledger in use,
or a first scan into an empty ledger a tray or a daily report already set up.
Measured with the 1 GB test set's 126,000 responses: into an empty table with the index,
0.54 s, against 0.30 s plus 0.08 s to build it afterwards; into a table already holding
twice as many as the write adds, 0.48 against 0.37 s.

Every read position written fires the trigger that counts writes per folder (see
ledger_recovery): ~12 us a row, 40 ms for the 1 GB set's 3,300 files. A large write of
positions sets it aside and adds the same counts in two statements.

Indexes and triggers are dropped and created inside the write's transaction, so a failure
anywhere rolls them back with everything else, and other processes never see the ledger
without them."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator, Sequence

from tray_app.adapters.ledger_recovery import COUNT_INSERTED, INSERT_TRIGGER

log = logging.getLogger(__name__)

BULK_ROWS = 20_000  # below this the per-row cost is too small to be worth a rebuild
STORED_PER_NEW = 2  # rebuild only while the table holds at most this many times the new rows
POSITION_ROWS = 500  # read positions from which the counting trigger is set aside
POSITIONS_SQL = "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)"


@contextlib.contextmanager
def indexes_after(cursor: sqlite3.Cursor, new_rows: int) -> Iterator[None]:
    """Inside a write transaction: for a bulk write, drop `responses`' secondary indexes
    for the body and create them again after it (not when the body raises)."""
    indexes: list[tuple[str, str]] = []
    if new_rows >= BULK_ROWS:
        indexes = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'responses' AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
    if indexes:
        # Counted only as far as the bound: a large ledger is not walked to say no.
        bound = STORED_PER_NEW * new_rows
        stored = cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM responses LIMIT ?)", (bound + 1,)
        ).fetchone()[0]
        if stored > bound:
            indexes = []
    dropped = _dropped(cursor, "INDEX", indexes)
    yield
    for sql in dropped:
        cursor.execute(sql)


def write_positions(cursor: sqlite3.Cursor, rows: Sequence[tuple[object, ...]]) -> None:
    """Inside a write transaction: store read positions (`files` rows); many at once with
    the insert trigger set aside and its counts added after."""
    trigger: list[tuple[str, str]] = []
    if len(rows) >= POSITION_ROWS:
        trigger = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (INSERT_TRIGGER,),
        ).fetchall()
    dropped = _dropped(cursor, "TRIGGER", trigger)
    cursor.executemany(POSITIONS_SQL, rows)
    if not dropped:
        return
    # The trigger's counts for these rows (a REPLACE fires only the insert trigger: the
    # connection leaves recursive_triggers off), from a temporary list of their paths.
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS written_paths (path)")
    cursor.execute("DELETE FROM temp.written_paths")
    cursor.executemany("INSERT INTO temp.written_paths VALUES (?)", [(r[0],) for r in rows])
    for sql in COUNT_INSERTED:
        cursor.execute(sql)
    cursor.execute("DELETE FROM temp.written_paths")
    cursor.execute(dropped[0])


def _dropped(cursor: sqlite3.Cursor, kind: str, named: list[tuple[str, str]]) -> list[str]:
    """Drop these indexes or triggers; the SQL to create the dropped ones again."""
    dropped: list[str] = []
    for name, sql in named:
        try:
            cursor.execute('DROP {} "{}"'.format(kind, name.replace('"', '""')))
        except sqlite3.OperationalError as exc:
            # ("table is locked": a read on this connection is still open) kept up per row.
            log.debug("%s %s kept during a bulk write: %s", kind.lower(), name, exc)
            break
        dropped.append(sql)
    return dropped
