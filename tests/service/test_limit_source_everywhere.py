"""Every display of the block's limit names one source: official while fresh, else the fallback."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.builders import entry
from tray_app.cli.watch_cmd import snapshot_json
from tray_app.service.live_state import LiveState
from tray_app.service.official_view import statusline_state
from tray_app.service.publish import ViewSettings, build_snapshot
from tray_app.service.snapshot import Snapshot
from tray_app.ui.limit_lines import icon_figure
from tray_app.ui.tooltip import tooltip_text
from tray_app.usage.limits import LimitSource
from tray_app.usage.model import Entry
from tray_app.usage.official_limits import OfficialWindow
from tray_app.web.metrics import UsageCollector
from tray_app.web.views import live_json


def cost(e: Entry) -> float:
    return e.total_tokens / 1_000_000


def _snapshot(capture_age: float, week: float = 10.0) -> Snapshot:
    # A finished block of 10,000 tokens a day ago (max = 10,000), and the open block.
    entries = [entry(0, 10_000, key="old"), entry(24 * 60, 2_000, key="a"),
               entry(24 * 60 + 30, 3_000, key="b")]  # fmt: skip
    now = entries[-1].timestamp + 120  # a capture a minute ago saw every token: not estimated
    state = LiveState(cost)
    state.load(entries, [], now)
    at = now - capture_age
    captures = {
        "five_hour": OfficialWindow("five_hour", 40.0, now + 3600, at),
        "seven_day": OfficialWindow("seven_day", week, now + 86400, at),
    }
    return build_snapshot(state, now, ViewSettings(), {}, {}, None, captures)


def _sources(snap: Snapshot) -> dict[str, Any]:
    b = snap.active_block
    assert b is not None
    metrics = UsageCollector(SimpleNamespace(snapshot=snap), {})  # type: ignore[arg-type]
    labels = {
        m.name: {s.labels["source"] for s in m.samples}
        for m in metrics._block()
        if m.name.startswith("token_monitor_block_limit")
    }
    watch = snapshot_json(snap)
    web = live_json(snap)
    return {
        "view": b.limit_source,
        "five_hour window": snap.limits[0].source,
        "watch block": watch["active_block"]["limit_source"],
        "watch window": watch["limits"]["five_hour"]["source"],
        "dashboard block": web["active_block"]["limit_source"],
        "dashboard window": web["limits"][0]["source"],
        "status line": statusline_state(snap)["block"]["source"],
        "metrics": labels,
    }


@pytest.mark.parametrize(
    ("age", "source", "percent"),
    [(60.0, LimitSource.OFFICIAL, 40.0), (3600.0, LimitSource.MAX, 50.0)],
)
def test_one_source_in_every_output(age: float, source: LimitSource, percent: float) -> None:
    snap = _snapshot(age)
    b = snap.active_block
    assert b is not None and b.percent == percent  # 5,000 of max 10,000, or Claude Code's 40 %
    got = _sources(snap)
    metric_labels = got.pop("metrics")
    assert got == dict.fromkeys(got, source)
    assert all(v == {str(source)} for v in metric_labels.values()) and metric_labels
    text = tooltip_text(snap, snap.published_at, None)
    first = text.split("\n")[0]
    if source is LimitSource.OFFICIAL:
        assert first == "Block: 5k tok · 40% of 5-hour (official · 1 min ago)"
    else:
        assert first == "Block: 5k tok · 50% of max of past blocks (10k)"


def test_icon_takes_the_fuller_window_with_the_blocks_own_source() -> None:
    snap = _snapshot(60.0, week=85.0)
    assert icon_figure(snap, 40.0) == (85.0, "seven_day")
    assert icon_figure(_snapshot(60.0, week=20.0), 40.0) == (40.0, "five_hour")
