"""The SQLite ledger (peewee): counted responses, read positions, session names, alerts.

Opening never harms a file the app did not make (docs/ledger-safety.md): a folder or a
foreign file is refused, only a file SQLite calls malformed is rebuilt, and a locked,
full or read-only ledger is reported (or read) as it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from sys import intern
from typing import Any, NamedTuple

from tray_app.adapters import write_mark
from tray_app.adapters.bulk_write import indexes_after, write_positions
from tray_app.adapters.ledger_connect import loaded_path, stored_path
from tray_app.adapters.ledger_db import LedgerDb
from tray_app.adapters.ledger_errors import LedgerError, LedgerIOError, LedgerReadOnly, translated
from tray_app.adapters.ledger_file import Kind, identify
from tray_app.adapters.ledger_open import open_db, prepare
from tray_app.adapters.ledger_recovery import RESPONSE_COLUMNS, SCHEMA_VERSION, Salvaged
from tray_app.adapters.ledger_schema import models_for
from tray_app.usage.model import Entry, ResetNotice

log = logging.getLogger(__name__)
BATCH = 2000  # rows fetched per step while streaming

__all__ = ["SCHEMA_VERSION", "FileRow", "FileState", "Ledger", "LedgerError", "SessionMeta"]
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process's write lock


class FileState(NamedTuple):
    """How far a transcript has been read, and which file that was."""

    # A NamedTuple: every start builds one per transcript (10K), ~3x faster than a dataclass.

    path: str
    device: int
    inode: int
    size: int
    offset: int
    lines: int
    mtime_ns: int


# A read position as loaded: FileState's fields as a plain tuple (a FileState is one too).
# Every start loads one per transcript; building a NamedTuple per row cost ~0.4 us each.
FileRow = tuple[str, int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """What the user and the transcripts told us about a session."""

    session_id: str
    name: str = ""
    tags: str = ""
    description: str = ""
    project_path: str = ""


# The one statement `write` runs per response with executemany (peewee's per-row SQL
# would dominate a first scan, DESKTOP-NOTES §4). A missing cost comes as '': Python's
# sqlite3 binds None (and a bool) through its adapter look-up, a sixth of the insert
# time; '' equals no number, so NULLIF never turns a real cost into NULL. ts is updated
# too: a copy read later may be earlier (usage/dedup.py keeps the earliest time).
UPSERT_SQL = 'INSERT INTO responses ({}) VALUES ({}) ON CONFLICT ("key") DO UPDATE SET {}'.format(
    ", ".join(f'"{c}"' for c in RESPONSE_COLUMNS),
    ", ".join("NULLIF(?, '')" if c == "cost_usd" else "?" for c in RESPONSE_COLUMNS),
    ", ".join(
        f'"{c}" = excluded."{c}"' for c in RESPONSE_COLUMNS if c not in ("key", "session_id")
    ),
)


class Ledger:
    """One SQLite file; all writes go through `write` in a single transaction."""

    def __init__(self, path: Path, db: LedgerDb, readonly: bool = False) -> None:
        self.path = path
        self.db = db
        self.readonly = readonly  # an in-memory copy: changes last for this run only
        self.recovered_to: Path | None = None  # set when a damaged file was moved aside
        self.salvaged: Salvaged | None = None
        self.notes: list[str] = []  # what the user should be told about this open
        self.threads: list[threading.Thread] = []  # checkpoints running, joined on close
        self._identity = self._stat_identity() if not readonly else None
        self._session_sql = (
            "INSERT INTO sessions (session_id, name, tags, description, project_path) "
            "VALUES (?, '', '', '', ?) ON CONFLICT (session_id) DO UPDATE SET "
            "project_path = excluded.project_path WHERE sessions.project_path = ''"
        )

    @property
    def m(self) -> dict[str, Any]:
        """The ledger's peewee models, bound to its connection (built on first use)."""
        return models_for(self.db.peewee())

    @classmethod
    def open(cls, path: Path, busy_ms: int = BUSY_TIMEOUT_MS) -> Ledger:
        """Open or create the ledger; raises `LedgerError` instead of touching what is
        not ours. Only a file SQLite reports as malformed is moved aside and rebuilt."""
        got = open_db(path, busy_ms)
        ledger = cls(path, got.db, got.readonly)
        ledger.notes, ledger.recovered_to, ledger.salvaged = got.notes, got.aside, got.salvaged
        return ledger

    def _stat_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def same_file(self) -> bool:
        """Whether the path still names the file this ledger opened (not moved aside)."""
        return self.readonly or self._stat_identity() == self._identity

    def _follow(self) -> None:
        """Before writing: if another process moved the file aside, write to the new one."""
        if self.db.in_transaction() or self.same_file():
            return  # (inside a transaction the file in use is kept until it ends)
        if identify(self.path) is not Kind.OURS:
            raise LedgerIOError(
                f"the ledger {self.path} was moved or replaced by another process; "
                "not writing into the old file (restart to use the new one)"
            )
        log.warning("ledger %s was replaced by another process; reopening it", self.path)
        self.db.close()
        self.db.connect()
        prepare(self.db)
        self._identity = self._stat_identity()

    @contextlib.contextmanager
    def writing(self) -> Iterator[LedgerDb]:
        """One write transaction for code beside this class (e.g. roots_ledger): the write
        lock taken up front (so the busy timeout applies), failures as `LedgerError`, and
        never into a file another process moved aside."""
        with translated(self.path):
            self._follow()
            # IMMEDIATE: a deferred transaction that must upgrade fails at once when busy.
            with self.db.atomic("IMMEDIATE"):
                yield self.db

    # -- reads -------------------------------------------------------------------------

    def load_entries(self) -> list[Entry]:
        """Every counted response (cwd is kept per session, not per response)."""
        make = Entry._make
        with translated(self.path):
            cursor = self.db.execute_sql(f"SELECT {', '.join(RESPONSE_COLUMNS)}, '' FROM responses")
            # Interned like freshly parsed entries: sessions and models repeat across rows.
            return [make((k, ts, intern(sid), intern(m), *rest)) for k, ts, sid, m, *rest in cursor]

    def responses_between(
        self, lo: float, hi: float = 1e18, after: bool = False, ordered: bool = False
    ) -> Iterator[Entry]:
        """Responses with lo <= ts < hi (lo < ts with `after`), a batch at a time; oldest
        first with `ordered` (ties in the table's key order, as a stable sort would)."""
        cols = ", ".join(RESPONSE_COLUMNS)
        op = ">" if after else ">="
        order = " ORDER BY ts" if ordered else ""
        with translated(self.path):
            cursor = self.db.execute_sql(
                f"SELECT {cols}, '' FROM responses WHERE ts {op} ? AND ts < ?{order}", (lo, hi)
            )
            while rows := cursor.fetchmany(BATCH):
                yield from map(Entry._make, rows)

    def entries_between(self, lo: float, hi: float = 1e18, after: bool = False) -> list[Entry]:
        """Responses with lo <= ts < hi (lo < ts with `after`); SQLite filters in C."""
        return list(self.responses_between(lo, hi, after))

    def data_version(self) -> int:
        """A number that moves whenever another connection has committed to the ledger
        (SQLite's `PRAGMA data_version`: never for this connection's own writes)."""
        with translated(self.path):
            row = self.db.execute_sql("PRAGMA data_version").fetchone()
        return int(row[0])

    def meta(self, key: str) -> str | None:
        """A value of the meta table."""
        row = self.db.execute_sql("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def load_resets(self) -> list[ResetNotice]:
        """Official reset times seen so far."""
        cursor = self.db.execute_sql("SELECT ts, resets_at FROM resets")
        return [ResetNotice(ts, at) for ts, at in cursor]

    def file_states(self) -> dict[str, FileRow]:
        """Read positions by path, each as a plain row in FileState's field order."""
        with translated(self.path):
            cursor = self.db.execute_sql(
                "SELECT path, device, inode, size, offset, lines, mtime_ns FROM files"
            )
            # SQLite's own row tuples: a path stored as bytes (not UTF-8) gets a text row.
            return {
                (r := row if type(row[0]) is str else (loaded_path(row[0]), *row[1:]))[0]: r
                for row in cursor
            }

    def file_states_in(self, prefixes: Iterable[str]) -> dict[str, FileRow]:
        """`file_states` of the files directly in the folders whose paths start with these
        (each prefix ends with the separator): a range of the path index per folder."""
        sep = os.sep
        found: dict[str, FileRow] = {}
        wanted = set(prefixes)
        with translated(self.path):
            sql = "SELECT path, device, inode, size, offset, lines, mtime_ns FROM files"
            for prefix in wanted:
                if not isinstance(stored_path(prefix), str):
                    continue  # (its files' paths are stored as bytes: in the query below)
                # Not a subfolder's (SQLite skips those rows: a session's subagents).
                direct = " AND instr(substr(path, ?), ?) = 0"
                if prefix:
                    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                    where = " WHERE path >= ? AND path < ?" + direct
                    args: tuple[object, ...] = (prefix, end, len(prefix) + 1, sep)
                else:  # the files directly in a root of "." (every text path, then)
                    where, args = " WHERE path < CAST('' AS BLOB)" + direct, (1, sep)
                for row in self.db.execute_sql(sql + where, args):
                    found[row[0]] = row
            # Paths that are not UTF-8 are stored as bytes, which SQLite sorts after text.
            for row in self.db.execute_sql(f"{sql} WHERE path >= CAST('' AS BLOB)"):
                path = loaded_path(row[0])
                if path[: path.rfind(sep) + 1] in wanted:
                    found[path] = (path, *row[1:])
        return found

    def sessions(self) -> dict[str, SessionMeta]:
        """Session metadata by id."""
        with translated(self.path):
            cursor = self.db.execute_sql(
                "SELECT session_id, name, tags, description, project_path FROM sessions"
            )
            return {row[0]: SessionMeta(*row) for row in cursor}

    def projects(self) -> dict[str, str]:
        """Each session's project folder ('' if none): what every start needs of `sessions`."""
        with translated(self.path):
            # Two columns straight into a dict: no SessionMeta per session on every start.
            return dict(self.db.execute_sql("SELECT session_id, project_path FROM sessions"))

    # -- writes ------------------------------------------------------------------------

    def write(
        self,
        entries: Iterable[Entry] | Mapping[str, Entry] = (),
        files: Iterable[FileState] = (),
        resets: Iterable[ResetNotice] = (),
        projects: Mapping[str, str] | None = None,
        forget_files: Iterable[str] = (),
    ) -> None:
        """Store new or replaced responses (or a dict of them by key), read positions and
        resets in one transaction."""
        # The last change per key is the winner; sorted keys make B-tree inserts sequential.
        latest = entries if isinstance(entries, Mapping) else {e.key: e for e in entries}
        by_key = sorted(latest.values(), key=itemgetter(0))  # faster than sorting keys
        # Entry's fields up to request_id, made one at a time as SQLite takes them (a list
        # of 150K row tuples was a third of a first scan's peak memory); see UPSERT_SQL
        # for the cost's '' and the flag's int.
        rows = (
            (k, t, s, m, i, o, c5, c1, cr, w, sp, g, "" if c is None else c, 1 if sc else 0, mi, r)
            for k, t, s, m, i, o, c5, c1, cr, w, sp, g, c, sc, mi, r, _ in by_key
        )  # fmt: skip
        file_rows = [
            (stored_path(f.path), f.device, f.inode, f.size, f.offset, f.lines, f.mtime_ns)
            for f in files
        ]
        gone = [(stored_path(p),) for p in forget_files]
        reset_rows = [(r.timestamp, r.resets_at) for r in resets]
        with self.writing():
            cursor = self.db.cursor()
            if by_key:
                with indexes_after(cursor, len(by_key)):
                    cursor.executemany(UPSERT_SQL, rows)
            if file_rows:
                write_positions(cursor, file_rows)
            if gone:
                cursor.executemany("DELETE FROM files WHERE path = ?", gone)
            if reset_rows:
                cursor.executemany("INSERT OR IGNORE INTO resets VALUES (?, ?)", reset_rows)
            if projects:
                cursor.executemany(self._session_sql, list(projects.items()))
            if by_key or reset_rows:
                # A response or reset at t can change the block holding t and later ones
                # (an empty cache, as in a first scan, spares a pass over every time).
                if cursor.execute("SELECT 1 FROM block_cache LIMIT 1").fetchone():
                    changed = [r[0] for r in reset_rows]
                    if by_key:
                        # In the dict's order: walking 100K responses in key order
                        # (scattered in memory) took ten times as long.
                        changed.append(min(map(itemgetter(1), latest.values())))
                    # `last` too: a notice can end a block before its opening response.
                    drop = "DELETE FROM block_cache WHERE end >= :t OR last >= :t"
                    cursor.execute(drop, {"t": min(changed)})
                write_mark.stamp(self)  # live views elsewhere: someone counted

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
        if self.readonly:
            raise LedgerReadOnly(f"the ledger {self.path} is read-only; the name was not saved")
        with self.writing():
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
        with self.writing():
            a.insert(block_start=block_start, kind=kind, fired_at=at).on_conflict_ignore().execute()

    def close(self) -> None:
        """Close the connection (WAL is checkpointed by SQLite on the last close), after
        the checkpoints running on threads (adapters/wal_checkpoint.py)."""
        while self.threads:
            self.threads.pop().join()
        if not self.db.is_closed():
            self.db.close()
