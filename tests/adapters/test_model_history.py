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


def test_a_broken_ledger_never_stops_a_model_change(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    assert model_history.record(path, ModelChange(1.0, "manual", "a", "b")) is False
    assert model_history.recent(path) == []
    assert path.read_bytes() == garbage  # not ours to repair: the ledger does that


def test_model_set_still_writes_settings_when_the_ledger_is_broken(tmp_path: Path) -> None:
    import io
    import json

    from tray_app.cli.environment import Environment
    from tray_app.cli.main import main

    ledger = tmp_path / "ledger.sqlite3"
    ledger.write_bytes(b"garbage" * 100)
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "cc"), "TOKEN_MONITOR_DB": str(ledger),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "c.yaml")}  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    assert main(["model", "set", "haiku"], Environment(out, err, env)) == 0, err.getvalue()
    assert json.loads((tmp_path / "cc" / "settings.json").read_text()) == {"model": "haiku"}


def test_a_history_written_first_makes_a_real_ledger(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "ledger.sqlite3"
    assert model_history.record(path, ModelChange(1.0, "manual", None, "haiku", source="cli"))
    ledger = Ledger.open(path)  # the app's own open accepts it as ours afterwards
    try:
        assert ledger.recovered_to is None and ledger.sessions() == {}
    finally:
        ledger.close()
    assert [c.new for c in model_history.recent(path)] == ["haiku"]


def test_a_foreign_sqlite_file_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "someone-elses.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = path.read_bytes()
    assert model_history.record(path, ModelChange(1.0, "manual", "a", "b")) is False
    assert model_history.recent(path) == []
    assert path.read_bytes() == before
