"""The ledger never moves, replaces or chmods what the app did not create (issue 8)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from tests.adapters.ledger_cases import cli, counts, filled, siblings, transcripts
from tray_app.adapters import ledger_file
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import LedgerRefused
from tray_app.adapters.ledger_file import APPLICATION_ID, Kind, identify
from tray_app.adapters.locations import private_dir
from tray_app.cli.environment import ExitStatus


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_folder_at_the_ledger_path_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "stuff"
    folder.mkdir(mode=0o755)
    (folder / "mine.txt").write_text("keep")
    root = transcripts(tmp_path / "projects")
    code, _, err = cli(["status", "--data-dir", str(root)], folder, tmp_path)
    assert code == ExitStatus.LEDGER
    assert err.count("\n") == 1 and "is a folder, not a Token Monitor ledger" in err
    assert folder.is_dir() and _mode(folder) == 0o755
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert siblings(folder) == ["stuff"]  # no stuff.corrupt-<time>


def test_a_text_file_is_refused_byte_for_byte(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"my own notes, not SQLite\n" * 50)
    notes.chmod(0o644)
    with pytest.raises(LedgerRefused, match="not a Token Monitor ledger"):
        Ledger.open(notes)
    assert notes.read_bytes() == b"my own notes, not SQLite\n" * 50
    assert _mode(notes) == 0o644 and siblings(notes) == ["notes.db"]


def test_another_apps_sqlite_file_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE contacts (name TEXT)")
        con.execute("INSERT INTO contacts VALUES ('ada')")
    con.close()
    before = other.read_bytes()
    root = transcripts(tmp_path / "projects")
    code, _, err = cli(["daily", "--data-dir", str(root)], other, tmp_path)
    assert code == ExitStatus.LEDGER and "not a Token Monitor ledger" in err
    assert other.read_bytes() == before and siblings(other) == ["other.sqlite"]
    stamped = tmp_path / "stamped.sqlite"
    with sqlite3.connect(stamped) as con:
        con.execute("PRAGMA application_id = 1234")
        con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    con.close()
    assert identify(stamped) is Kind.FOREIGN  # someone else's id wins over a look-alike


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "l.db"
    os.mkfifo(fifo)
    with pytest.raises(LedgerRefused, match="not a regular file"):
        Ledger.open(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_existing_folders_keep_their_mode_created_ones_are_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    root = transcripts(tmp_path / "projects")
    code, _, err = cli(["status", "--data-dir", str(root)], shared / "x", tmp_path)
    assert code == 0, err
    assert _mode(shared) == 0o1777 and _mode(shared / "x") == 0o600
    Ledger.open(home / "a" / "b" / "l.db").close()
    assert _mode(home) == 0o755
    assert _mode(home / "a") == 0o700 and _mode(home / "a" / "b") == 0o700
    assert _mode(home / "a" / "b" / "l.db") == 0o600


def test_private_dir_creates_missing_parents_0700_and_never_chmods(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        made = private_dir(tmp_path / "p" / "q")
    finally:
        os.umask(old)
    assert made == tmp_path / "p" / "q"
    assert _mode(tmp_path / "p") == 0o700 and _mode(made) == 0o700
    made.chmod(0o750)
    private_dir(made)
    assert _mode(made) == 0o750
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError):
        private_dir(tmp_path / "f")


def test_a_ledger_made_before_the_application_id_is_still_ours(tmp_path: Path) -> None:
    root = transcripts(tmp_path / "projects")
    db = filled(root, tmp_path / "l.db")
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA application_id = 0")  # as the earlier versions left it
    con.close()
    assert identify(db) is Kind.OURS
    ledger = Ledger.open(db)
    assert ledger.recovered_to is None and ledger.notes == []
    assert ledger.sessions()["s1"].name == "refactor"
    ledger.close()
    assert int.from_bytes(db.read_bytes()[68:72], "big") == APPLICATION_ID


def _damage_page(db: Path, table: str) -> None:
    with sqlite3.connect(db) as con:
        page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        root = page.fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(db, "r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\xff" * size)


def test_recovery_says_exactly_what_was_salvaged(tmp_path: Path) -> None:
    root = transcripts(tmp_path / "projects", n=3)
    db = filled(root, tmp_path / "l.db")
    _damage_page(db, "block_cache")  # SQLite: "database disk image is malformed"
    ledger = Ledger.open(db)
    assert ledger.recovered_to is not None and ledger.recovered_to.exists()
    assert ledger.salvaged is not None and ledger.salvaged.responses == 3
    (note,) = ledger.notes
    assert "malformed" in note and "salvaged 1 session name and 3 responses" in note
    assert ledger.sessions()["s1"].name == "refactor"
    ledger.close()
    assert _mode(db) == 0o600


def test_a_ledger_with_its_header_gone_says_nothing_was_salvaged(tmp_path: Path) -> None:
    root = transcripts(tmp_path / "projects")
    db = filled(root, tmp_path / "l.db")
    with open(db, "r+b") as handle:
        handle.write(b"not a database at all" * 10)  # header and page 1's b-tree header
    assert identify(db) is Kind.DAMAGED  # our table definition is still in page 1
    code, _, err = cli(["status", "--data-dir", str(root)], db, tmp_path)
    assert code == 0
    assert "nothing could be salvaged" in err and "salvaged 1" not in err
    assert counts(db) == (2, [])  # rebuilt from the transcripts; the name was lost


def test_recoveries_never_overwrite_an_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_file.time, "strftime", lambda _fmt: "20260101T000000")
    root = transcripts(tmp_path / "projects")
    db = tmp_path / "l.db"
    earlier = tmp_path / "l.db.corrupt-20260101T000000"
    earlier.write_bytes(b"an earlier recovery")
    kept: list[bytes] = []
    for _ in range(2):
        filled(root, db)
        _damage_page(db, "block_cache")
        kept.append(db.read_bytes())
        Ledger.open(db).close()
    assert earlier.read_bytes() == b"an earlier recovery"
    assert (tmp_path / "l.db.corrupt-20260101T000000-1").read_bytes() == kept[0]
    assert (tmp_path / "l.db.corrupt-20260101T000000-2").read_bytes() == kept[1]


def test_a_zero_length_ledger_is_reported_not_silently_recreated(tmp_path: Path) -> None:
    root = transcripts(tmp_path / "projects")
    db = tmp_path / "l.db"
    db.write_bytes(b"")
    db.chmod(0o640)  # the user's file: its mode stays
    code, _, err = cli(["status", "--data-dir", str(root)], db, tmp_path)
    assert code == 0
    assert "was empty" in err and "started afresh" in err
    assert counts(db) == (2, []) and _mode(db) == 0o640
    assert siblings(db) == ["l.db"]  # nothing moved aside, no temp file left


def test_a_new_ledger_appears_complete_or_not_at_all(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    Ledger.open(db).close()
    assert identify(db) is Kind.OURS and siblings(db) == ["l.db"]
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.close()
    assert {"responses", "files", "sessions", "meta"} <= tables


def test_temp_ledgers_of_dead_processes_are_swept_live_ones_kept(tmp_path: Path) -> None:
    gone_pid = subprocess.Popen(["true"])
    gone_pid.wait()
    db = tmp_path / "l.db"
    stale = tmp_path / f".l.db.new-{gone_pid.pid}-abcdef"
    live = tmp_path / f".l.db.new-{os.getppid()}-123456"
    other = tmp_path / f".l.db.new-{gone_pid.pid}-notours"
    for p in (stale, live, other):
        p.write_bytes(b"")
    Ledger.open(db).close()
    assert not stale.exists() and live.exists() and other.exists()


def test_doctor_diagnoses_a_refused_ledger_instead_of_failing(tmp_path: Path) -> None:
    folder = tmp_path / "stuff"
    folder.mkdir(mode=0o755)
    root = transcripts(tmp_path / "projects")
    code, out, err = cli(["doctor", "--data-dir", str(root)], folder, tmp_path)
    assert code == 0, err
    assert any("is a folder, not a Token Monitor ledger" in line for line in out.splitlines())
    assert list(folder.iterdir()) == [] and _mode(folder) == 0o755


def test_a_damaged_ledger_moves_aside_with_its_wal_and_the_wal_is_salvaged(
    tmp_path: Path,
) -> None:
    root = transcripts(tmp_path / "projects")
    db = filled(root, tmp_path / "l.db")
    _damage_page(db, "block_cache")
    # A name committed only to the WAL (no checkpoint), as after a crash.
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute("UPDATE sessions SET name = 'from-the-wal' WHERE session_id = 's1'")
    con.commit()
    crash = tmp_path / "crash"
    crash.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{db}{suffix}", crash / f"l.db{suffix}")
    con.close()
    copy = crash / "l.db"
    ledger = Ledger.open(copy)
    assert ledger.recovered_to is not None
    assert Path(f"{ledger.recovered_to}-wal").stat().st_size > 0
    assert ledger.sessions()["s1"].name == "from-the-wal"
    assert "salvaged 1 session name" in ledger.notes[0]
    ledger.close()


def test_a_dangling_symlink_is_refused_and_its_target_not_created(tmp_path: Path) -> None:
    link = tmp_path / "l.db"
    link.symlink_to(tmp_path / "elsewhere" / "target.db")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(LedgerRefused, match="broken symbolic link"):
        Ledger.open(link)
    assert link.is_symlink() and list((tmp_path / "elsewhere").iterdir()) == []
    assert siblings(link) == ["l.db"]
