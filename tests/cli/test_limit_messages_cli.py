"""Limit messages in transcripts ("Weekly limit reached · resets …") as official figures."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.builders import T0, assistant, write_jsonl
from tray_app.adapters.rate_capture import record_for
from tray_app.adapters.spool_files import append_record
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

NOW = T0.timestamp() + 60 * 60  # T0 is 2026-02-10 21:11:59 UTC
WEEK_RESET = datetime(2026, 2, 12, 19, tzinfo=UTC).timestamp()


def cli(tmp: Path, *args: str, now: float = NOW) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, {"TOKEN_MONITOR_DB": str(tmp / "state" / "l.db"),
                                 "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml"),
                                 "CLAUDE_CONFIG_DIR": str(tmp / "claude"),
                                 "HOME": str(tmp)}, now)  # fmt: skip
    code = main(list(args), env)
    return code, out.getvalue(), err.getvalue()


def message(text: str, minutes: float) -> dict[str, Any]:
    line = assistant(f"msg_syn{minutes}", 0, model="<synthetic>", minutes=minutes)
    line["message"]["content"] = [{"type": "text", "text": text}]
    return line


def data(tmp: Path, text: str, minutes: float = 10) -> Path:
    root = tmp / "claude" / "projects"
    lines = [assistant(f"msg_{i}", 1000, minutes=i) for i in range(5)]
    write_jsonl(root / "p" / "s1.jsonl", [*lines, message(text, minutes)])
    return root


def limits(tmp: Path, root: Path, *extra: str, now: float = NOW) -> Any:
    code, out, err = cli(tmp, "limits", "--json", "--data-dir", str(root), *extra, now=now)
    assert code == 0, err
    return json.loads(out)["limits"]


def test_a_weekly_message_is_the_official_weekly_figure_until_its_reset(tmp_path: Path) -> None:
    root = data(tmp_path, "Weekly limit reached · resets Feb 12, 7pm (UTC)")
    week = limits(tmp_path, root)["seven_day"]
    assert week == {
        "percent": 100.0, "source": "official", "estimated": False,
        "captured_at": "2026-02-10T21:21:59.000Z", "age_seconds": 3000.0,
        "resets_at": "2026-02-12T19:00:00.000Z",
    }  # fmt: skip
    # The transcript is not read again: the ledger remembers the message.
    assert limits(tmp_path, root)["seven_day"] == week
    assert limits(tmp_path, root, "--no-ledger")["seven_day"] == week
    # Two days later, still before the reset: still full, the age counts from the message.
    later = limits(tmp_path, root, now=WEEK_RESET - 60)["seven_day"]
    assert (later["percent"], later["source"]) == (100.0, "official")
    # The 5-hour window is not touched by a weekly message.
    assert limits(tmp_path, root)["five_hour"]["source"] == "none"


def test_after_its_reset_the_message_means_nothing(tmp_path: Path) -> None:
    root = data(tmp_path, "Weekly limit reached · resets Feb 12, 7pm (UTC)")
    week = limits(tmp_path, root, now=WEEK_RESET + 1)["seven_day"]
    assert (week["percent"], week["source"]) == (None, "none")
    code, out, _ = cli(tmp_path, "status", "--json", "--data-dir", str(root), now=WEEK_RESET)
    assert code == 0 and json.loads(out)["limits"]["seven_day"]["source"] == "none"


def test_an_opus_message_fills_the_weekly_opus_window(tmp_path: Path) -> None:
    root = data(tmp_path, "You've hit your Opus limit ∙ resets Feb 12, 7pm (UTC)")
    got = limits(tmp_path, root)
    assert got["seven_day_opus"]["percent"] == 100.0
    assert got["seven_day_opus"]["source"] == "official"
    assert got["seven_day"]["source"] == "none"
    code, out, _ = cli(tmp_path, "status", "--json", "--data-dir", str(root))
    assert code == 0 and json.loads(out)["limits"]["seven_day_opus"]["percent"] == 100.0


def test_a_newer_status_line_capture_beats_the_message(tmp_path: Path) -> None:
    root = data(tmp_path, "Weekly limit reached · resets Feb 12, 7pm (UTC)")
    rl = {"seven_day": {"used_percentage": 42.0, "resets_at": WEEK_RESET}}
    append_record(str(tmp_path / "state"), record_for(rl, NOW - 60, "statusline"))
    week = limits(tmp_path, root)["seven_day"]
    assert (week["percent"], week["source"], week["age_seconds"]) == (42.0, "official", 60.0)
    # Once that capture is stale it still says "not full": the older message stays overruled.
    assert limits(tmp_path, root, now=NOW + 3600)["seven_day"]["source"] == "none"


def test_an_older_capture_loses_to_the_message(tmp_path: Path) -> None:
    root = data(tmp_path, "Weekly limit reached · resets Feb 12, 7pm (UTC)")
    rl = {"seven_day": {"used_percentage": 97.0, "resets_at": WEEK_RESET}}
    append_record(str(tmp_path / "state"), record_for(rl, T0.timestamp(), "statusline"))
    week = limits(tmp_path, root, now=T0.timestamp() + 11 * 60)["seven_day"]
    assert (week["percent"], week["age_seconds"]) == (100.0, 60.0)


def test_the_status_text_shows_the_weekly_window_full(tmp_path: Path) -> None:
    root = data(tmp_path, "Weekly limit reached · resets Feb 12, 7pm (UTC)")
    code, out, _ = cli(tmp_path, "limits", "--compact", "--data-dir", str(root))
    assert code == 0 and "weekly 100% (official · 50 min ago)" in out


def test_a_five_hour_message_fills_the_block_until_its_reset(tmp_path: Path) -> None:
    root = data(tmp_path, "5-hour limit reached ∙ resets 2am (UTC)")
    code, out, err = cli(tmp_path, "status", "--json", "--data-dir", str(root))
    assert code == 0, err
    got = json.loads(out)
    assert (got["limits"]["five_hour"]["percent"], got["limits"]["five_hour"]["source"]) == (
        100.0, "official",
    )  # fmt: skip
    assert got["active_block"]["limit_source"] == "official"
    assert got["limits"]["five_hour"]["resets_at"] == "2026-02-11T02:00:00.000Z"
    assert got["limits"]["seven_day"]["source"] == "none"


def test_an_extra_usage_message_fills_the_spend_limit(tmp_path: Path) -> None:
    root = data(tmp_path, "You're out of extra usage · resets 1pm (America/Los_Angeles)")
    got = limits(tmp_path, root)["spend_limit"]
    # Written 2026-02-10 13:21:59 in Los Angeles: the next 1pm is the following day.
    assert (got["percent"], got["resets_at"]) == (100.0, "2026-02-11T21:00:00.000Z")
