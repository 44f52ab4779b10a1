"""A large write commits without the log copy; a thread copies it beside the report."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tray_app.adapters import wal_checkpoint
from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.usage.model import Entry


def _entries(n: int) -> list[Entry]:
    # Long keys: a few thousand responses fill well over 1,000 pages of the log.
    return [Entry(f"k{i:06d}" + "x" * 400, float(i), "s", "m", output_tokens=i) for i in range(n)]


def _autocheckpoint(ledger: Ledger) -> int:
    return int(ledger.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0])


def test_the_commit_leaves_the_log_to_a_thread_joined_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "l.db"
    ledger = Ledger.open(db)
    seen: list[tuple[str, int, int]] = []
    copy = wal_checkpoint._checkpoint

    def watched(led: Ledger) -> None:
        before = db.stat().st_size  # the ledger file before the copy: the log holds the rows
        copy(led)
        seen.append((threading.current_thread().name, before, db.stat().st_size))

    monkeypatch.setattr(wal_checkpoint, "_checkpoint", watched)
    with wal_checkpoint.after_commit(ledger), ledger.writing():
        ledger.write(_entries(6000))
        assert _autocheckpoint(ledger) == 0
    assert _autocheckpoint(ledger) == wal_checkpoint.AUTO_PAGES
    assert [t.name for t in ledger.threads] == ["tm-checkpoint"]
    ledger.close()  # joins it first
    assert ledger.threads == []
    ((name, before, after),) = seen
    assert name == "tm-checkpoint"
    assert after > before + 2_000_000  # the thread copied the rows into the ledger file
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 6000
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_a_failed_write_starts_no_thread_and_turns_the_checkpoint_back_on(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    bad = [*_entries(10), Entry("z", None, "s", "m")]  # type: ignore[arg-type]
    with pytest.raises(LedgerError), wal_checkpoint.after_commit(ledger), ledger.writing():
        ledger.write(bad)
    assert ledger.threads == []
    assert _autocheckpoint(ledger) == wal_checkpoint.AUTO_PAGES
    ledger.close()


def test_a_checkpoint_that_cannot_run_is_left_for_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write(_entries(10))

    def refused(sql: str, params: object = ()) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(ledger.db, "execute_sql", refused)
    with caplog.at_level("INFO"):
        wal_checkpoint._checkpoint(ledger)  # no exception: the next commit or close copies
    assert "checkpoint left for later" in caplog.text
    assert ledger.db.is_closed()  # the (thread's) connection closed all the same
    monkeypatch.undo()
    assert len(ledger.load_entries()) == 10
    ledger.close()


def test_no_checkpoint_into_a_file_put_where_the_ledger_was(tmp_path: Path) -> None:
    # Another process moved the ledger aside between the commit and the thread: the thread
    # must not create (or copy into) whatever now has its name.
    db = tmp_path / "l.db"
    ledger = Ledger.open(db)
    ledger.write(_entries(10))
    db.rename(tmp_path / "moved.db")
    thread = threading.Thread(target=wal_checkpoint._checkpoint, args=(ledger,))
    thread.start()  # as after_commit does: a connection of the thread's own
    thread.join()
    assert not db.exists()
    ledger.close()


def test_a_read_only_copy_starts_no_thread(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.readonly = True
    with wal_checkpoint.after_commit(ledger):
        pass
    assert ledger.threads == []
    ledger.close()
