"""The terminal view's renderings of a snapshot (dashboard, one line, NDJSON object)."""

from __future__ import annotations

from datetime import UTC

from tests.builders import T0, assistant
from tray_app.cli.environment import Environment
from tray_app.cli.watch_cmd import dashboard, one_line, snapshot_json
from tray_app.service.live_state import LiveState
from tray_app.service.publish import ViewSettings, build_snapshot
from tray_app.usage.model import Entry
from tray_app.usage.parse import extract


def _snapshot() -> object:
    lines = [
        assistant("msg_old", 10, input_tokens=990, minutes=-600, session="s-old"),
        assistant("msg_1", 100, input_tokens=300, minutes=0, session="s-now"),
        assistant("msg_2", 100, input_tokens=300, minutes=10, session="s-now",
                  model="claude-haiku-4-5"),
    ]  # fmt: skip
    entries = [e for e in map(extract, lines) if isinstance(e, Entry)]
    state = LiveState(lambda e: e.total_tokens / 1000)
    now = T0.timestamp() + 11 * 60
    state.load(entries, [], now)
    return build_snapshot(state, now, ViewSettings(), {"s-now": "refactor"}, {})


def test_dashboard_shows_bar_limit_source_models_session_and_recent() -> None:
    snap = _snapshot()
    text = dashboard(snap, Environment(), UTC)  # type: ignore[arg-type]
    assert "[" + "█" * 24 + "·" * 6 + "] 80% of max of past blocks" in text
    assert "800 tokens · $0.80" in text
    assert "claude-opus-4-6" in text and "400  " in text and "40 tok/min" in text
    assert "Session refactor (latest active)" in text
    assert "Recent sessions" in text and "s-old" in text


def test_one_line_and_json() -> None:
    snap = _snapshot()
    assert one_line(snap).startswith("800 80% · $0.80 · 80 tok/min · resets in ")  # type: ignore[arg-type]
    obj = snapshot_json(snap)  # type: ignore[arg-type]
    assert obj["active_block"]["percent"] == 80.0
    assert obj["active_block"]["limit_source"] == "max"
    assert obj["tracked_session"]["name"] == "refactor"
    assert obj["totals"]["total_tokens"] == 1800
