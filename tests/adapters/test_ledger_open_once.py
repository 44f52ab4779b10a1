"""Opening a ledger builds no peewee model class (tables are probed by their declared
columns); the models are built once, on first use, on the ledger's own connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tray_app.adapters import ledger_schema
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_db import LedgerDb
from tray_app.adapters.ledger_errors import LedgerError


def test_an_open_builds_no_model_class_and_a_first_use_builds_them_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ledger.open(tmp_path / "l.db").close()  # created: the models made its tables
    built: list[object] = []
    real = ledger_schema._models

    def counting(db: object) -> dict[str, object]:
        built.append(db)
        return real(db)

    monkeypatch.setattr(ledger_schema, "_models", counting)
    ledger = Ledger.open(tmp_path / "l.db")
    try:
        assert built == []  # opened and probed without them
        models = ledger.m
        assert len(built) == 1 and ledger.m is models
        assert models["response"]._meta.database is ledger.db.peewee()
        ledger.name_session("s1", "named through a model")
        assert ledger.sessions()["s1"].name == "named through a model"
    finally:
        ledger.close()


def test_the_declared_columns_are_the_models_columns() -> None:
    models = ledger_schema.models_for(LedgerDb(":memory:").peewee())
    declared = {
        m._meta.table_name: tuple(f.column_name for f in m._meta.sorted_fields)
        for m in models.values()
    }
    assert declared == ledger_schema.TABLES


def test_a_missing_declared_column_still_fails_the_open_probe(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    Ledger.open(path).close()
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE sessions DROP COLUMN tags")
    con.commit()
    con.close()
    with pytest.raises((LedgerError, sqlite3.Error)):
        Ledger.open(path).close()
