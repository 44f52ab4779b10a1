"""`models`: golden tables, the rate without cache reads, last-minute rates only when live."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_run import HAIKU, OPUS, SONNET, run, run_json, two_projects

LIVE = ["--now", "2026-03-12T21:12:30+00:00"]  # 31 s after the haiku response

MODELS_80 = """\
Model       Input  Output   Total   Cost   Share  Avg tok/s  excl. cache
────────────────────────────────────────────────────────────────────────
opus-4-5        6   3,000  23,006  $0.09   96.6%       76.7         10.0
sonnet-4-5      3     500     503  $0.01    2.1%          —            —
haiku-4-5       3     300     303  $0.00    1.3%          —            —
Total          12   3,800  23,812  $0.09  100.0%
"""

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return two_projects(tmp_path)


def test_models_golden(tmp_path: Path, data: Path) -> None:
    assert run(["models"], tmp_path, data)[1] == MODELS_80
    assert (
        run(["models", *LIVE], tmp_path, data, COLUMNS="120")[1]
        == (GOLDEN / "models_120_live.txt").read_text()
    )


def test_rates_json(tmp_path: Path, data: Path) -> None:
    got = {m["model"]: m for m in run_json(["models", *LIVE], tmp_path, data)["models"]}
    opus = got[OPUS]
    # 23,006 tokens over 300 s of use; 3,006 of them are not cache reads.
    assert opus["avg_tokens_per_sec"] == round(23006 / 300, 3)
    assert opus["avg_tokens_per_sec_excl_cache_read"] == round(3006 / 300, 3)
    assert opus["last_minute_tokens_per_sec"] is None  # not used in the last minute
    assert got[HAIKU]["last_minute_tokens_per_sec"] == 5.05  # 303 tokens / 60 s
    assert got[SONNET]["avg_tokens_per_sec_excl_cache_read"] is None
    historic = run_json(["models"], tmp_path, data)["models"]
    assert all(m["last_minute_tokens_per_sec"] is None for m in historic)


def test_models_project_and_no_cost(tmp_path: Path, data: Path) -> None:
    got = run_json(["models", "--project", "alpha"], tmp_path, data)
    assert [m["model"] for m in got["models"]] == [OPUS, SONNET]
    out = run(["models", "--no-cost", "--project", "beta"], tmp_path, data)[1]
    assert out.splitlines()[0].split() == [
        "Model", "Input", "Output", "Cache", "read", "Total", "Share", "Avg", "tok/s",
        "excl.", "cache",
    ]  # fmt: skip
