"""The live service with a ledger it must not use, or one moved aside under it."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

from tests.builders import assistant, write_jsonl
from tray_app.adapters.config import Settings
from tray_app.adapters.ledger import Ledger
from tray_app.service.aggregator import ServiceOptions
from tray_app.service.runtime import LiveRuntime
from tray_app.service.snapshot import Snapshot

FAST = ServiceOptions(tick_seconds=0.5, coalesce_seconds=0.005, flush_seconds=0.1)


def _runtime(root: Path, db: Path) -> LiveRuntime:
    settings = Settings(data_dirs=(str(root),))
    runtime = LiveRuntime(settings, {"TOKEN_MONITOR_DB": str(db)}, options=FAST)
    runtime.start()
    assert runtime.service.ready.wait(10)
    return runtime


def _wait(runtime: LiveRuntime, pred: Callable[[Snapshot], bool], timeout: float = 5) -> Snapshot:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        snap = runtime.service.latest
        if snap is not None and pred(snap):
            return snap
        time.sleep(0.02)
    raise AssertionError(f"timed out; latest: {runtime.service.latest}")


def _rows(db: Path) -> set[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        keys = {r[0] for r in con.execute("SELECT key FROM responses")}
    con.close()
    return keys


def test_a_refused_ledger_leaves_the_folder_alone_and_counting_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    f = write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5)])
    folder = tmp_path / "stuff"
    folder.mkdir(mode=0o755)
    runtime = _runtime(root, folder)
    try:
        snap = _wait(runtime, lambda s: s.totals.output_tokens == 5)
        assert snap.error is not None and "ledger not used" in snap.error
        assert "is a folder" in snap.error
        write_jsonl(f, [assistant("msg_2", 7)], mode="a")
        snap = _wait(runtime, lambda s: s.totals.output_tokens == 12)
        assert snap.error is not None and "ledger not used" in snap.error  # still said
    finally:
        runtime.stop()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755 and list(folder.iterdir()) == []


def test_a_watch_writes_into_the_new_ledger_not_the_one_moved_aside(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    f = write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5)])
    db = tmp_path / "l.db"
    runtime = _runtime(root, db)
    try:
        _wait(runtime, lambda s: s.totals.output_tokens == 5)
        aside = tmp_path / "l.db.corrupt-by-another-process"
        os.replace(db, aside)  # what another process's recovery does
        for suffix in ("-wal", "-shm"):
            if Path(f"{db}{suffix}").exists():
                os.replace(f"{db}{suffix}", f"{aside}{suffix}")
        Ledger.open(db).close()
        write_jsonl(f, [assistant("msg_2", 7)], mode="a")
        _wait(runtime, lambda s: s.totals.output_tokens == 12)
        end = time.monotonic() + 5
        while "msg_2" not in _rows(db) and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        runtime.stop()
    assert "msg_2" in _rows(db)
    assert _rows(aside) == {"msg_1"}  # nothing more went into the moved-aside file


def test_the_ledgers_notes_are_kept_for_the_ui_before_the_first_snapshot(tmp_path: Path) -> None:
    # The notes (rebuilt, read-only, started afresh) were only logged: the tray could not
    # show them. A subscriber sees them set when the first snapshot arrives.
    root = tmp_path / "projects"
    write_jsonl(root / "p" / "s1.jsonl", [assistant("msg_1", 5)])
    db = tmp_path / "l.db"
    db.write_bytes(b"")  # an empty SQLite database: started afresh, with a note
    settings = Settings(data_dirs=(str(root),))
    runtime = LiveRuntime(settings, {"TOKEN_MONITOR_DB": str(db)}, options=FAST)
    seen: list[tuple[str, ...]] = []
    runtime.service.subscribe(lambda _snap: seen.append(runtime.service.ledger_notes))
    runtime.start()
    try:
        assert runtime.service.ready.wait(10)
        (note,) = seen[0]
        assert "started afresh" in note and str(db) in note
    finally:
        runtime.stop()
    healthy = LiveRuntime(settings, {"TOKEN_MONITOR_DB": str(db)}, options=FAST)
    healthy.start()
    try:
        assert healthy.service.ready.wait(10)
        assert healthy.service.ledger_notes == ()
    finally:
        healthy.stop()


def test_the_catch_up_brings_the_aggregates_up_to_date_for_the_next_start(
    tmp_path: Path,
) -> None:
    # The live service counts a history, then the rollup and the block cache take it in:
    # the next start (and every report) reads them instead of building them first.
    root, db = tmp_path / "projects", tmp_path / "l.db"
    write_jsonl(root / "p" / "s.jsonl", [
        assistant(f"msg_{d}", 10, minutes=d * 24 * 60) for d in range(6)
    ])  # fmt: skip
    runtime = _runtime(root, db)
    try:
        _wait(runtime, lambda s: s.totals.responses == 6)
    finally:
        runtime.stop()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        blocks = con.execute("SELECT COUNT(*) FROM block_cache").fetchone()[0]
        dirty = con.execute("SELECT dirty FROM usage_rollup_state").fetchone()[0]
        rolled = con.execute("SELECT SUM(responses) FROM usage_rollup").fetchone()[0]
    con.close()
    assert blocks >= 5  # the finished daily blocks (the newest may still be open)
    assert dirty is None and rolled == 6
