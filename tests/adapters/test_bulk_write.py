"""A bulk write builds the time index and position counts after its rows, in its transaction."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tray_app.adapters import bulk_write
from tray_app.adapters.block_cache import TIME_INDEX
from tray_app.adapters.ledger import FileState, Ledger, LedgerError
from tray_app.adapters.ledger_recovery import INSERT_TRIGGER
from tray_app.usage.model import Entry


def _entries(n: int, start: int = 0) -> list[Entry]:
    # Keys and times in opposite orders: the index cannot follow the table's order.
    return [Entry(f"k{i:05d}", 1e9 - i, "s", "m", output_tokens=i) for i in range(start, start + n)]


def _opened(tmp_path: Path) -> tuple[Ledger, list[str]]:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.db.execute_sql(TIME_INDEX)
    statements: list[str] = []
    ledger.db.connection().set_trace_callback(statements.append)
    return ledger, statements


def _state(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], str, str]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT key, ts, output FROM responses ORDER BY key").fetchall()
        indexes = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'responses' AND type = 'index'"
        ).fetchall()
        plan = con.execute(
            "EXPLAIN QUERY PLAN SELECT key FROM responses WHERE ts >= 5 ORDER BY ts"
        ).fetchall()[-1][-1]
        return rows, indexes, plan, con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def bulk_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Ledger, list[str]]:
    """`_opened` in tmp_path, where a write of 10 responses or more is a bulk write."""
    monkeypatch.setattr(bulk_write, "BULK_ROWS", 10)
    return _opened(tmp_path)


def _dropped(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("DROP INDEX")]


def _failing(n: int, start: int = 0) -> list[Entry]:
    """n responses, then one whose NULL time breaks the table's NOT NULL rule."""
    return [*_entries(n, start), Entry("k00017x", None, "s", "m")]  # type: ignore[arg-type]


def _intact(db: Path) -> list[tuple[object, ...]]:
    """The stored rows, after checking the time index is there, used and sound."""
    rows, indexes, plan, check = _state(db)
    assert len(indexes) == 1 and "responses_ts" in plan and check == "ok"
    return rows


def test_a_bulk_write_into_an_empty_ledger_builds_the_time_index_after_the_rows(
    tmp_path: Path, bulk_ledger: tuple[Ledger, list[str]]
) -> None:
    ledger, statements = bulk_ledger
    ledger.write(_entries(30))
    assert _dropped(statements) == ['DROP INDEX "responses_ts"']
    assert statements.index(TIME_INDEX.replace(" IF NOT EXISTS", "")) > next(
        i for i, s in enumerate(statements) if s.startswith("INSERT INTO responses")
    )
    ledger.close()
    assert _intact(tmp_path / "l.db") == [(f"k{i:05d}", 1e9 - i, i) for i in range(30)]
    assert _state(tmp_path / "l.db")[1] == [
        ("responses_ts", "CREATE INDEX responses_ts ON responses (ts)")
    ]


def test_small_writes_and_writes_into_a_fuller_table_keep_the_index_up_row_by_row(
    tmp_path: Path, bulk_ledger: tuple[Ledger, list[str]]
) -> None:
    ledger, statements = bulk_ledger
    ledger.write(_entries(9))  # below BULK_ROWS
    ledger.write(_entries(21, 9))  # 30 stored after it: 9 before, at most twice 21
    assert len(_dropped(statements)) == 1
    ledger.write(_entries(14, 30))  # 30 stored > twice 14
    ledger.write(_entries(15, 44))  # 44 stored > twice 15
    ledger.write(_entries(30, 59))  # 59 stored <= twice 30
    assert len(_dropped(statements)) == 2
    ledger.close()
    assert _intact(tmp_path / "l.db") == [(f"k{i:05d}", 1e9 - i, i) for i in range(89)]


def test_a_failed_bulk_write_leaves_the_index_and_the_rows_as_they_were(
    tmp_path: Path, bulk_ledger: tuple[Ledger, list[str]]
) -> None:
    ledger, statements = bulk_ledger
    ledger.write(_entries(5))
    with pytest.raises(LedgerError):
        ledger.write(_failing(20, 5))
    assert len(_dropped(statements)) == 1  # it was dropped, and rolled back
    ledger.close()
    assert _intact(tmp_path / "l.db") == [(f"k{i:05d}", 1e9 - i, i) for i in range(5)]


@pytest.mark.parametrize(
    ("bulk", "stored", "new", "rebuilt"),
    [(10, 0, 10, True), (11, 0, 10, False), (10, 20, 10, True), (10, 21, 10, False)],
)
def test_the_bounds_are_inclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: int, stored: int, new: int, rebuilt: bool
) -> None:
    monkeypatch.setattr(bulk_write, "BULK_ROWS", bulk)
    ledger, statements = _opened(tmp_path)
    if stored:
        ledger.write(_entries(stored, 1000))
    statements.clear()
    ledger.write(_entries(new))
    assert bool(_dropped(statements)) is rebuilt
    ledger.close()
    assert _state(tmp_path / "l.db")[3] == "ok"


def test_a_bulk_write_rolled_back_inside_an_outer_transaction_keeps_the_index(
    tmp_path: Path, bulk_ledger: tuple[Ledger, list[str]]
) -> None:
    ledger, statements = bulk_ledger
    with ledger.writing():  # as Engine.flush: the write is a savepoint inside it
        ledger.write(_entries(3, 100))
        with pytest.raises(LedgerError):
            ledger.write(_failing(20))
        ledger.write(_entries(12, 200))  # dropped and rebuilt again, then committed
    assert len(_dropped(statements)) == 2
    ledger.close()
    rows = _intact(tmp_path / "l.db")
    assert [r[0] for r in rows] == [f"k{i:05d}" for i in (*range(100, 103), *range(200, 212))]


def test_a_read_still_open_on_the_connection_keeps_the_index_up_row_by_row(
    tmp_path: Path, bulk_ledger: tuple[Ledger, list[str]]
) -> None:
    # SQLite refuses to drop a table's index while a read of it is open ("table is
    # locked"): the write goes on with the index kept up, as below the bulk bound.
    ledger, statements = bulk_ledger
    ledger.write(_entries(5))
    reading = ledger.db.execute_sql("SELECT key FROM responses ORDER BY ts")
    assert reading.fetchone() is not None
    ledger.write(_entries(20, 5))
    assert _dropped(statements) == ['DROP INDEX "responses_ts"']  # tried, refused
    assert not [s for s in statements if s.startswith("CREATE INDEX")]
    assert len(reading.fetchall()) >= 4
    ledger.close()
    assert len(_intact(tmp_path / "l.db")) == 25


def _positions(paths: list[str], size: int) -> list[FileState]:
    return [FileState(p, 1, i, size, size, 3, 7) for i, p in enumerate(paths)]


def _counts(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], object]:
    con = sqlite3.connect(db)
    try:
        files = con.execute("SELECT * FROM files ORDER BY path").fetchall()
        folders = con.execute("SELECT folder, n FROM folder_writes ORDER BY folder").fetchall()
        writes = con.execute("SELECT value FROM meta WHERE key = 'files_writes'").fetchone()[0]
        return files, folders, writes
    finally:
        con.close()


def test_many_positions_count_their_folders_as_the_trigger_does_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Folders of one and many files, a name longer than 256 characters, a name that is
    # not UTF-8 (stored as bytes: counted in meta), and positions written over again.
    paths = [f"/h/.claude/projects/-p{i % 3}/s{i}.jsonl" for i in range(9)]
    paths += ["/h/long/" + "n" * 300 + ".jsonl", os.fsdecode(b"/h/odd/\xff.jsonl"), "/h/x.jsonl"]
    got: list[object] = []
    for bound in (5, 10_000):  # set aside, and the trigger's own counting
        monkeypatch.setattr(bulk_write, "POSITION_ROWS", bound)
        (tmp_path / str(bound)).mkdir()
        ledger, statements = _opened(tmp_path / str(bound))
        start = ledger.db.execute_sql("SELECT value FROM meta WHERE key = 'files_writes'")
        first = start.fetchone()[0]
        ledger.write(files=_positions(paths[:6], 10))
        ledger.write(files=[*_positions(paths, 20), *_positions(paths[:1], 21)])  # s0 twice
        ledger.write(files=_positions(paths[:2], 30))  # few: the trigger counts
        ledger.close()
        set_aside = [s for s in statements if s.startswith("DROP TRIGGER")]
        assert len(set_aside) == (2 if bound == 5 else 0)
        files, folders, writes = _counts(tmp_path / str(bound) / "l.db")
        got.append((files, folders, int(str(writes)) - int(first)))
    assert got[0] == got[1]
    files, folders, extra = got[0]
    assert len(files) == 12 and extra == 1  # the bytes path, written once
    assert ("/h/.claude/projects/-p0/", 2 + 4 + 1) in folders  # s0 s3, s0 s3 s6 s0, s0


def test_a_failed_write_of_many_positions_keeps_the_trigger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_write, "POSITION_ROWS", 5)
    ledger, statements = _opened(tmp_path)
    bad = [
        *_positions([f"/h/p/s{i}" for i in range(8)], 10),
        FileState("/h/q", 1, 1, None, 1, 1, 1),
    ]  # type: ignore[arg-type]
    with pytest.raises(LedgerError):
        ledger.write(files=bad)
    assert [s for s in statements if s.startswith("DROP TRIGGER")]  # set aside, rolled back
    ledger.close()
    con = sqlite3.connect(tmp_path / "l.db")
    try:
        triggers = {
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        assert INSERT_TRIGGER in triggers
        assert con.execute("SELECT count(*) FROM files").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM folder_writes").fetchone()[0] == 0
    finally:
        con.close()
