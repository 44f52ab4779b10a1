"""Opening a ledger builds its peewee model classes once and probes every declared column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tray_app.adapters import ledger_schema
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import LedgerError


def test_one_open_builds_the_model_classes_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ledger.open(tmp_path / "l.db").close()  # created
    built: list[object] = []
    real = ledger_schema._models

    def counting(db: object) -> dict[str, object]:
        built.append(db)
        return real(db)

    monkeypatch.setattr(ledger_schema, "_models", counting)
    ledger = Ledger.open(tmp_path / "l.db")
    try:
        assert len(built) == 1  # init_schema, the probe and Ledger share one set
        assert ledger_schema.models_for(ledger.db) is ledger.m
        assert ledger.m["response"]._meta.database is ledger.db
    finally:
        ledger.close()


def test_a_missing_declared_column_still_fails_the_open_probe(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    Ledger.open(path).close()
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE sessions DROP COLUMN tags")
    con.commit()
    con.close()
    with pytest.raises((LedgerError, sqlite3.Error)):
        Ledger.open(path).close()
