"""An idle `status` says when usage was last seen (text, one line and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_run import run, two_projects

NOW = ["--now", "2026-03-14T21:00:00+00:00"]  # two days after the last (haiku) response


def test_idle_status_says_when_usage_was_last_seen(tmp_path: Path) -> None:
    data = two_projects(tmp_path)
    out = run(["status", *NOW], tmp_path, data)[1]
    assert out.splitlines()[0] == (
        "No active block (idle); last used 2026-03-12 21:11 (1 d 23 h ago)."
    )
    compact = run(["status", "--compact", *NOW], tmp_path, data)[1]
    assert compact.startswith("idle · last used 1 d 23 h ago · today 0 ")
    got = json.loads(run(["status", "--json", *NOW], tmp_path, data)[1])
    assert got["active_block"] is None and got["last_activity"] == "2026-03-12T21:11:59.000Z"


def test_active_status_models_line_fits_the_terminal(tmp_path: Path) -> None:
    data = two_projects(tmp_path)
    now = ["--now", "2026-02-10T22:30:00+00:00"]  # the opus + sonnet block
    narrow = run(["status", *now], tmp_path, data, COLUMNS="60")[1].splitlines()
    assert "  Models      opus-4-5, sonnet-4-5" in narrow
    wide = run(["status", *now], tmp_path, data)[1].splitlines()  # 66 columns fit 80
    assert "  Models      claude-opus-4-5-20251101, claude-sonnet-4-5-20250929" in wide
