"""The SQLite ledger (peewee): counted responses, read positions, session names, alerts."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import Any

import peewee as pw

from tray_app.adapters.ledger_schema import models_for
from tray_app.adapters.locations import private_dir
from tray_app.usage.model import Entry, ResetNotice

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
# Column order matches Entry's fields up to `message_id`/`request_id`; cwd lives per session.
RESPONSE_COLUMNS = (
    "key",
    "ts",
    "session_id",
    "model",
    "input",
    "output",
    "cache_5m",
    "cache_1h",
    "cache_read",
    "web_search",
    "speed",
    "geo",
    "cost_usd",
    "sidechain",
    "message_id",
    "request_id",
)


@dataclass(frozen=True, slots=True)
class FileState:
    """How far a transcript has been read, and which file that was."""

    path: str
    device: int
    inode: int
    size: int
    offset: int
    lines: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """What the user and the transcripts told us about a session."""

    session_id: str
    name: str = ""
    tags: str = ""
    description: str = ""
    project_path: str = ""


def _connect(path: Path) -> pw.SqliteDatabase:
    db = pw.SqliteDatabase(
        str(path),
        pragmas={"journal_mode": "wal", "synchronous": "normal", "busy_timeout": 5000},
        check_same_thread=False,
    )
    db.connect()
    return db


class Ledger:
    """One SQLite file; all writes go through `write` in a single transaction."""

    def __init__(self, path: Path, db: pw.SqliteDatabase) -> None:
        self.path = path
        self.db = db
        self.m = models_for(db)
        self.recovered_to: Path | None = None  # set when a corrupt file was moved aside
        r = self.m["response"]
        cols = [getattr(r, "key" if c == "key" else c) for c in RESPONSE_COLUMNS]
        row = dict.fromkeys(cols, 0)
        update = [c for c in cols if c.name not in ("key", "ts", "session_id")]
        # One compiled statement run with executemany: peewee's per-row SQL generation
        # would dominate a first scan (DESKTOP-NOTES §4).
        self._upsert_sql = (
            r.insert(row).on_conflict(conflict_target=[r.key], preserve=update).sql()[0]
        )
        self._session_sql = (
            "INSERT INTO sessions (session_id, name, tags, description, project_path) "
            "VALUES (?, '', '', '', ?) ON CONFLICT (session_id) DO UPDATE SET "
            "project_path = excluded.project_path WHERE sessions.project_path = ''"
        )

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open or create the ledger; a corrupt file is moved aside and rebuilt."""
        private_dir(path.parent)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            ledger = cls(path, _connect(path))
            ledger._init_schema()
            return ledger
        except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
            return cls._recover(path, exc)

    def _init_schema(self) -> None:
        with self.db.atomic():
            self.db.create_tables(list(self.m.values()), safe=True)
            meta = self.m["meta"]
            meta.insert(key="schema", value=SCHEMA_VERSION).on_conflict_ignore().execute()
        # Cheap integrity probe: reading a page from each table fails fast on garbage.
        for model in self.m.values():
            model.select().limit(1).tuples().execute()

    @classmethod
    def _recover(cls, path: Path, exc: BaseException) -> Ledger:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        log.error("ledger %s is unreadable (%s); moving it to %s and rebuilding", path, exc, aside)
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{path}{suffix}")
            if src.exists():
                os.replace(src, Path(f"{aside}{suffix}"))
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        ledger = cls(path, _connect(path))
        ledger._init_schema()
        ledger.recovered_to = aside
        ledger._salvage(aside)
        return ledger

    def _salvage(self, old: Path) -> None:
        """Copy what SQLite can still read from the old file: names first, then history."""
        try:
            con = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
        except sqlite3.Error:
            return
        queries = {
            "sessions": "SELECT session_id, name, tags, description, project_path FROM sessions",
            "responses": f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM responses",
            "alerts": "SELECT block_start, kind, fired_at FROM alerts",
        }
        for table, query in queries.items():
            rows: list[tuple[Any, ...]] = []
            try:
                for row in con.execute(query):
                    rows.append(row)
            except sqlite3.Error as err:
                log.warning("salvaged %d rows of %s before: %s", len(rows), table, err)
            if not rows:
                continue
            marks = ", ".join("?" * len(rows[0]))
            with self.db.atomic():
                self.db.cursor().executemany(
                    f"INSERT OR IGNORE INTO {table} VALUES ({marks})"
                    if table != "responses"
                    else f"INSERT OR IGNORE INTO responses ({', '.join(RESPONSE_COLUMNS)}) "
                    f"VALUES ({marks})",
                    rows,
                )
            log.info("salvaged %d %s rows from %s", len(rows), table, old)
        con.close()

    # -- reads -------------------------------------------------------------------------

    def load_entries(self) -> list[Entry]:
        """Every counted response (cwd is kept per session, not per response)."""
        cursor = self.db.execute_sql(f"SELECT {', '.join(RESPONSE_COLUMNS)}, '' FROM responses")
        make = Entry._make
        # Interned like freshly parsed entries: sessions and models repeat across rows.
        return [make((k, ts, intern(sid), intern(m), *rest)) for k, ts, sid, m, *rest in cursor]

    def entries_between(self, lo: float, hi: float = 1e18, after: bool = False) -> list[Entry]:
        """Responses with lo <= ts < hi (lo < ts with `after`); SQLite filters in C."""
        cols = ", ".join(RESPONSE_COLUMNS)
        op = ">" if after else ">="
        cursor = self.db.execute_sql(
            f"SELECT {cols}, '' FROM responses WHERE ts {op} ? AND ts < ?", (lo, hi)
        )
        return [Entry._make(row) for row in cursor]

    def unpriced_candidates(self) -> list[str]:
        """Models of responses without Claude Code's own cost (the table decides the rest)."""
        cursor = self.db.execute_sql("SELECT DISTINCT model FROM responses WHERE cost_usd IS NULL")
        return [row[0] for row in cursor]

    def meta(self, key: str) -> str | None:
        """A value of the meta table."""
        row = self.db.execute_sql("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the meta table."""
        with self.db.atomic():
            self.db.execute_sql("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def load_resets(self) -> list[ResetNotice]:
        """Official reset times seen so far."""
        cursor = self.db.execute_sql("SELECT ts, resets_at FROM resets")
        return [ResetNotice(ts, at) for ts, at in cursor]

    def file_states(self) -> dict[str, FileState]:
        """Read positions by path."""
        cursor = self.db.execute_sql(
            "SELECT path, device, inode, size, offset, lines, mtime_ns FROM files"
        )
        return {row[0]: FileState(*row) for row in cursor}

    def sessions(self) -> dict[str, SessionMeta]:
        """Session metadata by id."""
        cursor = self.db.execute_sql(
            "SELECT session_id, name, tags, description, project_path FROM sessions"
        )
        return {row[0]: SessionMeta(*row) for row in cursor}

    # -- writes ------------------------------------------------------------------------

    def write(
        self,
        entries: Iterable[Entry] = (),
        files: Iterable[FileState] = (),
        resets: Iterable[ResetNotice] = (),
        projects: Mapping[str, str] | None = None,
        forget_files: Iterable[str] = (),
    ) -> None:
        """Store new or replaced responses, read positions and resets in one transaction."""
        # The last change per key is the winner; sorted keys make B-tree inserts sequential.
        latest = {e.key: e for e in entries}
        rows = [latest[k][:16] for k in sorted(latest)]  # Entry's fields up to request_id
        with self.db.atomic():
            cursor = self.db.cursor()
            if rows:
                cursor.executemany(self._upsert_sql, rows)
            file_rows = [
                (f.path, f.device, f.inode, f.size, f.offset, f.lines, f.mtime_ns) for f in files
            ]
            if file_rows:
                cursor.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)", file_rows
                )
            gone = [(p,) for p in forget_files]
            if gone:
                cursor.executemany("DELETE FROM files WHERE path = ?", gone)
            reset_rows = [(r.timestamp, r.resets_at) for r in resets]
            if reset_rows:
                cursor.executemany("INSERT OR IGNORE INTO resets VALUES (?, ?)", reset_rows)
            if projects:
                cursor.executemany(self._session_sql, list(projects.items()))
            changed = [e.timestamp for e in latest.values()] + [r.timestamp for r in resets]
            if changed:
                # A response or reset at time t can change the block holding t and later ones.
                cursor.execute("DELETE FROM block_cache WHERE end >= ?", (min(changed),))

    def name_session(
        self, session_id: str, name: str, tags: str | None = None, description: str | None = None
    ) -> None:
        """Set (or clear with "") a session's name, and optionally its tags and description."""
        s = self.m["session"]
        values: dict[Any, Any] = {s.name: name}
        if tags is not None:
            values[s.tags] = tags
        if description is not None:
            values[s.description] = description
        with self.db.atomic():
            s.insert(session_id=session_id, **{f.name: v for f, v in values.items()}).on_conflict(
                conflict_target=[s.session_id], update=values
            ).execute()

    def fired(self, block_start: float, kind: str) -> bool:
        """Whether an alert already fired for this block and kind."""
        a = self.m["alert"]
        return bool(a.select().where((a.block_start == block_start) & (a.kind == kind)).exists())

    def record(self, block_start: float, kind: str, at: float) -> None:
        """Remember that an alert fired."""
        a = self.m["alert"]
        a.insert(block_start=block_start, kind=kind, fired_at=at).on_conflict_ignore().execute()

    def close(self) -> None:
        """Close the connection (WAL is checkpointed by SQLite on the last close)."""
        if not self.db.is_closed():
            self.db.close()
