"""`status` from the ledger's block cache gives exactly what a full recount gives."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# Responses as (minutes after T0, tokens, output); spread over days with gaps.
responses = st.lists(
    st.tuples(st.integers(0, 60 * 24 * 9), st.integers(1, 5000), st.integers(1, 50)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, responses, st.integers(0, 60 * 24 * 10), st.data())
def test_cached_status_equals_a_full_recount(
    first: list[tuple[int, int, int]],
    later: list[tuple[int, int, int]],
    now_min: int,
    data: st.DataObject,
) -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        root = tmp / "projects"
        f = root / "p" / "s.jsonl"
        lines = [assistant(f"msg_{i}", o, input_tokens=n, minutes=m)
                 for i, (m, n, o) in enumerate(first)]  # fmt: skip
        write_jsonl(f, lines)  # type: ignore[arg-type]
        last = max(m for m, _, _ in first + later)
        now = T0.timestamp() + (last + now_min) * 60
        status(tmp, root, now)  # fills the cache
        # Later: new responses anywhere in time, and bigger copies of old ones.
        grown = [assistant(f"msg_{i}", o + 100, input_tokens=n, minutes=m)
                 for i, (m, n, o) in enumerate(first) if data.draw(st.booleans())]  # fmt: skip
        new = [assistant(f"new_{i}", o, input_tokens=n, minutes=m)
               for i, (m, n, o) in enumerate(later)]  # fmt: skip
        write_jsonl(f, grown + new, mode="a")  # type: ignore[arg-type]
        cached = status(tmp, root, now)
        again = status(tmp, root, now)  # from the cache it just refreshed
        full = status(tmp, root, now, "--no-ledger")
        assert cached == full
        assert again == full


def test_cache_is_used_and_dropped_when_prices_change(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    lines = [assistant(f"msg_{d}", 10, input_tokens=1000, minutes=d * 24 * HOUR)
             for d in range(5)]  # fmt: skip
    write_jsonl(root / "p" / "s.jsonl", lines)  # type: ignore[arg-type]
    now = T0.timestamp() + 5 * 24 * 3600
    status(tmp_path, root, now)
    import sqlite3

    with sqlite3.connect(tmp_path / "l.db") as con:
        assert con.execute("SELECT COUNT(*) FROM block_cache").fetchone()[0] == 4
    cfg = tmp_path / "none.yaml"
    cfg.write_text("prices:\n  claude-opus-4-6: {input: 100, output: 100}\n")
    got = status(tmp_path, root, now)
    assert got["totals"]["cost_usd"] == round(5 * (1000 * 100 + 10 * 100) / 1e6, 6)
    os.remove(cfg)
