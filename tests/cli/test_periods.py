"""daily / weekly / monthly: golden tables at 80 and 120 columns, JSON values, every flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_run import HAIKU, OPUS, SONNET, run, run_json, two_projects
from tray_app.cli.environment import ExitStatus


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return two_projects(tmp_path)


DAILY_80 = """\
Date        Models      Input  Output  Cache write  Cache read   Total   Cost
─────────────────────────────────────────────────────────────────────────────
2026-02-10  opus-4-5        6   1,500            0      20,000  21,506  $0.04
            sonnet-4-5
2026-02-12  opus-4-5        3   2,000            0           0   2,003  $0.05
2026-03-12  haiku-4-5       3     300            0           0     303  $0.00
Total                      12   3,800            0      20,000  23,812  $0.09
"""

DAILY_120 = """\
Date        Models                      Input  Output  Cache write  Cache read   Total   Cost
─────────────────────────────────────────────────────────────────────────────────────────────
2026-02-10  claude-opus-4-5-20251101        6   1,500            0      20,000  21,506  $0.04
            claude-sonnet-4-5-20250929
2026-02-12  claude-opus-4-5-20251101        3   2,000            0           0   2,003  $0.05
2026-03-12  claude-haiku-4-5-20251001       3     300            0           0     303  $0.00
Total                                      12   3,800            0      20,000  23,812  $0.09
"""

COMPACT = """\
Date        Models       Total   Cost
─────────────────────────────────────
2026-02-10  opus-4-5    21,506  $0.04
            sonnet-4-5
2026-02-12  opus-4-5     2,003  $0.05
2026-03-12  haiku-4-5      303  $0.00
Total                   23,812  $0.09
"""

MONTHLY_INSTANCES = """\
Month    Models      Input  Output  Cache write  Cache read   Total   Cost
──────────────────────────────────────────────────────────────────────────
alpha
2026-02  opus-4-5        6   1,500            0      20,000  21,506  $0.04
         sonnet-4-5
beta
2026-02  opus-4-5        3   2,000            0           0   2,003  $0.05
2026-03  haiku-4-5       3     300            0           0     303  $0.00
Total                   12   3,800            0      20,000  23,812  $0.09
"""


def test_daily_golden_80_and_120_columns(tmp_path: Path, data: Path) -> None:
    code, out, err = run(["daily"], tmp_path, data)
    assert code == 0 and out == DAILY_80, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert run(["daily"], tmp_path, data, COLUMNS="120")[1] == DAILY_120
    assert run(["daily", "--compact"], tmp_path, data)[1] == COMPACT


def test_narrow_terminal_drops_cache_columns_first(tmp_path: Path, data: Path) -> None:
    out = run(["daily"], tmp_path, data, COLUMNS="60")[1]
    assert out.splitlines()[0].split() == ["Date", "Models", "Input", "Output", "Total", "Cost"]
    assert max(len(line) for line in out.splitlines()) <= 60


def test_monthly_and_instances(tmp_path: Path, data: Path) -> None:
    got = run_json(["monthly"], tmp_path, data)
    assert [(m["month"], m["total_tokens"]) for m in got["monthly"]] == [
        ("2026-02", 23509),
        ("2026-03", 303),
    ]
    assert got["monthly"][0]["models"] == [OPUS, SONNET]  # most tokens first
    assert run(["monthly", "--instances"], tmp_path, data)[1] == MONTHLY_INSTANCES
    got = run_json(["monthly", "-i"], tmp_path, data)
    assert [(p["project"], [m["month"] for m in p["monthly"]]) for p in got["projects"]] == [
        ("alpha", ["2026-02"]),
        ("beta", ["2026-02", "2026-03"]),
    ]
    assert [p["totals"]["total_tokens"] for p in got["projects"]] == [21506, 2306]
    assert got["totals"]["total_tokens"] == 23812


def test_breakdown_rows_and_json(tmp_path: Path, data: Path) -> None:
    out = run(["daily", "-b"], tmp_path, data)[1].splitlines()
    assert out[2:6] == [
        "2026-02-10  opus-4-5           6   1,500            0      20,000  21,506  $0.04",
        "            sonnet-4-5",
        "            └─ opus-4-5        3   1,000            0      20,000  21,003  $0.04",
        "            └─ sonnet-4-5      3     500            0           0     503  $0.01",
    ]
    got = run_json(["daily", "--breakdown"], tmp_path, data)
    split = got["daily"][0]["per_model"]
    assert [(m["model"], m["output_tokens"]) for m in split] == [(OPUS, 1000), (SONNET, 500)]
    assert "per_model" not in run_json(["daily"], tmp_path, data)["daily"][0]


def test_order_last_and_no_cost(tmp_path: Path, data: Path) -> None:
    got = run_json(["daily", "--order", "desc"], tmp_path, data)
    assert [d["date"] for d in got["daily"]] == ["2026-03-12", "2026-02-12", "2026-02-10"]
    got = run_json(["daily", "--last", "2"], tmp_path, data)
    assert [d["date"] for d in got["daily"]] == ["2026-02-12", "2026-03-12"]
    assert got["totals"]["total_tokens"] == 2306  # the totals are of the rows shown
    _, out, _ = run(["weekly", "--no-cost", "-o", "desc", "--last", "1"], tmp_path, data)
    assert out.splitlines() == [
        "Week of     Models     Input  Output  Cache write  Cache read  Total",
        "────────────────────────────────────────────────────────────────────",
        "2026-03-09  haiku-4-5      3     300            0           0    303",
        "Total                      3     300            0           0    303",
    ]


def test_project_filter_and_aliases(tmp_path: Path, data: Path) -> None:
    got = run_json(["daily", "--project", "beta"], tmp_path, data)
    assert [d["date"] for d in got["daily"]] == ["2026-02-12", "2026-03-12"]
    assert run_json(["daily", "-p", "/home/u/alpha"], tmp_path, data)["totals"]["total_tokens"] == (
        21506
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text("project_aliases:\n  /home/u/beta: Billing\n  alpha: Website\n")
    got = run_json(["monthly", "-i", "--config", str(cfg)], tmp_path, data)
    assert [p["project"] for p in got["projects"]] == ["Billing", "Website"]
    got = run_json(["daily", "--project", "Billing", "--config", str(cfg)], tmp_path, data)
    assert got["totals"]["total_tokens"] == 2306
    code, _, err = run(["daily", "--project", "nope"], tmp_path, data)
    assert code == ExitStatus.NOT_FOUND and "no project 'nope' (known: alpha, beta)" in err


def test_empty_history_says_so(tmp_path: Path, data: Path) -> None:
    code, out, _ = run(["daily", "--since", "20300101"], tmp_path, data)
    assert code == 0 and out == "No usage.\n"


def test_haiku_is_in_the_march_row(tmp_path: Path, data: Path) -> None:
    got = run_json(["daily", "-s", "2026-03-01"], tmp_path, data)
    assert got["daily"] == [
        {
            "date": "2026-03-12",
            "models": [HAIKU],
            **{k: got["daily"][0][k] for k in got["totals"]},
        }
    ]
    assert got["daily"][0]["output_tokens"] == 300
