"""Figures that do not lie, end to end: rate spans, limits from all history, partial costs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

NOW = "2026-02-11T20:00:00+00:00"


def run(args: list[str], tmp_path: Path, data: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out,
        err,
        {
            "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
            "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        },
    )
    code = main([*args, "--data-dir", str(data)], env)
    return code, out.getvalue(), err.getvalue()


def run_json(args: list[str], tmp_path: Path, data: Path) -> Any:
    code, out, err = run([*args, "--json"], tmp_path, data)
    assert code == 0, err
    return json.loads(out)


def _project(tmp_path: Path) -> Path:
    return tmp_path / "claude" / "projects" / "-home-u-proj"


@pytest.fixture
def burst(tmp_path: Path) -> Path:
    """Three big responses two seconds apart, in an active block at NOW."""
    lines = [
        assistant(f"msg_{i}", 400_000, minutes=22 * 60 + 40 + i * 2 / 60, request=f"r{i}")
        for i in range(3)
    ]
    write_jsonl(_project(tmp_path) / "s.jsonl", lines)
    return tmp_path / "claude"


def test_seconds_of_data_show_no_burn_rate_or_projection(tmp_path: Path, burst: Path) -> None:
    got = run_json(["status", "--now", NOW], tmp_path, burst)
    block = got["active_block"]
    assert block["total_tokens"] == 3 * 400_003
    assert block["burn_rate"] is None and block["projection"] is None
    code, out, _ = run(["status", "--now", NOW], tmp_path, burst)
    assert code == 0
    assert "  Burn rate   — (under 5 min of data)" in out.splitlines()
    assert "Projection" not in out and "tok/min" not in out
    _, compact, _ = run(["status", "--now", NOW, "--compact"], tmp_path, burst)
    assert "tok/min" not in compact and "/h" not in compact
    blocks = run_json(["blocks", "--now", NOW], tmp_path, burst)["blocks"]
    assert [b["burn_rate"] for b in blocks] == [None]


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A big block on day 1, small ones on day 2 (finished), all before NOW."""
    write_jsonl(
        _project(tmp_path) / "s.jsonl",
        [
            assistant("msg_big", 5000, minutes=0, request="r1"),  # 2026-02-10 21:11 UTC
            assistant("msg_s1", 10, minutes=12 * 60, request="r2"),  # 2026-02-11 09:11
            assistant("msg_s2", 20, minutes=18 * 60, request="r3"),  # 2026-02-11 15:11
        ],
    )
    return tmp_path / "claude"


def test_since_never_changes_the_limit(tmp_path: Path, history: Path) -> None:
    whole = run_json(["blocks", "--now", NOW], tmp_path, history)
    assert whole["limit"]["tokens"] == 5003
    later = ["--since", "2026-02-11", "--timezone", "UTC", "--now", NOW]
    got = run_json(["blocks", *later], tmp_path, history)
    assert got["limit"] == whole["limit"]  # was 23: the max of the filtered blocks only
    assert [b["total_tokens"] for b in got["blocks"] if not b["is_gap"]] == [13, 23]
    assert got["totals"]["total_tokens"] == 36
    assert [b["percent"] for b in got["blocks"] if not b["is_gap"]] == [
        round(13 * 100 / 5003, 2),
        round(23 * 100 / 5003, 2),
    ]
    status = run_json(["status", *later], tmp_path, history)
    assert status["limit"]["tokens"] == 5003


def test_a_filtered_status_says_what_its_total_covers(tmp_path: Path, history: Path) -> None:
    window = ["--since", "2026-02-11", "--until", "2026-02-11", "--timezone", "UTC"]
    got = run_json(["status", *window, "--now", NOW], tmp_path, history)
    assert got["totals_label"] == "2026-02-11 – 2026-02-11"
    assert got["totals"]["total_tokens"] == 36
    _, out, _ = run(["status", *window, "--now", NOW], tmp_path, history)
    assert "All time" not in out
    assert any(line.startswith("2026-02-11 – 2026-02-11 36 tokens") for line in out.splitlines())
    whole = run_json(["status", "--now", NOW], tmp_path, history)
    assert whole["totals_label"] == "All time" and whole["totals"]["total_tokens"] == 5039


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """One priced response, one of a model with no price."""
    write_jsonl(
        _project(tmp_path) / "s.jsonl",
        [
            assistant("msg_1", 100_000, minutes=22 * 60, request="r1"),
            assistant("msg_2", 100, minutes=22 * 60 + 10, request="r2", model="claude-mystery-9"),
        ],
    )
    return tmp_path / "claude"


def test_one_unpriced_model_keeps_the_priced_part(tmp_path: Path, mixed: Path) -> None:
    got = run_json(["sessions", "--now", NOW], tmp_path, mixed)
    t = got["totals"]
    # claude-opus-4-6: 100,000 output tokens at $25/M + 3 input at $5/M.
    assert t["cost_usd"] == pytest.approx(2.500015)
    assert (t["cost_complete"], t["unpriced_tokens"]) == (False, 103)
    code, out, _ = run(["sessions", "--now", NOW], tmp_path, mixed)
    assert code == 0 and "$2.50 + unpriced" in out and "—" not in out
    models = {m["model"]: m for m in run_json(["models", "--now", NOW], tmp_path, mixed)["models"]}
    assert models["claude-opus-4-6"]["cost_complete"] is True
    assert (
        models["claude-mystery-9"]["cost_usd"] == 0
        and not models["claude-mystery-9"]["cost_complete"]
    )
    _, out, _ = run(["models", "--now", NOW], tmp_path, mixed)
    row = next(line for line in out.splitlines() if line.startswith("mystery-9"))  # shortened
    assert " unpriced " in row
    status = run_json(["status", "--now", NOW], tmp_path, mixed)
    assert status["active_block"]["cost_usd"] == pytest.approx(2.500015)
    assert status["active_block"]["cost_complete"] is False
