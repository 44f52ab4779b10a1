"""The CLI end to end on real temp files and a real SQLite ledger."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.main import main

TOKEN_FIELDS = {
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "total_tokens",
    "cost_usd",
}
NOW = "2026-02-10T23:00:00+00:00"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "claude" / "projects" / "-home-u-proj"
    write_jsonl(
        root / "s1.jsonl",
        [
            assistant("msg_1", 5, session="aaaa1111", minutes=0),
            assistant("msg_1", 50, session="aaaa1111", minutes=0),
            assistant("msg_2", 20, session="aaaa1111", minutes=30, cache_1h=1000),
        ],
    )
    write_jsonl(
        root / "s2.jsonl",
        [assistant("msg_3", 7, session="bbbb2222", minutes=60, model="claude-mystery-9")],
    )
    return tmp_path / "claude"


def run(
    args: list[str], tmp_path: Path, data: Path | None = None, **extra_env: str
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out,
        err,
        {
            "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
            "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
            **extra_env,
        },
    )
    extra = ["--data-dir", str(data)] if data else []
    code = main([*args, *extra], env)
    return code, out.getvalue(), err.getvalue()


def run_json(args: list[str], tmp_path: Path, data: Path) -> Any:
    code, out, err = run([*args, "--json"], tmp_path, data)
    assert code == 0, err
    return json.loads(out)


def test_status_json_shape_and_values(tmp_path: Path, data: Path) -> None:
    got = run_json(["status", "--now", NOW], tmp_path, data)
    t = got["totals"]
    assert set(t) >= TOKEN_FIELDS
    assert (t["output_tokens"], t["input_tokens"], t["cache_creation_tokens"]) == (77, 9, 1000)
    # An unpriced model keeps the priced part and is flagged (never $0, never all unknown).
    assert t["cost_usd"] == pytest.approx(0.01178)
    assert (t["cost_complete"], t["unpriced_tokens"]) == (False, 10)
    assert got["unpriced_models"] == ["claude-mystery-9"]
    block = got["active_block"]
    assert (
        block["start"] == "2026-02-10T21:00:00.000Z" and block["end"] == "2026-02-11T02:00:00.000Z"
    )
    assert block["is_active"] is True and block["is_gap"] is False
    assert {"models", "burn_rate", "projection", "percent", "limit_source"} <= set(block)


def test_unpriced_model_is_named_in_a_warning(tmp_path: Path, data: Path) -> None:
    code, _, err = run(["status", "--now", NOW], tmp_path, data)
    assert code == 0 and "claude-mystery-9" in err


def test_sessions_daily_blocks_json(tmp_path: Path, data: Path) -> None:
    s = run_json(["sessions"], tmp_path, data)
    assert [x["session_id"] for x in s["sessions"]] == ["bbbb2222", "aaaa1111"]
    a = s["sessions"][1]
    assert (a["output_tokens"], a["project_path"], a["first_activity"]) == (
        70,
        "/home/u/proj",
        "2026-02-10T21:11:59.000Z",
    )
    d = run_json(["daily", "--timezone", "Asia/Tokyo"], tmp_path, data)
    assert [x["date"] for x in d["daily"]] == ["2026-02-11"]  # 21:11 UTC is 06:11 in Tokyo
    assert run_json(["daily", "--timezone", "UTC"], tmp_path, data)["daily"][0]["date"] == (
        "2026-02-10"
    )
    b = run_json(["blocks"], tmp_path, data)
    assert len(b["blocks"]) == 1 and b["totals"]["output_tokens"] == 77
    w = run_json(["weekly", "--timezone", "UTC"], tmp_path, data)
    assert w["weekly"][0]["week"] == "2026-02-09"  # Monday


def test_session_lookup_by_prefix_name_and_errors(tmp_path: Path, data: Path) -> None:
    got = run_json(["session", "aaaa"], tmp_path, data)
    assert got["session"]["session_id"] == "aaaa1111" and got["totals"]["output_tokens"] == 70
    code, out, _ = run(["name", "aaaa", "refactor", "--tag", "x", "--tag", "y"], tmp_path, data)
    assert code == 0 and "refactor" in out
    got = run_json(["session", "refactor"], tmp_path, data)
    assert got["session"]["name"] == "refactor" and got["tags"] == ["x", "y"]
    code, _, err = run(["session", "zzz"], tmp_path, data)
    assert code == ExitStatus.NOT_FOUND and err.count("\n") == 1 and "Traceback" not in err


def test_since_until_filter(tmp_path: Path, data: Path) -> None:
    got = run_json(["sessions", "--since", "2026-02-10T22:00:00Z"], tmp_path, data)
    assert [x["session_id"] for x in got["sessions"]] == ["bbbb2222"]
    got = run_json(["sessions", "--until", "2026-02-09", "--timezone", "UTC"], tmp_path, data)
    assert got["sessions"] == [] and got["totals"]["total_tokens"] == 0


def test_no_ledger_matches_ledger(tmp_path: Path, data: Path) -> None:
    a = run_json(["sessions"], tmp_path, data)
    b = run_json(["sessions", "--no-ledger"], tmp_path, data)
    assert a["totals"] == b["totals"]


def test_export_csv_and_json(tmp_path: Path, data: Path) -> None:
    code, out, _ = run(["export", "--format", "csv"], tmp_path, data)
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("timestamp,session_id") and len(lines) == 4
    got = run_json(["export", "--format", "json"], tmp_path, data)
    assert [r["output_tokens"] for r in got["responses"]] == [50, 20, 7]


def test_errors_are_one_line_with_documented_codes(tmp_path: Path) -> None:
    code, _, err = run(["status", "--data-dir", str(tmp_path / "missing")], tmp_path)
    assert code == ExitStatus.NO_DATA and "data dir not found" in err and err.count("\n") == 1
    code, _, err = run(["status", "--bogus"], tmp_path)
    assert code == ExitStatus.USAGE and err.count("\n") == 1
    code, _, err = run(["status", "--timezone", "Mars/Base"], tmp_path, tmp_path)
    assert code == ExitStatus.USAGE and "unknown timezone" in err


def test_doctor_reports_bad_lines_with_places(tmp_path: Path, data: Path) -> None:
    bad = data / "projects" / "-home-u-proj" / "s1.jsonl"
    with open(bad, "ab") as h:
        h.write(b"{broken\n\xff\xfe\n")
    got = run_json(["doctor"], tmp_path, data)
    assert got["bad_lines"] == 2
    assert got["bad_places"][0].startswith(f"{bad}:4: malformed JSON")
    assert got["bad_places"][1].startswith(f"{bad}:5: not UTF-8")


def test_compact_is_one_line_for_status_and_the_narrow_table_elsewhere(
    tmp_path: Path, data: Path
) -> None:
    code, out, _ = run(["status", "--compact", "--now", NOW], tmp_path, data)
    assert code == 0 and out.count("\n") == 1, out
    for cmd in ("blocks", "sessions", "daily", "models"):
        code, out, _ = run([cmd, "--compact", "--now", NOW], tmp_path, data)
        # The narrow table is narrower than the same report in a wide terminal (at 80 columns
        # the full table may already have dropped the same columns to fit).
        full = run([cmd, "--now", NOW], tmp_path, data, COLUMNS="200")[1]
        width = max(len(line) for line in out.splitlines())
        assert code == 0 and width < max(len(line) for line in full.splitlines()), cmd


def test_version_does_not_import_the_ui() -> None:
    code = (
        "import sys; from tray_app.launcher import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "assert 'pystray' not in sys.modules and 'tray_app.ui' not in sys.modules"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("token-monitor ")
