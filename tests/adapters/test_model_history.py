"""The model_history table: appended, read newest first, added to an older ledger."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from tray_app.adapters import model_history
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.model_history import ModelChange


def test_no_ledger_means_no_history_and_no_file(tmp_path: Path) -> None:
    path = tmp_path / "none" / "ledger.sqlite3"
    assert model_history.recent(path) == [] and model_history.last(path) is None
    assert not path.exists()


def test_changes_come_back_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ledger.sqlite3"
    first = ModelChange(100.0, "manual", None, "opus", "", None, "cli")
    second = ModelChange(
        200.0, "auto", "opus", "sonnet", "the weekly limit is at 85 %", 900.0, "auto"
    )
    model_history.record(path, first)
    model_history.record(path, second)
    assert model_history.recent(path) == [second, first]
    assert model_history.last(path) == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_ledger_itself_creates_the_table_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger.open(path)
    ledger.close()
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"model_history", "responses", "sessions"} <= tables
    model_history.record(path, ModelChange(1.0, "manual", "a", "b"))
    again = Ledger.open(path)  # an existing table is left as it is
    again.close()
    assert [c.new for c in model_history.recent(path)] == ["b"]
