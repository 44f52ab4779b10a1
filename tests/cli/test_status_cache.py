"""`status` uses the ledger's block cache and drops it when prices change.

That cached reports equal a full recount after any runs is tested end to end in
tests/integration/test_one_path_cli.py.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from tests.builders import T0, assistant, write_jsonl
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

HOUR = 60.0  # minutes


def status(tmp: Path, data: Path, now: float, *extra: str) -> Any:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, {"TOKEN_MONITOR_DB": str(tmp / "l.db"),
                                 "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml")}, now)  # fmt: skip
    assert main(["status", "--json", "--data-dir", str(data), *extra], env) == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_cache_is_used_and_dropped_when_prices_change(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    lines = [assistant(f"msg_{d}", 10, input_tokens=1000, minutes=d * 24 * HOUR)
             for d in range(5)]  # fmt: skip
    write_jsonl(root / "p" / "s.jsonl", lines)  # type: ignore[arg-type]
    now = T0.timestamp() + 5 * 24 * 3600
    status(tmp_path, root, now)
    import sqlite3

    with sqlite3.connect(tmp_path / "l.db") as con:
        # Five blocks a day apart: at `now` the clock has ended the last one too.
        assert con.execute("SELECT COUNT(*) FROM block_cache").fetchone()[0] == 5
    cfg = tmp_path / "none.yaml"
    cfg.write_text("prices:\n  claude-opus-4-6: {input: 100, output: 100}\n")
    got = status(tmp_path, root, now)
    assert got["totals"]["cost_usd"] == round(5 * (1000 * 100 + 10 * 100) / 1e6, 6)
    os.remove(cfg)
