"""Build a new ledger file beside the old one, copy what SQLite can still read, swap it in."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tray_app.adapters.ledger_db import LedgerDb
from tray_app.adapters.ledger_errors import translated
from tray_app.adapters.ledger_file import (
    APPLICATION_ID,
    move_aside,
    put_in_place,
    ro_uri,
    sweep_temps,
    temp_sibling,
)
from tray_app.adapters.ledger_schema import TABLES, models_for

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
# Column order matches Entry's fields up to `message_id`/`request_id`; cwd lives per session.
RESPONSE_COLUMNS = (
    "key", "ts", "session_id", "model", "input", "output", "cache_5m", "cache_1h",
    "cache_read", "web_search", "speed", "geo", "cost_usd", "sidechain", "message_id",
    "request_id",
)  # fmt: skip
SALVAGE = {
    "sessions": "SELECT session_id, name, tags, description, project_path FROM sessions",
    "responses": f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM responses",
    "alerts": "SELECT block_start, kind, fired_at FROM alerts",
}


@dataclass(frozen=True, slots=True)
class Salvaged:
    """Rows really copied from a damaged ledger into its replacement."""

    names: int = 0  # sessions with a user-given name
    sessions: int = 0
    responses: int = 0
    alerts: int = 0

    def describe(self) -> str:
        """What was saved, in words."""
        if not (self.sessions or self.responses or self.alerts):
            return "nothing could be salvaged"
        return (
            f"salvaged {self.names} session name{'s' if self.names != 1 else ''} and "
            f"{self.responses:,} response{'s' if self.responses != 1 else ''}"
        )


# Every change to a read position, by any writer (another process, an older release), is
# counted by triggers on `files`: per folder in FOLDER_WRITES (a path stored as text: the
# folder is the text up to its last separator), or in meta's FILES_WRITES (a path stored as
# bytes). A start's disk mark is believed per folder for the counts it was taken with
# (adapters/scan_mark.py), and the tray writing one session's position leaves the other
# folders' marks standing. A new ledger's FILES_WRITES starts at a random number, so two
# ledger files do not show the same counts.
FILES_WRITES = "files_writes"
FOLDER_WRITES = "folder_writes"
# The folder: the path without the characters of its name, taken from its last 256 (a
# name is at most 255; the whole path as the set cost ~60 us a row at 1,000 characters).
_FOLDER = "rtrim({path}, replace(substr({path}, -256), '{sep}', ''))"
_COUNT = (
    "INSERT INTO folder_writes "
    f"SELECT {_FOLDER.format(path='{row}.path', sep='{sep}')}, 1 "
    "WHERE typeof({row}.path) = 'text' ON CONFLICT(folder) DO UPDATE SET n = n + 1; "
    "UPDATE meta SET value = value + 1 WHERE key = 'files_writes' "
    "AND typeof({row}.path) != 'text';"
)
# What the insert trigger adds for each row of `temp.written_paths (path)`, in two
# statements (adapters/bulk_write.py sets the trigger aside for a large write).
COUNT_INSERTED = (
    "INSERT INTO folder_writes "
    f"SELECT {_FOLDER.format(path='path', sep=os.sep)}, count(*) FROM temp.written_paths "
    "WHERE typeof(path) = 'text' GROUP BY 1 ON CONFLICT(folder) DO UPDATE SET n = n + excluded.n",
    "UPDATE meta SET value = value + (SELECT count(*) FROM temp.written_paths "
    "WHERE typeof(path) != 'text') WHERE key = 'files_writes' "
    "AND EXISTS (SELECT 1 FROM temp.written_paths WHERE typeof(path) != 'text')",
)

_EVENTS = (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",)))
_SEPS = {"/": "posix", "\\": "nt"}  # the separator is written into them: named after it
TRIGGERS = {
    f"files_counted_{event.lower()}_{_SEPS[os.sep]}": (event, rows) for event, rows in _EVENTS
}
INSERT_TRIGGER = next(name for name, (event, _) in TRIGGERS.items() if event == "INSERT")
_RETIRED = (
    frozenset(
        [f"files_written_{event.lower()}" for event, _ in _EVENTS]  # one count for all folders
        + [f"files_counted_{event.lower()}" for event, _ in _EVENTS]  # named before the separator
        + [f"files_counted_{e.lower()}_{n}" for e, _ in _EVENTS for n in _SEPS.values()]
    )
    - TRIGGERS.keys()
)  # (a ledger moved between Windows and the others: the other separator)


def init_schema(db: LedgerDb) -> None:
    """Create missing tables and triggers, stamp our application id and schema row (one
    write lock)."""
    have = {
        r[0]
        for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    }
    app_id = db.execute_sql("PRAGMA application_id").fetchone()[0]
    stamped = "meta" in have and len(
        db.execute_sql(
            "SELECT key FROM meta WHERE key IN ('schema', ?)", (FILES_WRITES,)
        ).fetchall()
    ) == 2  # fmt: skip
    if set(TABLES) <= have and _counting(have) and app_id == APPLICATION_ID and stamped:
        return  # nothing to write: no lock taken, a busy ledger is not waited for
    with db.atomic("IMMEDIATE"):
        view = db.peewee()  # peewee's models create the tables (only now is it imported)
        view.create_tables(list(models_for(view).values()), safe=True)
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute_sql("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        _count_writes(db, have)


def _counting(have: set[str]) -> bool:
    """Whether the schema objects named `have` count position writes as this release does."""
    return TRIGGERS.keys() <= have and FOLDER_WRITES in have and not _RETIRED & have


def _count_writes(db: LedgerDb, have: set[str]) -> None:
    """The write counts' table, triggers and start (inside init_schema's transaction)."""
    # A random start (62 bits: room to count on) in a new ledger; moved on if a trigger was
    # missing or another one was there (an older release's, the other separator's), since
    # positions may have changed uncounted: no mark stored before holds.
    db.execute_sql(
        "INSERT OR IGNORE INTO meta VALUES (?, random() & 4611686018427387903)", (FILES_WRITES,)
    )
    if _counting(have):
        return
    db.execute_sql("UPDATE meta SET value = value + 1 WHERE key = ?", (FILES_WRITES,))
    db.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {FOLDER_WRITES} "
        "(folder TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID"
    )
    for name in sorted(_RETIRED & have):
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
    for name, (event, rows) in TRIGGERS.items():
        body = " ".join(_COUNT.format(row=row, sep=os.sep) for row in rows)
        create = f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON files"
        db.execute_sql(f"{create} BEGIN {body} END")


def probe_tables(db: LedgerDb) -> None:
    """Read a row of every declared column of each table (fails fast on garbage or a
    missing column)."""
    for table, columns in TABLES.items():
        # Qualified names: a bare "x" that names no column is a string literal to SQLite.
        cols = ", ".join(f't1."{c}"' for c in columns)
        db.execute_sql(f'SELECT {cols} FROM "{table}" AS t1 LIMIT 1').fetchone()


def build_empty(target: Path) -> None:
    """A complete empty ledger at `target` (rollback journal: no -wal to carry along)."""
    db = LedgerDb(str(target), pragmas={"journal_mode": "delete"})
    try:
        db.connect()
        init_schema(db)
    finally:
        db.close()


def create(path: Path) -> bool:
    """Create the ledger at a free `path` atomically (never a half-made file there).

    False when another process created it first (theirs is used)."""
    sweep_temps(path)
    tmp = temp_sibling(path)
    try:
        with translated(path):
            build_empty(tmp)
            return put_in_place(tmp, path, replace=False)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def salvage(old: Path, into: sqlite3.Connection) -> Salvaged:
    """Copy what SQLite can still read from `old`: names first, then history."""
    counts: dict[str, int] = {}
    names = 0
    try:
        con = sqlite3.connect(ro_uri(old), uri=True)
    except sqlite3.Error:
        return Salvaged()
    try:
        for table, query in SALVAGE.items():
            rows: list[tuple[Any, ...]] = []
            try:
                for row in con.execute(query):
                    rows.append(row)
            except sqlite3.Error as err:
                log.warning("read %d rows of %s before: %s", len(rows), table, err)
            if not rows:
                continue
            marks = ", ".join("?" * len(rows[0]))
            cols = f"({', '.join(RESPONSE_COLUMNS)})" if table == "responses" else ""
            before = into.total_changes
            with into:
                into.executemany(f"INSERT OR IGNORE INTO {table} {cols} VALUES ({marks})", rows)
            counts[table] = into.total_changes - before
            if table == "sessions":
                names = into.execute("SELECT COUNT(*) FROM sessions WHERE name != ''").fetchone()[0]
    finally:
        con.close()
    got = Salvaged(names, counts.get("sessions", 0), counts.get("responses", 0),
                   counts.get("alerts", 0))  # fmt: skip
    log.info("from %s: %s", old, got.describe())
    return got


def recover(path: Path) -> tuple[Path, Salvaged]:
    """Replace the damaged ledger at `path` by a rebuilt one; the old file is kept aside.

    Everything is prepared beside it first: if anything fails (a full disk), the damaged
    file stays where it was and nothing was moved."""
    sweep_temps(path)
    tmp = temp_sibling(path)
    try:
        with translated(path):
            build_empty(tmp)
            with contextlib.closing(sqlite3.connect(tmp)) as into:
                got = salvage(path, into)
            aside = move_aside(path)
            put_in_place(tmp, path, replace=True)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return aside, got
