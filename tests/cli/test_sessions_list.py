"""`sessions`: golden tables at 80 and 120 columns, order, last, projects, breakdown, JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_run import HAIKU, OPUS, run, run_json, two_projects


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = two_projects(tmp_path)
    code, _, err = run(["name", "a1", "Refactor the parser", "--data-dir", str(d)], tmp_path)
    assert code == 0, err
    return d


SESSIONS_80 = """\
Session  Name                 Project  Models       Total   Cost
────────────────────────────────────────────────────────────────
b1                            beta     opus-4-5     2,306  $0.05
                                       haiku-4-5
a1       Refactor the parser  alpha    opus-4-5    21,506  $0.04
                                       sonnet-4-5
Total                                              23,812  $0.09
"""

GOLDEN = Path(__file__).parent / "golden"


def test_sessions_golden_80_and_120(tmp_path: Path, data: Path) -> None:
    assert run(["sessions"], tmp_path, data)[1] == SESSIONS_80
    assert (
        run(["sessions"], tmp_path, data, COLUMNS="120")[1]
        == (GOLDEN / "sessions_120.txt").read_text()
    )
    assert run(["sessions", "--compact"], tmp_path, data, COLUMNS="120")[1] == SESSIONS_80


def test_sessions_json_order_last_project(tmp_path: Path, data: Path) -> None:
    got = run_json(["sessions"], tmp_path, data)
    assert [(s["session_id"], s["project"], s["name"]) for s in got["sessions"]] == [
        ("b1", "beta", ""),
        ("a1", "alpha", "Refactor the parser"),
    ]
    assert got["sessions"][0]["models"] == [OPUS, HAIKU]
    assert got["sessions"][0]["project_path"] == "/home/u/beta"
    got = run_json(["sessions", "--order", "asc"], tmp_path, data)
    assert [s["session_id"] for s in got["sessions"]] == ["a1", "b1"]
    got = run_json(["sessions", "--last", "1"], tmp_path, data)
    assert [s["session_id"] for s in got["sessions"]] == ["b1"]
    assert got["totals"]["total_tokens"] == 2306
    got = run_json(["sessions", "--project", "alpha"], tmp_path, data)
    assert [s["session_id"] for s in got["sessions"]] == ["a1"]


def test_sessions_instances_and_breakdown(tmp_path: Path, data: Path) -> None:
    got = run_json(["sessions", "--instances", "--breakdown"], tmp_path, data)
    assert [(p["project"], [s["session_id"] for s in p["sessions"]]) for p in got["projects"]] == [
        ("alpha", ["a1"]),
        ("beta", ["b1"]),
    ]
    b1 = got["projects"][1]["sessions"][0]
    assert [(m["model"], m["output_tokens"]) for m in b1["per_model"]] == [
        (OPUS, 2000),
        (HAIKU, 300),
    ]
    lines = run(["sessions", "-b"], tmp_path, data)[1].splitlines()
    assert lines[2:6] == [
        "b1                            beta     opus-4-5        2,306  $0.05",
        "                                       haiku-4-5",
        "                                       └─ opus-4-5     2,003  $0.05",
        "                                       └─ haiku-4-5      303  $0.00",
    ]


SESSION_80 = """\
Session   a1
Name      Refactor the parser
Project   /home/u/alpha
Active    2026-02-10 21:11 → 2026-02-10 22:11

Model       Input  Output  Cache write  Cache read   Total   Cost
─────────────────────────────────────────────────────────────────
opus-4-5        3   1,000            0      20,000  21,003  $0.04
sonnet-4-5      3     500            0           0     503  $0.01
Total           6   1,500            0      20,000  21,506  $0.04
"""


def test_one_session_golden(tmp_path: Path, data: Path) -> None:
    assert run(["session", "Refactor the parser"], tmp_path, data)[1] == SESSION_80
    wide = run(["session", "a1", "--no-cost"], tmp_path, data, COLUMNS="120")[1].splitlines()
    assert wide[5].split() == ["Model", "Input", "Output", "Cache", "write", "Cache", "read",
                               "Total"]  # fmt: skip
    assert wide[7].startswith("claude-opus-4-5-20251101 ")
