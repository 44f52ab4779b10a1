"""Ledger.write stores every field as given: a missing cost stays NULL, a zero cost zero."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tray_app.adapters.ledger import Ledger
from tray_app.usage.model import Entry


def _stored(db: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT key, ts, output, cost_usd, typeof(cost_usd), sidechain, typeof(sidechain), "
            "speed, geo, message_id, request_id FROM responses ORDER BY key"
        ).fetchall()
    finally:
        con.close()


def test_costs_and_flags_are_stored_as_given_and_replaced_by_a_larger_copy(
    tmp_path: Path,
) -> None:
    db = tmp_path / "l.db"
    ledger = Ledger.open(db)
    ledger.write(
        [
            Entry("a", 10.0, "s", "m", output_tokens=1, cost_usd=None, sidechain=True),
            Entry("b", 11.0, "s", "m", output_tokens=2, cost_usd=0.0, speed="fast", geo="us"),
            Entry("c", 12.0, "s", "m", output_tokens=3, cost_usd=1.5, message_id="x"),
        ]
    )
    assert _stored(db) == [
        ("a", 10.0, 1, None, "null", 1, "integer", "", "", "", ""),
        ("b", 11.0, 2, 0.0, "real", 0, "integer", "fast", "us", "", ""),
        ("c", 12.0, 3, 1.5, "real", 0, "integer", "", "", "x", ""),
    ]
    # A later write of the same keys (a larger copy) replaces every field but the session;
    # a cost can appear or go away.
    ledger.write(
        {
            "a": Entry("a", 9.0, "t", "m2", output_tokens=5, cost_usd=2.0, request_id="r"),
            "c": Entry("c", 12.0, "t", "m", output_tokens=4, cost_usd=None, sidechain=True),
        }
    )
    assert _stored(db) == [
        ("a", 9.0, 5, 2.0, "real", 0, "integer", "", "", "", "r"),
        ("b", 11.0, 2, 0.0, "real", 0, "integer", "fast", "us", "", ""),
        ("c", 12.0, 4, None, "null", 1, "integer", "", "", "", ""),
    ]
    assert {e.key: e.session_id for e in ledger.load_entries()} == {"a": "s", "b": "s", "c": "s"}
    ledger.close()
