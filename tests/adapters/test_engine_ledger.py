"""The engine with its ledger: incremental reads, replaced files, kept history, recovery."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tests.builders import assistant, entry, user, write_jsonl
from tray_app.adapters.discovery import find_roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_recovery import salvage
from tray_app.adapters.scanner import Engine


def _engine(root: Path, db: Path) -> Engine:
    return Engine(find_roots([str(root)]), Ledger.open(db))


def _outputs(engine: Engine) -> dict[str, int]:
    return {e.key: e.output_tokens for e in engine.entries}


def test_second_run_reads_zero_bytes(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    write_jsonl(root / "p" / "s1.jsonl", [user(), assistant("msg_1", 5), assistant("msg_1", 50)])
    write_jsonl(root / "p" / "s2.jsonl", [assistant("msg_2", 7)])
    first = _engine(root, db).refresh()
    assert first.stats.files_read == 2 and first.stats.bytes_read > 0
    assert first.stats.new_responses == 2 and first.stats.replaced == 1  # 5 → 50
    engine = _engine(root, db)
    assert _outputs(engine) == {"msg_1": 50, "msg_2": 7}  # from the ledger alone
    again = engine.refresh()
    assert again.stats.bytes_read == 0 and again.stats.files_read == 0
    assert again.changes == []


def test_appended_lines_show_up_and_only_new_bytes_are_read(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    f = write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5)])
    _engine(root, db).refresh()
    before = f.stat().st_size
    write_jsonl(f, [assistant("msg_1", 80), assistant("msg_2", 3)], mode="a")
    engine = _engine(root, db)
    result = engine.refresh()
    assert result.stats.bytes_read == f.stat().st_size - before
    assert (result.stats.new_responses, result.stats.replaced) == (1, 1)
    assert _outputs(engine) == {"msg_1": 80, "msg_2": 3}
    assert _outputs(_engine(root, db)) == {"msg_1": 80, "msg_2": 3}  # persisted


def test_truncated_or_replaced_file_is_reread_safely(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    f = write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5), assistant("msg_2", 6)])
    _engine(root, db).refresh()
    write_jsonl(f, [assistant("msg_3", 1)])  # truncated: smaller than the stored offset
    engine = _engine(root, db)
    r = engine.refresh()
    assert r.stats.files_reset == 1
    assert _outputs(engine) == {"msg_1": 5, "msg_2": 6, "msg_3": 1}
    # Replaced by a new file (new inode) of larger size with old lines again: no doubles.
    tmp = root / "p" / "new.tmp"
    write_jsonl(tmp, [assistant("msg_3", 1), assistant("msg_1", 5), assistant("msg_4", 2), user()])
    os.replace(tmp, f)
    engine = _engine(root, db)
    r = engine.refresh()
    assert r.stats.files_reset == 1 and r.stats.new_responses == 1
    assert _outputs(engine) == {"msg_1": 5, "msg_2": 6, "msg_3": 1, "msg_4": 2}


def test_deleted_transcript_keeps_history(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    f = write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5, session="old")])
    write_jsonl(root / "p" / "s2.jsonl", [assistant("msg_2", 6, session="new")])
    _engine(root, db).refresh()
    f.unlink()  # Claude Code's 30-day cleanup
    engine = _engine(root, db)
    engine.refresh()
    assert _outputs(engine) == {"msg_1": 5, "msg_2": 6}
    assert str(f) not in engine.files


def test_resumed_copy_stays_with_the_original_session(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    old = write_jsonl(root / "p" / "orig.jsonl", [assistant("msg_1", 5, session="orig")])
    new = write_jsonl(
        root / "p" / "resumed.jsonl",
        [assistant("msg_1", 5, session="resumed"), assistant("msg_2", 9, session="resumed")],
    )
    os.utime(old, (1000, 1000))
    os.utime(new, (2000, 2000))
    engine = _engine(root, db)
    engine.refresh()
    sessions = {e.key: e.session_id for e in engine.entries}
    assert sessions == {"msg_1": "orig", "msg_2": "resumed"}


def test_corrupt_ledger_is_moved_aside_and_names_are_salvaged(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5, session="s1")])
    ledger = Ledger.open(db)
    Engine(find_roots([str(root)]), ledger).refresh()
    ledger.name_session("s1", "refactor")
    ledger.close()
    # Damage the tail of the file, where the data pages are, keep the header readable.
    size = db.stat().st_size
    with open(db, "r+b") as h:
        h.seek(size // 2)
        h.write(b"\x00garbage" * 1024)
    recovered = Ledger.open(db)
    # Either SQLite noticed at open (moved aside) or the pages with the names survived;
    # force the full path by clobbering the header too.
    recovered.close()
    with open(db, "r+b") as h:
        h.write(b"not a database at all" * 10)
    fresh = Ledger.open(db)
    assert fresh.recovered_to is not None and fresh.recovered_to.exists()
    assert fresh.recovered_to.name.startswith("l.db.corrupt-")
    assert (db.stat().st_mode & 0o777) == 0o600
    fresh.close()


def test_salvage_copies_names_and_history_from_a_readable_old_file(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5, session="s1")])
    ledger = Ledger.open(db)
    Engine(find_roots([str(root)]), ledger).refresh()
    ledger.name_session("s1", "refactor", tags="a,b")
    ledger.close()
    old = tmp_path / "old.db"
    os.replace(db, old)
    fresh = Ledger.open(db)
    salvage(old, fresh.db.connection())
    assert fresh.sessions()["s1"].name == "refactor"
    assert [e.key for e in fresh.load_entries()] == ["msg_1"]


def test_ledger_files_are_private(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "dir" / "l.db"
    Ledger.open(db).close()
    assert (db.stat().st_mode & 0o777) == 0o600
    assert (db.parent.stat().st_mode & 0o777) == 0o700
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_big_write_leaves_no_big_log_behind_without_a_close(tmp_path: Path) -> None:
    # The tray keeps the ledger open for days: the write-ahead log is cut back when the
    # next write resets it, instead of keeping a first scan's size until the tray quits.
    from tray_app.adapters.ledger_connect import WAL_KEPT_BYTES

    db = tmp_path / "l.db"
    ledger = Ledger.open(db)
    assert ledger.db.execute_sql("PRAGMA journal_size_limit").fetchone()[0] == WAL_KEPT_BYTES
    big = [entry(i / 60, key=f"msg_{i:06d}", session="s" * 200) for i in range(30_000)]
    ledger.write(big)  # ~10 MB of pages through the log, checkpointed at the commit
    assert Path(f"{db}-wal").stat().st_size > WAL_KEPT_BYTES
    ledger.write([entry(1e6, key="msg_last")])  # the next write resets the log: cut back
    assert Path(f"{db}-wal").stat().st_size <= WAL_KEPT_BYTES
    ledger.close()
