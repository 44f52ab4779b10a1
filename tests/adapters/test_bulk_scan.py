"""A bulk first scan written in parts, range by range, counts exactly what one pass counts."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import bulk_read, counted, scanner
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import LedgerIOError
from tray_app.adapters.scanner import Engine
from tray_app.usage.model import Entry


def _data(root: Path) -> None:
    """Files sharing responses: later copies are larger, some are earlier in time."""
    for i in range(8):
        lines = [
            assistant(f"msg_{j}", 5 + i * j, session=f"s{i}", minutes=60 - i if j == 3 else j)
            for j in range(i, i + 5)
        ]
        f = write_jsonl(root / "p" / f"s{i}.jsonl", lines)  # type: ignore[arg-type]
        os.utime(f, (1000 + i, 1000 + i))


def _bulk(mp: pytest.MonkeyPatch) -> None:
    """Every file its own range, a write after every range, two readers."""
    mp.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    mp.setattr(bulk_read, "RANGE_BYTES", 1)
    mp.setattr(bulk_read, "workers", lambda: 2)
    mp.setattr(scanner, "FLUSH_ENTRIES", 1)


def _rows(db: Path) -> tuple[list[Any], list[Any], list[Any]]:
    con = sqlite3.connect(db)
    try:
        return (
            con.execute("SELECT * FROM responses ORDER BY key").fetchall(),
            con.execute("SELECT * FROM response_roots ORDER BY key").fetchall(),
            # (`lines` is not compared: a bulk read leaves it uncounted, transcript.UNKNOWN.)
            con.execute("SELECT path, size, offset FROM files ORDER BY path").fetchall(),
        )
    finally:
        con.close()


def _sequential(root: Path, db: Path) -> tuple[list[Any], list[Any], list[Any]]:
    result = Engine(Roots((root,)), Ledger.open(db)).refresh()
    assert len(result.changes) == result.stats.new_responses + result.stats.replaced
    return _rows(db)


def test_written_range_by_range_equals_one_pass(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    _data(root)
    expected = _sequential(root, tmp_path / "one.db")
    mp = pytest.MonkeyPatch()
    _bulk(mp)
    writes: list[int] = []
    real_write = Ledger.write

    def counting(self: Ledger, entries: Any = (), *args: Any, **kw: Any) -> None:
        writes.append(1)
        real_write(self, entries, *args, **kw)

    mp.setattr(Ledger, "write", counting)
    try:
        result = Engine(Roots((root,)), Ledger.open(tmp_path / "bulk.db")).refresh()
    finally:
        mp.undo()
    assert len(writes) == 8  # one write per range: the scan was written as it went
    assert result.changes == []  # written: the caller gets the counters only
    assert result.stats.files_read == 8
    got = _rows(tmp_path / "bulk.db")
    assert got == expected
    # First seen keeps the session; the largest copy gives the usage; the earliest time.
    by_key = {row[0]: row for row in got[0]}
    assert by_key["msg_3"][2] == "s0" and by_key["msg_3"][5] == 5 + 3 * 3


def test_a_write_failing_mid_scan_loses_nothing(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "bulk.db"
    _data(root)
    expected = _sequential(root, tmp_path / "one.db")
    mp = pytest.MonkeyPatch()
    _bulk(mp)
    calls: list[int] = []
    real_write = Ledger.write

    def full_disk(self: Ledger, *args: Any, **kw: Any) -> None:
        calls.append(1)
        if len(calls) == 4:
            raise LedgerIOError("disk full (test)")
        real_write(self, *args, **kw)

    mp.setattr(Ledger, "write", full_disk)
    try:
        with pytest.raises(LedgerIOError):
            Engine(Roots((root,)), Ledger.open(db)).refresh()
    finally:
        mp.undo()
    partial = _rows(db)
    assert 0 < len(partial[2]) < 8  # three ranges were committed, with their positions
    Engine(Roots((root,)), Ledger.open(db)).refresh()  # the next run reads the rest
    assert _rows(db) == expected


def test_after_a_write_mid_scan_only_keys_it_wrote_are_looked_up(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    _data(root)
    expected = _sequential(root, tmp_path / "one.db")
    mp = pytest.MonkeyPatch()
    _bulk(mp)
    looked: list[set[str]] = []
    real_lookup = counted.lookup

    def recording(ledger: Ledger, keys: Sequence[str]) -> list[Entry]:
        looked.append(set(keys))
        return real_lookup(ledger, keys)

    mp.setattr(counted, "lookup", recording)
    try:
        Engine(Roots((root,)), Ledger.open(tmp_path / "bulk.db")).refresh()
    finally:
        mp.undo()
    assert _rows(tmp_path / "bulk.db") == expected
    # File i holds msg_i..msg_i+4 and is written before file i+1 is folded in: msg_i..i+3
    # are in the ledger by then and must be looked up; msg_i+4 is new and need not be.
    # (The first file found the ledger empty: no look-up at all.)
    looked = [keys for keys in looked if keys]  # (a range's reset notices: no keys)
    assert len(looked) == 7
    for i, keys in enumerate(looked, start=1):
        assert keys == {f"msg_{j}" for j in range(i, i + 4)}


def test_after_the_scan_keys_another_process_wrote_are_looked_up_again(tmp_path: Path) -> None:
    root, other, db = tmp_path / "projects", tmp_path / "other", tmp_path / "bulk.db"
    _data(root)
    mp = pytest.MonkeyPatch()
    _bulk(mp)
    try:
        engine = Engine(Roots((root,)), Ledger.open(db))  # a long-lived engine (the tray)
        engine.refresh()
    finally:
        mp.undo()
    write_jsonl(other / "p" / "x.jsonl", [assistant("msg_zzz", 500)])
    Engine(Roots((other,)), Ledger.open(db)).refresh()  # another process counts msg_zzz
    write_jsonl(root / "p" / "s7.jsonl", [assistant("msg_zzz", 5)], "a")  # a smaller copy
    engine.refresh()
    con = sqlite3.connect(db)
    try:
        [(output,)] = con.execute("SELECT output FROM responses WHERE key = 'msg_zzz'")
    finally:
        con.close()
    assert output == 500  # merged with the ledger's copy, not overwritten by the smaller one
