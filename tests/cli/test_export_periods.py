"""`export --period daily|weekly|monthly`: per-period and per-model rows in the user's zone."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.export_periods import PERIOD_FIELDS
from tray_app.cli.main import main


def _line(msg: str, when: str, model: str, output: int, session: str = "s1") -> dict:
    line = assistant(msg, output, session=session, request=f"r{msg}", model=model, input_tokens=10)
    line["timestamp"] = when
    return line


def _data(tmp_path: Path) -> Path:
    root = tmp_path / "claude"
    write_jsonl(root / "projects/-p/s1.jsonl", [
        _line("msg_a", "2026-01-31T23:30:00Z", "claude-opus-4-6", 100),  # Feb 1 in Berlin
        _line("msg_b", "2026-01-31T20:00:00Z", "claude-opus-4-6", 200),  # Jan 31 in Berlin
        _line("msg_c", "2026-02-02T10:00:00Z", "claude-sonnet-4-5", 300),
        _line("msg_d", "2026-02-02T11:00:00Z", "claude-mystery-9", 400),  # no price
    ])  # fmt: skip
    return root


def _run(tmp_path: Path, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, {"TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
                                 "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")})  # fmt: skip
    code = main(["export", *args, "--timezone", "Europe/Berlin", "--data-dir",
                 str(_data(tmp_path))], env)  # fmt: skip
    assert code == ExitStatus.OK, err.getvalue()
    return out.getvalue()


def test_monthly_csv_has_the_documented_columns_and_local_months(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_run(tmp_path, "--period", "monthly"))))
    assert list(rows[0]) == PERIOD_FIELDS
    totals = [(r["period"], r["output_tokens"], r["responses"]) for r in rows if not r["model"]]
    assert totals == [("2026-01", "200", "1"), ("2026-02", "800", "3")]
    feb = [r for r in rows if r["period"] == "2026-02"]
    assert [r["model"] for r in feb] == ["", "claude-mystery-9", "claude-sonnet-4-5",
                                         "claude-opus-4-6"]  # fmt: skip
    assert feb[0]["cost_complete"] == "False"  # a model has no price: left out of cost_usd
    assert feb[0]["unpriced_tokens"] == "410"
    assert float(feb[0]["cost_usd"]) == float(feb[2]["cost_usd"]) + float(feb[3]["cost_usd"])
    assert feb[2]["cost_usd"] == "0.00453"  # 10 in × $3/M + 300 out × $15/M


def test_weekly_json_sums_to_the_totals(tmp_path: Path) -> None:
    payload = json.loads(_run(tmp_path, "--period", "weekly", "--format", "json"))
    weeks = [r for r in payload["weekly"] if r["model"] == ""]
    assert [w["period"] for w in weeks] == ["2026-01-26", "2026-02-02"]  # Mondays, Berlin
    assert sum(w["total_tokens"] for w in weeks) == payload["totals"]["total_tokens"] == 1040
    assert weeks[0]["first_activity"] == "2026-01-31T20:00:00.000Z"


def test_default_is_still_one_row_per_response(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_run(tmp_path))))
    assert len(rows) == 4 and "message_id" in rows[0]
