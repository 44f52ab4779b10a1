"""How often a bulk first scan writes: a small rest waits for the last write."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import bulk_read, scanner
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine


def test_the_rest_fits_when_at_most_a_quarter_more_is_expected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scanner, "FLUSH_ENTRIES", 100)
    assert scanner._fits(100, 1000, 250)  # 100 waiting + 25 expected
    assert not scanner._fits(100, 1000, 260)  # 126 > 125
    assert scanner._fits(120, 1000, 0)  # nothing left to read
    assert not scanner._fits(126, 1000, 0)  # never past the bound, whatever is left
    assert not scanner._fits(100, 0, 10)  # no rate known
    assert scanner._fits(100, 1000, 500, scanner.SEEDED_OVERSHOOT)  # 150: a first scan's
    assert not scanner._fits(100, 1000, 510, scanner.SEEDED_OVERSHOOT)  # 151


def _data(root: Path) -> None:
    """Four files of five responses, then one small file of one."""
    for i in range(5):
        count = 5 if i < 4 else 1
        lines = [assistant(f"msg_{i}_{j}", 5 + j, session=f"s{i}") for j in range(count)]
        f = write_jsonl(root / "p" / f"s{i}.jsonl", lines)  # type: ignore[arg-type]
        os.utime(f, (1000 + i, 1000 + i))


def _rows(db: Path) -> list[Any]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT * FROM responses ORDER BY key").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("bound", "seeded", "writes"),
    [
        (18, False, 1),
        (16, False, 2),
        (4, False, 5),
        (16, True, 1),
        (13, True, 2),
        (8, False, 3),
        (8, True, 3),
    ],
)
def test_a_small_rest_is_written_with_the_rest_not_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: int, seeded: bool, writes: int
) -> None:
    root = tmp_path / "projects"
    _data(root)
    want = tmp_path / "one.db"
    Engine(Roots((root,)), Ledger.open(want)).refresh()  # one sequential pass
    monkeypatch.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(bulk_read, "RANGE_BYTES", 1)  # every file its own range
    monkeypatch.setattr(bulk_read, "workers", lambda: 2)
    monkeypatch.setattr(scanner, "FLUSH_ENTRIES", bound)
    sizes: list[int] = []
    write = Ledger.write

    def counting(self: Ledger, entries: Any = (), *args: Any, **kwargs: Any) -> None:
        sizes.append(len(entries))
        write(self, entries, *args, **kwargs)

    monkeypatch.setattr(Ledger, "write", counting)
    db = tmp_path / "bulk.db"
    engine = Engine(Roots((root,)), Ledger.open(db))
    if seeded:  # a report that builds its blocks beside a first scan's only write
        engine.first_write = lambda entries, resets: None
    engine.refresh()
    # 18: 20 wait after four files and one more is expected (<= 22.5): one write of 21.
    # 16: 20 wait, 21 expected > 20: written, then the last response on its own.
    # Seeded, 16: 21 expected <= 24, one write; 13: 21 > 19.5, two.
    # 8: 10 written after two files; after four, 10 wait and 11 are expected: more than
    # 10 (1.25x), so written, seeded or not: after a first write the larger bound is gone.
    assert len(sizes) == writes and sum(sizes) == 21
    assert _rows(db) == _rows(want)
