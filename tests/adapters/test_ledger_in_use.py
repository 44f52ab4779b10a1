"""A second open of the ledger in the same process must not cost the first its SQLite locks.

The tray's aggregator keeps the ledger open; its model, budget and dashboard threads open
it again. Opening once read the header with a plain file descriptor, whose close dropped
the process's POSIX locks: the next CLI run then deleted the -wal file on exit and the
tray's later writes (a rename from the menu) were seen by no one until it quit.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_file import Kind, identify
from tray_app.adapters.ledger_in_use import in_use

SESSION = "s-0000"


def _name_seen_by_another_process(db: Path) -> str:
    """What a separate process (like `token-monitor sessions`) reads, then closes."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "print(c.execute('SELECT name FROM sessions WHERE session_id = ?', (sys.argv[2],))"
        ".fetchone()[0]); c.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), SESSION], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _open_and_close_on_another_thread(db: Path) -> None:
    """What the tray's model-auto thread does with the ledger the aggregator holds."""
    failures: list[BaseException] = []

    def work() -> None:
        try:
            other = Ledger.open(db)
            other.sessions()
            other.close()
        except BaseException as exc:  # reported on the test's thread
            failures.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert not failures, failures


def test_a_write_after_a_second_open_and_a_cli_run_is_seen_by_others(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    tray = Ledger.open(db)
    try:
        tray.name_session(SESSION, "first")
        _open_and_close_on_another_thread(db)
        assert _name_seen_by_another_process(db) == "first"  # this run closes the ledger
        tray.name_session(SESSION, "Big refactor")
        # Before the fix the -wal file was gone here and others still read "first".
        assert Path(f"{db}-wal").exists()
        assert _name_seen_by_another_process(db) == "Big refactor"
        assert sqlite3.connect(db).execute("SELECT name FROM sessions").fetchall() == [
            ("Big refactor",)
        ]
    finally:
        tray.close()
    assert _name_seen_by_another_process(db) == "Big refactor"


def test_the_file_is_listed_while_any_thread_has_it_open(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    ledger = Ledger.open(db)
    assert in_use(db, db.stat())
    assert identify(db) is Kind.OURS
    ledger.close()
    assert not in_use(db, db.stat())
    assert identify(db) is Kind.OURS  # read from the file again, as before


def test_a_foreign_file_is_still_refused_while_our_ledger_is_open(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "ledger.db")
    try:
        foreign = tmp_path / "other.db"
        con = sqlite3.connect(foreign)
        con.execute("PRAGMA application_id = 7")
        con.execute("CREATE TABLE t (x)")
        con.close()
        assert identify(foreign) is Kind.FOREIGN  # only the open file's own inode is skipped
    finally:
        ledger.close()


def test_a_new_file_that_reuses_a_listed_inode_is_not_taken_for_ours(tmp_path: Path) -> None:
    """Before, only (device, inode) was listed: a deleted ledger whose connection was never
    closed made someone else's new file with the same inode count as ours."""
    db = tmp_path / "gone.db"
    ledger = Ledger.open(db)
    st = db.stat()
    other = tmp_path / "theirs.sqlite"
    assert in_use(db, st) and not in_use(other, st)  # same inode numbers, another file
    ledger.close()
