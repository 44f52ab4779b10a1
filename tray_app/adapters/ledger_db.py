"""The ledger's SQLite connection: what the ledger asks of peewee's database, on sqlite3.

Every command opens the ledger, and importing peewee (with the modules it pulls in: uuid,
socket, decimal) cost 25-35 ms of a ~110 ms report. The ledger's own SQL is plain
statements in one write transaction with savepoints inside, so this class does what
peewee's `SqliteDatabase` did for it, with the same semantics: a connection per thread
(opened on first use), `atomic()` as BEGIN or a savepoint when nested, rolled back on
an exception. peewee is loaded only for the ledger's models (`peewee()`): creating
missing tables and the few writes made through them.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


class _State(threading.local):
    """One thread's connection and how deep its `atomic()` blocks are nested."""

    conn: sqlite3.Connection | None = None
    depth: int = 0


class LedgerDb:
    """An SQLite database: a connection per thread, transactions by `atomic()`."""

    def __init__(
        self,
        database: str,
        pragmas: Mapping[str, object] | None = None,
        timeout: float = 5.0,
        check_same_thread: bool = True,
        factory: type[sqlite3.Connection] = sqlite3.Connection,
    ) -> None:
        self.database = database
        self.pragmas = dict(pragmas or {})
        self.timeout = timeout
        self.check_same_thread = check_same_thread
        self.factory = factory
        self._state = _State()
        self._view: Any = None  # the peewee database the models use (peewee())

    def connect(self) -> None:
        """Open this thread's connection (an error if it is open)."""
        if self._state.conn is not None:
            raise sqlite3.OperationalError("connection already opened")
        conn = sqlite3.connect(
            self.database, timeout=self.timeout, isolation_level=None,
            check_same_thread=self.check_same_thread, factory=self.factory,
        )  # fmt: skip
        try:
            for name, value in self.pragmas.items():
                conn.execute(f"PRAGMA {name} = {value}")
        except BaseException:
            conn.close()
            raise
        self._state.conn = conn

    def close(self) -> bool:
        """Close this thread's connection; False when it was not open."""
        state = self._state
        if state.conn is None:
            return False
        if state.depth:
            raise sqlite3.OperationalError("closing the ledger inside a transaction")
        conn, state.conn = state.conn, None
        conn.close()
        return True

    def is_closed(self) -> bool:
        """Whether this thread has no open connection."""
        return self._state.conn is None

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        if self._state.conn is None:
            self.connect()
        conn = self._state.conn
        assert conn is not None
        return conn

    def cursor(self) -> sqlite3.Cursor:
        """A cursor on this thread's connection."""
        return self.connection().cursor()

    def execute_sql(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> sqlite3.Cursor:
        """Run one statement; its cursor holds any rows."""
        cursor = self.connection().cursor()
        cursor.execute(sql, params or ())
        return cursor

    def in_transaction(self) -> bool:
        """Whether this thread is inside `atomic()`."""
        return self._state.depth > 0

    @contextlib.contextmanager
    def atomic(self, lock: str = "") -> Iterator[LedgerDb]:
        """A transaction (`BEGIN <lock>`), or a savepoint inside one: committed when the
        block ends, rolled back when it raises (a failed rollback chains to the cause)."""
        conn, state = self.connection(), self._state
        if state.depth:
            name = f'"tm{state.depth}"'
            conn.execute(f"SAVEPOINT {name}")
            state.depth += 1
            try:
                yield self
            except BaseException:
                state.depth -= 1
                if conn.in_transaction:  # SQLite may have rolled everything back already
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            state.depth -= 1
            conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        conn.execute(f"BEGIN {lock}")
        state.depth = 1
        try:
            yield self
        except BaseException:
            state.depth = 0
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        state.depth = 0
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def peewee(self) -> Any:
        """A peewee database on these very connections, for the ledger's models."""
        if self._view is None:
            self._view = _peewee_view(self)
        return self._view


def _peewee_view(db: LedgerDb) -> Any:
    import peewee as pw  # here: only model work needs it

    class Shared(pw.SqliteDatabase):  # (peewee ships no hints: an untyped base)
        """peewee's statements on the ledger's connection of the calling thread."""

        def connection(self) -> sqlite3.Connection:
            return db.connection()

        def cursor(self, named_cursor: object = None) -> sqlite3.Cursor:
            return db.cursor()

        def is_closed(self) -> bool:
            return db.is_closed()

        def close(self) -> bool:
            return False  # the connections are the ledger's: it closes them

        def in_transaction(self) -> bool:
            return db.in_transaction()

    return Shared(db.database)
