"""Rows an older release stored with impossible values are set aside, not reported."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from tests.builders import T0, assistant, write_jsonl
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

EVIL = {
    "year-9999": "'evil1', 253402300799, session_id, model, 1, 1, 0, 0, 0, 0",
    "2^63 count": "'evil2', ts, session_id, model, 9223372036854775807, 1, 0, 0, 0, 0",
    "1e300 cost": "'evil3', ts, session_id, model, 1, 1, 0, 0, 0, 0",
}


def _run(tmp: Path, data: Path, *args: str) -> tuple[int, dict[str, object], str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, {"TOKEN_MONITOR_DB": str(tmp / "l.db"),
                                 "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml")},
                      T0.timestamp() + 3600)  # fmt: skip
    code = main([*args, "--json", "--data-dir", str(data)], env)
    return code, json.loads(out.getvalue() or "{}"), err.getvalue()


@pytest.mark.parametrize("case", sorted(EVIL))
def test_an_old_release_s_impossible_row_no_longer_breaks_reports(
    tmp_path: Path, case: str
) -> None:
    data = tmp_path / "projects"
    write_jsonl(data / "p" / "s.jsonl", [assistant("m1", 10, minutes=1)])
    code, _, err = _run(tmp_path, data, "status")
    assert code == 0, err
    con = sqlite3.connect(tmp_path / "l.db")
    cost = "1e300" if "cost" in case else "cost_usd"
    con.execute(
        f"INSERT INTO responses SELECT {EVIL[case]}, speed, geo, {cost}, sidechain, 'mx', 'rx' "
        "FROM responses LIMIT 1"
    )
    con.execute("DELETE FROM meta WHERE key = 'bounds_checked'")  # as an older release left it
    con.commit()
    con.close()
    for report in ("status", "blocks", "daily", "sessions"):
        code, got, err = _run(tmp_path, data, report)
        assert code == 0, (report, err)
        totals = got["totals"]
        assert isinstance(totals, dict) and totals["responses"] == 1, report
    con = sqlite3.connect(tmp_path / "l.db")
    kept = con.execute("SELECT key, message_id FROM responses_rejected").fetchall()
    assert len(kept) == 1 and kept[0][1] == "mx"  # kept as it was, just not counted
    con.close()
