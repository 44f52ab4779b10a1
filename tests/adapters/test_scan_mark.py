"""A start with nothing new skips loading and comparing every read position, and only then."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import ledger_recovery, listing, roots_ledger, scan_mark, scan_plan, scanner
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import FileState, Ledger
from tray_app.adapters.scan_mark import Mark
from tray_app.adapters.scanner import Engine, ScanStats


def _start(root: Path, db: Path) -> tuple[ScanStats, Ledger]:
    """A command's start: a fresh engine on the ledger, refreshed and written."""
    ledger = Ledger.open(db)
    engine = Engine(Roots((root,)), ledger)
    return engine.refresh().stats, ledger


def _total(ledger: Ledger) -> int:
    return sum(e.output_tokens for e in ledger.load_entries())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "projects"
    write_jsonl(root / "p" / "a.jsonl", [assistant("m1", 10), assistant("m2", 20, minutes=1)])
    write_jsonl(root / "p" / "s" / "subagents" / "agent-1.jsonl", [assistant("m3", 5)])
    return root


def _no_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Ledger) -> None:
        raise AssertionError("every read position was loaded")

    monkeypatch.setattr(Ledger, "file_states", refuse)


def test_a_restart_with_nothing_new_loads_no_position(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "l" / "ledger.db"
    _start(data, db)[1].close()
    _no_positions(monkeypatch)
    stats, ledger = _start(data, db)
    assert _total(ledger) == 35
    assert stats.files_compared == 0 and stats.files_seen == 2
    ledger.close()


def test_an_append_a_new_file_or_a_deletion_is_still_read(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    _start(data, db)[1].close()
    write_jsonl(data / "p" / "a.jsonl", [assistant("m4", 100, minutes=2)], mode="a")
    stats, ledger = _start(data, db)
    assert _total(ledger) == 135 and stats.files_compared == 1  # p's file, not the subagent's
    ledger.close()
    write_jsonl(data / "q" / "b.jsonl", [assistant("m5", 1000)])
    stats, ledger = _start(data, db)
    assert _total(ledger) == 1135 and stats.files_compared == 1  # a new folder's file
    ledger.close()
    (data / "q" / "b.jsonl").unlink()  # its history stays; its position goes
    stats, ledger = _start(data, db)
    assert _total(ledger) == 1135 and str(data / "q" / "b.jsonl") not in ledger.file_states()
    assert stats.files_compared == 2  # a folder is gone: every file is compared
    ledger.close()


def test_a_file_replaced_by_one_of_the_same_size_is_read_again(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    _start(data, db)[1].close()
    path = data / "p" / "a.jsonl"
    other = tmp_path / "swap.jsonl"
    # Same length, same mtime, a larger copy of m1: only the inode tells them apart.
    write_jsonl(other, [assistant("m1", 90), assistant("m2", 20, minutes=1)])
    assert other.stat().st_size == path.stat().st_size
    st = path.stat()
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    _stats, ledger = _start(data, db)
    assert _total(ledger) == 115  # the larger copy of m1 counts
    ledger.close()


def test_positions_written_by_someone_else_are_compared_again(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    _start(data, db)[1].close()
    path = data / "p" / "a.jsonl"
    st = path.stat()
    # Another process (or an older release) moves a's position back to the start.
    other = Ledger.open(db)
    other.write(files=[FileState(str(path), st.st_dev, st.st_ino, 0, 0, 0, st.st_mtime_ns)])
    other.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 1  # its folder no longer matched the mark (only it)
    assert ledger.file_states()[str(path)][4] == st.st_size  # read again to its end
    assert _total(ledger) == 35  # and counted once
    ledger.close()


def test_a_listing_problem_keeps_no_mark(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    os.mkfifo(data / "p" / "pipe.jsonl")  # skipped with a warning, never opened
    stats, ledger = _start(data, db)
    assert any("not a regular file" in w for w in stats.warnings)
    key = scan_mark._key([roots_ledger.root_id(data)])
    assert ledger.meta(key) is None
    ledger.close()


def test_a_busy_ledger_is_not_waited_for_and_the_next_start_compares(
    tmp_path: Path, data: Path
) -> None:
    db = tmp_path / "l" / "ledger.db"
    _stats, ledger = _start(data, db)
    key = scan_mark._key([roots_ledger.root_id(data)])
    assert ledger.meta(key) is not None
    runs: list[listing.Run] = []
    mark = listing.disk_mark(listing.list_transcripts([str(data)], [], runs), runs)
    folders = [prefix for prefix, _, _ in runs]
    assert scan_mark.check(ledger, [roots_ledger.root_id(data)], mark, folders) is None
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        seen = scan_mark.versions(ledger, folders)
        began = time.monotonic()
        scan_mark.remember(ledger, [roots_ledger.root_id(data)], Mark({"/x/": "1:1:1:1:1:1"}, seen))
        assert time.monotonic() - began < 1.0  # not the ledger's busy timeout
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert scan_mark.check(ledger, [roots_ledger.root_id(data)], mark, folders) is None
    ledger.close()


def test_the_mark_is_kept_per_set_of_roots(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    other_root = tmp_path / "other"
    write_jsonl(other_root / "x" / "c.jsonl", [assistant("m9", 7)])
    _start(data, db)[1].close()
    _start(other_root, db)[1].close()
    ledger = Ledger.open(db)
    marks = ledger.db.execute_sql(
        "SELECT key FROM meta WHERE key LIKE ?", (scan_mark.KEY + "%",)
    ).fetchall()
    assert len(marks) == 2
    ledger.close()


def test_a_file_that_could_not_be_read_keeps_no_mark(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tray_app.adapters import transcript

    db = tmp_path / "l" / "ledger.db"
    real = transcript.read_from
    unreadable = data / "p" / "a.jsonl"

    def read_from(path: Path, *args: object, **kwargs: object) -> transcript.FileRead:
        if path == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transcript, "read_from", read_from)
    _stats, ledger = _start(data, db)
    assert _total(ledger) == 5  # only the subagent's file
    ledger.close()
    monkeypatch.setattr(transcript, "read_from", real)  # readable again, nothing else new
    _stats, ledger = _start(data, db)
    assert _total(ledger) == 35
    ledger.close()


def test_positions_dropped_by_someone_else_during_a_start_are_read_again(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `roots forget` in another process between this start's load of the positions and
    # the end of its run: the fingerprint it would keep no longer describes them.
    db = tmp_path / "l" / "ledger.db"
    _start(data, db)[1].close()
    write_jsonl(data / "q" / "b.jsonl", [assistant("m5", 1000)])  # so the start compares
    real = scan_plan.plan

    def plan_then_forget(*args: object, **kwargs: object) -> object:
        planned = real(*args, **kwargs)  # type: ignore[arg-type]
        other = Ledger.open(db)
        roots_ledger.forget(other, roots_ledger.root_id(data))
        other.close()
        return planned

    monkeypatch.setattr(scanner, "plan", plan_then_forget)
    _start(data, db)[1].close()
    monkeypatch.undo()
    stats, ledger = _start(data, db)  # nothing changed on disk since
    assert stats.files_compared == 2  # the folders whose positions were dropped: compared
    assert _total(ledger) == 1035  # the forgotten root counted again, in full
    ledger.close()


def test_an_engine_holding_positions_reads_past_them_whatever_the_mark(
    tmp_path: Path, data: Path
) -> None:
    # The tray's engine keeps its positions in memory (changes flushed later); a command
    # counts the new lines first and keeps a mark. The tray must still read past its own
    # positions: the mark speaks for the ledger's, not for what an engine holds.
    db = tmp_path / "l" / "ledger.db"
    tray_ledger = Ledger.open(db)
    tray = Engine(Roots((data,)), tray_ledger)
    tray.refresh(persist=False)
    tray.flush()
    write_jsonl(data / "p" / "a.jsonl", [assistant("m4", 100, minutes=2)], mode="a")
    _stats, ledger = _start(data, db)  # the command: counts m4, keeps the mark
    assert ledger.meta(scan_mark._key([roots_ledger.root_id(data)])) is not None
    ledger.close()
    got = tray.refresh(persist=False)
    assert (got.stats.files_read, got.stats.candidates) == (1, 1)  # (counted already: no change)
    tray_ledger.close()


def test_only_the_folders_whose_sums_changed_are_compared(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "l" / "ledger.db"
    write_jsonl(data / "q" / "b.jsonl", [assistant("m5", 1000)])
    _start(data, db)[1].close()
    write_jsonl(data / "p" / "a.jsonl", [assistant("m4", 100, minutes=2)], mode="a")
    _no_positions(monkeypatch)  # not every position: only p's
    asked: list[list[str]] = []
    real = Ledger.file_states_in

    def file_states_in(self: Ledger, prefixes: object) -> object:
        asked.append(sorted(prefixes))  # type: ignore[call-overload]
        return real(self, asked[-1])

    monkeypatch.setattr(Ledger, "file_states_in", file_states_in)
    ledger = Ledger.open(db)
    engine = Engine(Roots((data,)), ledger)
    stats = engine.refresh().stats
    assert asked == [[os.path.join(str(data), "p", "")]]
    assert (stats.files_seen, stats.files_compared, stats.files_read) == (3, 1, 1)
    assert _total(ledger) == 1135
    monkeypatch.undo()
    assert len(engine.files) == 3  # a later refresh (the live view's) has every position
    ledger.close()
    # A file moved to another folder: both folders compared, its old position gone, once.
    os.replace(data / "q" / "b.jsonl", data / "p" / "b.jsonl")
    stats, ledger = _start(data, db)
    positions = ledger.file_states()
    assert str(data / "q" / "b.jsonl") not in positions
    assert positions[str(data / "p" / "b.jsonl")][4] == (data / "p" / "b.jsonl").stat().st_size
    assert _total(ledger) == 1135 and stats.files_compared == 3
    ledger.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 0  # and the mark kept after the partial compare holds
    ledger.close()


def test_an_older_single_line_mark_means_every_file_is_compared(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    _stats, ledger = _start(data, db)
    key = scan_mark._key([roots_ledger.root_id(data)])
    older = "2:9:9:9:9:9|w5"  # (one line of sums, and the version then)
    ledger.db.execute_sql("UPDATE meta SET value = ? WHERE key = ?", (older, key))
    ledger.close()
    write_jsonl(data / "p" / "a.jsonl", [assistant("m4", 100, minutes=2)], mode="a")
    stats, ledger = _start(data, db)
    assert stats.files_compared == 2 and _total(ledger) == 135
    ledger.close()


def test_positions_of_a_folder_are_its_own_files_whatever_their_names(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l" / "ledger.db")
    sep = os.sep
    names = ["/r/a/x.jsonl", "/r/a/sub/y.jsonl", "/r/ab/w.jsonl", "/r/a0.jsonl",
             "/r/a\udce9/z.jsonl", "/r/a/\udcff.jsonl", "top.jsonl", "t/in.jsonl"]  # fmt: skip
    paths = [n.replace("/", sep) for n in names]
    ledger.write(files=[FileState(p, 1, i, 10, 10, 1, 0) for i, p in enumerate(paths)])
    got = ledger.file_states_in([f"{sep}r{sep}a{sep}"])
    assert sorted(got) == sorted([paths[0], paths[5]])  # not a subfolder's, not a sibling's
    assert got[paths[5]][0] == paths[5]  # a name that is not UTF-8, stored as bytes
    assert list(ledger.file_states_in([f"{sep}r{sep}a\udce9{sep}"])) == [paths[4]]
    assert list(ledger.file_states_in([""])) == ["top.jsonl"]  # a root of "."
    assert ledger.file_states_in([f"{sep}nowhere{sep}"]) == {}
    ledger.close()


def test_folder_keys_are_text_and_never_the_same_for_two_folders() -> None:
    odd = ["/r/a\udce9/", "/r/a\tb/", "/r/a\nb/", "?/r/", "/r/plain/"]
    keys = [listing.dir_key(p) for p in odd]
    assert len(set(keys)) == len(odd) and keys[-1] == "/r/plain/"
    for key in keys:
        key.encode("utf-8")  # storable as text
        assert "\t" not in key and "\n" not in key


def test_any_change_to_a_position_by_anyone_is_counted_for_its_folder(tmp_path: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    sep = os.sep
    a, b = f"{sep}r{sep}a.jsonl", f"{sep}r{sep}sub{sep}b.jsonl"
    ledger = Ledger.open(db)
    folders = [f"{sep}r{sep}", f"{sep}r{sep}sub{sep}"]
    seen = [scan_mark.versions(ledger, folders)]
    ledger.write(files=[FileState(a, 1, 2, 10, 10, 1, 0)])  # new
    seen.append(scan_mark.versions(ledger, folders))
    ledger.write(files=[FileState(a, 1, 2, 20, 20, 2, 0)])  # replaced
    seen.append(scan_mark.versions(ledger, folders))
    ledger.write(files=[FileState(b, 1, 3, 20, 20, 2, 0)])  # another folder's
    seen.append(scan_mark.versions(ledger, folders))
    ledger.close()
    other = sqlite3.connect(db, isolation_level=None)  # a writer that knows nothing of marks
    other.execute("UPDATE files SET offset = 0 WHERE path = ?", (a,))
    other.execute("DELETE FROM files WHERE path = ?", (b,))
    ledger = Ledger.open(db)
    seen.append(scan_mark.versions(ledger, folders))
    ledger.write(files=[FileState(f"{sep}r{sep}caf\udce9.jsonl", 1, 4, 5, 5, 1, 0)])  # bytes
    seen.append(scan_mark.versions(ledger, folders))
    ledger.close()
    other.close()
    top, sub = f"{sep}r{sep}", f"{sep}r{sep}sub{sep}"
    counts = [(v[1].get(top, 0), v[1].get(sub, 0)) for v in seen if v is not None]
    assert counts == [(0, 0), (1, 0), (2, 0), (2, 1), (4, 2), (4, 2)]  # (an UPDATE: old and new)
    epochs = [v[0] for v in seen if v is not None]
    assert len(set(epochs[:5])) == 1 and epochs[5] != epochs[4]  # a path stored as bytes
    fresh = Ledger.open(tmp_path / "other" / "ledger.db")
    assert scan_mark.versions(fresh, [])[0] != epochs[0]  # type: ignore[index]  # per file
    fresh.close()


def test_a_ledger_without_the_triggers_gets_them_and_no_mark_made_before_holds(
    tmp_path: Path, data: Path
) -> None:
    db = tmp_path / "l" / "ledger.db"
    _start(data, db)[1].close()
    other = sqlite3.connect(db, isolation_level=None)  # as an older release left it
    for name in ledger_recovery.TRIGGERS:
        other.execute(f"DROP TRIGGER {name}")
    other.execute("UPDATE files SET offset = 0, size = 0")  # uncounted: no trigger
    other.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 2 and _total(ledger) == 35  # compared, read again, once
    assert stats.files_read == 2
    ledger.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 0  # the triggers are back: the new mark holds
    ledger.close()


def test_a_folder_listed_twice_keeps_no_mark(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l" / "ledger.db")
    mark = scan_mark.check(ledger, ["r"], "/r/a/\t1:2:3:4:5:6\n/r/a/\t2:2:3:4:5:6", ["/r/a/"])
    assert mark is not None and mark.seen is None and mark.changed is None
    ledger.close()


def test_a_lost_count_of_writes_is_started_again_on_open(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    _stats, ledger = _start(data, db)
    ledger.db.execute_sql("DELETE FROM meta WHERE key = 'files_writes'")
    ledger.close()
    write_jsonl(data / "p" / "a.jsonl", [assistant("m4", 100, minutes=2)], mode="a")
    stats, ledger = _start(data, db)
    assert _total(ledger) == 135 and stats.files_compared == 2  # no count: compare all
    ledger.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 0  # counted again: the mark holds
    ledger.close()


def _tray_writes_during_the_start(monkeypatch: pytest.MonkeyPatch, db: Path, path: Path) -> None:
    """Another process (the tray) stores `path`'s position again once a start has planned."""
    real = scan_plan.plan

    def plan_then_tray_writes(*args: object, **kwargs: object) -> object:
        planned = real(*args, **kwargs)  # type: ignore[arg-type]
        st = path.stat()  # (the position it had: the tray stores it again)
        other = Ledger.open(db)
        other.write(
            files=[FileState(str(path), st.st_dev, st.st_ino, st.st_size, st.st_size, 1, 0)]
        )
        other.close()
        return planned

    monkeypatch.setattr(scanner, "plan", plan_then_tray_writes)


def test_a_folder_another_process_writes_meanwhile_is_compared_next_time(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tray reads on and stores a position while a command runs: the command's mark
    # leaves that folder out; every other folder stays vouched for.
    db = tmp_path / "l" / "ledger.db"
    write_jsonl(data / "q" / "b.jsonl", [assistant("m5", 1000)])
    _start(data, db)[1].close()
    write_jsonl(data / "q" / "b.jsonl", [assistant("m6", 1, minutes=3)], mode="a")
    path = data / "p" / "a.jsonl"
    st = path.stat()
    _tray_writes_during_the_start(monkeypatch, db, path)
    stats, ledger = _start(data, db)
    assert stats.files_compared == 1 and _total(ledger) == 1036  # q's file
    ledger.close()
    monkeypatch.undo()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 1  # p's file: written by someone else since
    assert ledger.file_states()[str(path)][4] == st.st_size and _total(ledger) == 1036
    ledger.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 0
    ledger.close()


def _triggers(ledger: Ledger) -> set[str]:
    rows = ledger.db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {r[0] for r in rows}


def test_triggers_of_another_separator_or_release_are_replaced_and_no_mark_holds(
    tmp_path: Path, data: Path
) -> None:
    # A ledger last used on Windows (or by a release whose triggers counted otherwise):
    # its triggers would count every folder under one name here, and stay forever.
    db = tmp_path / "l" / "ledger.db"
    _start(data, db)[1].close()
    other = sqlite3.connect(db, isolation_level=None)
    for name in ledger_recovery.TRIGGERS:
        other.execute(f"DROP TRIGGER {name}")
    other.execute(
        "CREATE TRIGGER files_counted_insert_nt AFTER INSERT ON files BEGIN "
        "UPDATE meta SET value = value WHERE key = 'schema'; END"
    )
    other.execute("UPDATE files SET offset = 0, size = 0")  # uncounted
    other.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 2 and stats.files_read == 2 and _total(ledger) == 35
    assert _triggers(ledger) == set(ledger_recovery.TRIGGERS)
    ledger.close()
    # An older release's trigger beside ours (it ran on this ledger again): dropped on open.
    other = sqlite3.connect(db, isolation_level=None)
    other.execute(
        "CREATE TRIGGER files_written_insert AFTER INSERT ON files BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'files_writes'; END"
    )
    other.close()
    ledger = Ledger.open(db)
    assert _triggers(ledger) == set(ledger_recovery.TRIGGERS)
    ledger.close()


def test_a_folder_left_out_of_a_mark_and_then_gone_is_still_noticed(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "l" / "ledger.db"
    write_jsonl(data / "q" / "b.jsonl", [assistant("m5", 1000)])
    _start(data, db)[1].close()
    write_jsonl(data / "p" / "a.jsonl", [assistant("m4", 100, minutes=2)], mode="a")
    b = data / "q" / "b.jsonl"
    _tray_writes_during_the_start(monkeypatch, db, b)
    _start(data, db)[1].close()  # keeps a mark without q
    monkeypatch.undo()
    b.unlink()
    (data / "q").rmdir()
    stats, ledger = _start(data, db)
    assert str(b) not in ledger.file_states()  # q noticed gone: its position dropped
    assert stats.files_compared == 2
    ledger.close()


def test_a_mark_edited_by_hand_is_no_shortcut(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "l" / "ledger.db"
    _stats, ledger = _start(data, db)
    key = scan_mark._key([roots_ledger.root_id(data)])
    value = ledger.meta(key)
    assert value is not None
    ledger.db.execute_sql("UPDATE meta SET value = ? WHERE key = ?", (value + "\nno tab", key))
    ledger.close()
    stats, ledger = _start(data, db)
    assert stats.files_compared == 2 and _total(ledger) == 35
    ledger.close()
