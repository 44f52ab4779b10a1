"""`blocks`: golden tables, gap rows with dates, --token-limit, --last, --order, --active."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tests.cli.cli_run import OPUS, SONNET, run, run_json, two_projects

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return two_projects(tmp_path)


def test_blocks_golden_80_120_and_breakdown(tmp_path: Path, data: Path) -> None:
    assert run(["blocks"], tmp_path, data)[1] == (GOLDEN / "blocks_80.txt").read_text()
    wide = run(["blocks"], tmp_path, data, COLUMNS="120")[1]
    assert wide == (GOLDEN / "blocks_120.txt").read_text()
    got = run(["blocks", "-b", "--token-limit", "30k"], tmp_path, data)[1]
    assert got == (GOLDEN / "blocks_breakdown_80.txt").read_text()


def test_gap_rows_show_both_dates(tmp_path: Path, data: Path) -> None:
    lines = run(["blocks"], tmp_path, data)[1].splitlines()
    assert lines[4].split() == ["2026-02-11", "03:11", "2026-02-12", "21:11", "gap"]


def test_token_limit_max_p90_and_number(tmp_path: Path, data: Path) -> None:
    now = ["--now", "2026-03-20T00:00:00+00:00"]
    got = run_json(["blocks", "--token-limit", "30k", *now], tmp_path, data)
    assert got["limit"] == {"tokens": 30000, "source": "custom", "label": "custom limit"}
    assert [b["percent"] for b in got["blocks"] if not b["is_gap"]] == [71.69, 6.68, 1.01]
    got = run_json(["blocks", "--token-limit", "max", *now], tmp_path, data)
    assert got["limit"]["tokens"] == 21506 and got["limit"]["source"] == "max"
    got = run_json(["blocks", "--token-limit", "p90", *now], tmp_path, data)
    assert got["limit"]["source"] == "p90" and got["limit"]["tokens"] == 303  # last 8 days
    code, _, err = run(["blocks", "--token-limit", "lots"], tmp_path, data)
    assert code == 2 and "expected max, p90 or a number of tokens" in err


def test_last_order_and_models_order(tmp_path: Path, data: Path) -> None:
    got = run_json(["blocks", "--last", "2"], tmp_path, data)
    kinds = [(b["start"][:10], b["is_gap"]) for b in got["blocks"]]
    assert kinds == [("2026-02-12", False), ("2026-02-13", True), ("2026-03-12", False)]
    got = run_json(["blocks", "--order", "desc"], tmp_path, data)
    assert got["blocks"][0]["start"].startswith("2026-03-12")
    assert got["blocks"][-1]["models"] == [OPUS, SONNET]


def test_active_with_nothing_says_so(tmp_path: Path, data: Path) -> None:
    assert run(["blocks", "--active"], tmp_path, data)[1] == "No active block.\n"
    assert run_json(["blocks", "--active"], tmp_path, data)["blocks"] == []
    now = ["--now", "2026-03-12T22:00:00+00:00"]
    lines = run(["blocks", "--active", "--no-cost", *now], tmp_path, data)[1].splitlines()
    assert lines[2].split() == ["2026-03-12", "21:00", "2026-03-13", "02:00", "ACTIVE",
                                "haiku-4-5", "303", "1%"]  # fmt: skip


def test_80_columns_keep_the_state_of_gap_rows_with_eight_digit_blocks(tmp_path: Path) -> None:
    """Before, wide token figures pushed State out: a gap row read as an empty block."""
    root = tmp_path / "claude" / "projects" / "p"
    big = dict(model=SONNET, cache_read=10_000_000)
    write_jsonl(
        root / "s.jsonl",
        [assistant("m1", 100, **big), assistant("m2", 100, minutes=2 * 24 * 60, **big)],
    )
    code, out, err = run(["blocks"], tmp_path, tmp_path / "claude")
    assert code == 0, err
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].split()[:4] == ["Start", "End", "State", "Models"]
    assert lines[3].split()[-1] == "gap"
