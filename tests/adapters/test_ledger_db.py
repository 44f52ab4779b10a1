"""The ledger's connection keeps peewee's semantics: a connection per thread, `atomic()` as
a transaction or a savepoint, everything rolled back on an exception."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tray_app.adapters.ledger_db import LedgerDb


def _db(path: Path, busy_ms: int = 5000) -> LedgerDb:
    db = LedgerDb(str(path), pragmas={"journal_mode": "wal", "busy_timeout": busy_ms},
                  timeout=busy_ms / 1000, check_same_thread=False)  # fmt: skip
    db.connect()
    db.execute_sql("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
    return db


def _values(db: LedgerDb) -> list[int]:
    return [v for (v,) in db.execute_sql("SELECT v FROM t ORDER BY v")]


def test_a_failed_inner_block_rolls_back_only_itself(tmp_path: Path) -> None:
    db = _db(tmp_path / "l.db")
    with db.atomic("IMMEDIATE"):
        db.execute_sql("INSERT INTO t VALUES (1)")
        with pytest.raises(ZeroDivisionError), db.atomic():
            db.execute_sql("INSERT INTO t VALUES (2)")
            assert db.in_transaction()
            _ = 1 / 0
        db.execute_sql("INSERT INTO t VALUES (3)")
    assert not db.in_transaction()
    assert _values(db) == [1, 3]


def test_a_failed_outer_block_rolls_back_everything(tmp_path: Path) -> None:
    db = _db(tmp_path / "l.db")
    with pytest.raises(KeyError), db.atomic("IMMEDIATE"):
        db.execute_sql("INSERT INTO t VALUES (1)")
        with db.atomic():
            db.execute_sql("INSERT INTO t VALUES (2)")
        raise KeyError("x")
    assert _values(db) == [] and not db.connection().in_transaction


def test_a_commit_that_fails_is_rolled_back_and_raised(tmp_path: Path) -> None:
    db = _db(tmp_path / "l.db")
    db.execute_sql("PRAGMA foreign_keys = ON")
    db.execute_sql("CREATE TABLE p (id INTEGER PRIMARY KEY)")
    db.execute_sql("CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(sqlite3.IntegrityError), db.atomic("IMMEDIATE"):
        db.execute_sql("INSERT INTO c VALUES (7)")  # checked only at COMMIT
    assert not db.connection().in_transaction and not db.in_transaction()
    assert db.execute_sql("SELECT COUNT(*) FROM c").fetchone() == (0,)


def test_immediate_takes_the_write_lock_up_front(tmp_path: Path) -> None:
    db, other = _db(tmp_path / "l.db"), _db(tmp_path / "l.db", busy_ms=50)
    with db.atomic("IMMEDIATE"):
        with pytest.raises(sqlite3.OperationalError) as err, other.atomic("IMMEDIATE"):
            pass
        assert err.value.sqlite_errorcode & 0xFF == 5  # SQLITE_BUSY
    with other.atomic("IMMEDIATE"):
        other.execute_sql("INSERT INTO t VALUES (1)")
    assert _values(db) == [1]


def test_each_thread_has_its_own_connection_and_transaction(tmp_path: Path) -> None:
    db = _db(tmp_path / "l.db")
    seen: list[object] = []

    def work() -> None:
        seen.append(db.connection())
        seen.append(db.in_transaction())
        db.close()

    with db.atomic("IMMEDIATE"):
        thread = threading.Thread(target=work, name="test-ledger-db")
        thread.start()
        thread.join()
    assert seen[0] is not db.connection() and seen[1] is False
    assert not db.is_closed()  # the other thread closed only its own


def test_closing_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path / "l.db")
    with db.atomic("IMMEDIATE"), pytest.raises(sqlite3.OperationalError):
        db.close()
    assert db.close() is True and db.is_closed() and db.close() is False
    db.connect()
    with pytest.raises(sqlite3.OperationalError):
        db.connect()  # already open
