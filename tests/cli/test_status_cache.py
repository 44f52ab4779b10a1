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


def test_status_reads_only_recent_blocks_and_shows_all_history(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from tray_app.adapters.block_cache import BlockCache

    root = tmp_path / "projects"
    # Forty days, one block a day: the largest block and the only unpriced model are
    # weeks old, so `status` must take them from the summed older blocks.
    lines = [assistant(f"msg_{d}", 10 + d, input_tokens=1000 + 7 * d, minutes=d * 24 * HOUR)
             for d in range(40)]  # fmt: skip
    lines[2] = assistant("msg_big", 900_000, minutes=2 * 24 * HOUR)
    lines[3] = assistant("msg_odd", 5, model="mystery-9", minutes=3 * 24 * HOUR)
    write_jsonl(root / "p" / "s.jsonl", lines)  # type: ignore[arg-type]
    now = T0.timestamp() + 39.5 * 24 * 3600
    decoded: list[int] = []
    blocks = BlockCache.blocks

    def counting(self: BlockCache, *args: Any) -> Any:
        got = blocks(self, *args)
        decoded.append(-1 if got is None else len(got))
        return got

    monkeypatch.setattr(BlockCache, "blocks", counting)
    status(tmp_path, root, now)  # builds the cache
    recent = status(tmp_path, root, now)
    assert decoded[-1] <= 17  # the last 15 days' blocks (and the open one), not 40
    monkeypatch.setattr(BlockCache, "blocks", lambda self, now, resets, recent=None: blocks(
        self, now, resets))  # fmt: skip
    whole = status(tmp_path, root, now)  # every cached block decoded
    for doc in (recent, whole):
        doc.pop("generated_at")
    assert recent == whole
    assert recent["limit"]["tokens"] == 900_003  # the old largest block
    assert recent["unpriced_models"] == ["mystery-9"]
    inputs = [1000 + 7 * d for d in range(40) if d not in (2, 3)]
    assert recent["totals"]["input_tokens"] == sum(inputs) + 3 + 3
