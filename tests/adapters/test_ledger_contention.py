"""A locked, full, read-only or moved-aside ledger is never mistaken for a damaged one."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.ledger_cases import (
    cli,
    counts,
    filled,
    siblings,
    transcripts,
    write_lock,
)
from tests.builders import entry
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import (
    LedgerBusy,
    LedgerFull,
    LedgerIOError,
    LedgerReadOnly,
    classify,
    sqlite_code,
)
from tray_app.cli.environment import ExitStatus


def test_a_held_write_lock_is_waited_for_then_exit_5_and_nothing_moves(tmp_path: Path) -> None:
    root = transcripts(tmp_path / "projects")
    db = filled(root, tmp_path / "l.db")
    transcripts(root, n=2, start=10)  # new responses: the run must write
    with write_lock(db):
        started = time.monotonic()
        code, _, err = cli(["status", "--data-dir", str(root)], db, tmp_path)
        waited = time.monotonic() - started
    assert code == ExitStatus.LEDGER and "locked by another process" in err
    assert waited >= 4.5  # the busy timeout (5 s) applied: BEGIN IMMEDIATE waited
    assert siblings(db) == ["l.db"] and counts(db) == (2, ["refactor"])
    code, _, err = cli(["status", "--data-dir", str(root)], db, tmp_path)
    assert code == 0, err
    assert counts(db) == (4, ["refactor"])


def test_a_lock_released_within_the_timeout_lets_the_write_through(tmp_path: Path) -> None:
    root = transcripts(tmp_path / "projects")
    db = filled(root, tmp_path / "l.db")
    ledger = Ledger.open(db, busy_ms=10_000)
    with write_lock(db) as holder:
        assert holder.stdin is not None
        release = threading.Timer(0.5, lambda: (holder.stdin.write("\n"), holder.stdin.flush()))
        release.start()
        ledger.write([entry(key="late", minutes=5)])
        release.join()
    ledger.close()
    assert counts(db)[0] == 3


def test_a_busy_write_raises_ledger_busy_not_a_recovery(tmp_path: Path) -> None:
    db = filled(transcripts(tmp_path / "projects"), tmp_path / "l.db")
    ledger = Ledger.open(db, busy_ms=200)  # an existing complete ledger: no lock to open
    with write_lock(db), pytest.raises(LedgerBusy):
        ledger.name_session("s1", "other")
    ledger.close()
    assert counts(db) == (2, ["refactor"]) and siblings(db) == ["l.db"]


def test_sqlite_full_says_disk_full_and_keeps_the_ledger(tmp_path: Path) -> None:
    db = filled(transcripts(tmp_path / "projects"), tmp_path / "l.db")
    ledger = Ledger.open(db)
    pages = ledger.db.execute_sql("PRAGMA page_count").fetchone()[0]
    ledger.db.execute_sql(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL on growth
    many = [entry(key=f"k{i:05}", minutes=i) for i in range(3000)]
    with pytest.raises(LedgerFull, match=r"^disk full"):
        ledger.write(many)
    ledger.close()
    assert counts(db) == (2, ["refactor"]) and siblings(db) == ["l.db"]


def test_io_errors_are_told_apart_from_corruption() -> None:
    err = sqlite3.OperationalError("disk I/O error")
    err.sqlite_errorcode = 10 | (3 << 8)  # SQLITE_IOERR_WRITE
    assert sqlite_code(err) == 10
    assert isinstance(classify(err, Path("/nonexistent/dir/l.db")), LedgerIOError)
    corrupt = sqlite3.DatabaseError("database disk image is malformed")
    corrupt.sqlite_errorcode = 11
    assert sqlite_code(RuntimeError(corrupt)) == 11  # wrapped, as peewee does


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB tmpfs (root only), unmounted afterwards."""
    where = tmp_path / "mnt"
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(where)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(directory: Path) -> None:
    """Write zeros until the file system says it is full."""
    fd = os.open(directory / "filler", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_full_tmpfs_says_disk_full_exit_5_and_loses_nothing(tmp_path: Path, tmpfs: Path) -> None:
    root = transcripts(tmp_path / "projects")
    db = filled(root, tmpfs / "l.db")
    _fill(tmpfs)
    transcripts(root, n=300, start=100)
    for _ in range(2):  # the second run must not "recover" what the first left
        code, _, err = cli(["status", "--data-dir", str(root)], db, tmp_path)
        assert code == ExitStatus.LEDGER and "disk full" in err, err
    assert siblings(db) == ["l.db"]
    (tmpfs / "filler").unlink()
    assert counts(db) == (2, ["refactor"])
    code, _, err = cli(["status", "--data-dir", str(root)], db, tmp_path)
    assert code == 0, err
    assert counts(db) == (302, ["refactor"])


def test_a_read_only_file_system_still_answers_reports(tmp_path: Path, tmpfs: Path) -> None:
    root = transcripts(tmp_path / "projects")
    db = filled(root, tmpfs / "l.db")
    before = db.read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    transcripts(root, n=1, start=50)
    code, out, err = cli(["daily", "--json", "--data-dir", str(root)], db, tmp_path)
    assert code == 0, err
    assert "read-only file system" in err and "nothing new is saved" in err
    assert '"total_tokens"' in out
    code, _, err = cli(["name", "s1", "other", "--data-dir", str(root)], db, tmp_path)
    assert code == ExitStatus.LEDGER and "read-only" in err
    assert db.read_bytes() == before and siblings(db) == ["l.db"]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A filled ledger file the test process cannot write (chattr +i for root, else 0400)."""
    db = filled(transcripts(tmp_path / "projects"), tmp_path / "l.db")
    if os.geteuid() != 0:
        db.chmod(0o400)
        yield db
        return
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("root can write any file here and chattr +i is not supported")
    try:
        yield db
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=False)


def test_a_read_only_ledger_file_opens_as_a_copy(tmp_path: Path, read_only: Path) -> None:
    before = read_only.read_bytes()
    ledger = Ledger.open(read_only)
    assert ledger.readonly and "read-only file" in ledger.notes[0]
    assert ledger.sessions()["s1"].name == "refactor"
    ledger.write([entry(key="only-in-memory", minutes=3)])  # this run sees it, the file not
    assert len(ledger.load_entries()) == 3
    with pytest.raises(LedgerReadOnly):
        ledger.name_session("s1", "x")
    ledger.close()
    assert read_only.read_bytes() == before and siblings(read_only) == ["l.db"]


def test_a_writer_never_writes_into_a_file_moved_aside(tmp_path: Path) -> None:
    db = filled(transcripts(tmp_path / "projects"), tmp_path / "l.db")
    watch = Ledger.open(db)  # a long-running watch holding the ledger open
    aside = tmp_path / "l.db.corrupt-x"
    os.replace(db, aside)  # another process moved it aside and made a new one
    Ledger.open(db).close()
    watch.write([entry(key="after-the-move", minutes=1)])
    watch.name_session("s1", "renamed")
    watch.close()
    assert counts(aside) == (2, ["refactor"])  # untouched
    assert counts(db) == (1, ["renamed"])
