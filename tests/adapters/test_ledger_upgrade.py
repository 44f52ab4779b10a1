"""A ledger made before the figures changes opens and reports right (no data lost)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

OLD_CACHE = (
    "CREATE TABLE block_cache (start REAL NOT NULL PRIMARY KEY, end REAL NOT NULL, "
    "first REAL NOT NULL, last REAL NOT NULL, official INTEGER NOT NULL, input INTEGER NOT "
    "NULL, output INTEGER NOT NULL, cache_creation INTEGER NOT NULL, cache_read INTEGER NOT "
    "NULL, cost_usd REAL, responses INTEGER NOT NULL)"
)


def status(tmp_path: Path, data: Path) -> tuple[int, dict[str, object], str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out,
        err,
        {
            "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
            "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        },
    )
    code = main(["status", "--json", "--data-dir", str(data)], env)
    return code, json.loads(out.getvalue() or "{}"), err.getvalue()


def test_an_old_block_cache_is_upgraded_and_its_unknown_costs_dropped(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    write_jsonl(
        data / "projects" / "-p" / "s.jsonl",
        [assistant("msg_1", 10, minutes=0, request="r1"),
         assistant("msg_2", 20, minutes=600, request="r2", model="claude-mystery-9")],
    )  # fmt: skip
    code, first, err = status(tmp_path, data)
    assert code == 0, err
    # Turn the cache into the old layout: no unpriced columns, a NULL ("unknown") cost.
    con = sqlite3.connect(tmp_path / "db" / "l.db")
    con.execute("DROP TABLE block_cache")
    con.execute(OLD_CACHE)
    con.execute("INSERT INTO block_cache VALUES (0, 18000, 1, 2, 0, 1, 1, 0, 0, NULL, 1)")
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'block_cache_prices'")
    con.commit()
    con.close()
    code, again, err = status(tmp_path, data)
    assert code == 0, err
    assert again["totals"] == first["totals"]  # the stale row is gone, nothing else
    totals = again["totals"]
    assert isinstance(totals, dict) and totals["cost_complete"] is False
    con = sqlite3.connect(tmp_path / "db" / "l.db")
    cols = {row[1] for row in con.execute("PRAGMA table_info(block_cache)")}
    con.close()
    assert {"unpriced_responses", "unpriced_tokens"} <= cols
