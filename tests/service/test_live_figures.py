"""Live figures: no rate from seconds of data (snapshot, tooltip, alerts), earliest times."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

from tests.alert_memory import MemoryAlertLog
from tests.builders import T0, assistant, entry, write_jsonl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine
from tray_app.service.live_state import LiveState
from tray_app.service.publish import ViewSettings, build_snapshot
from tray_app.ui.tooltip import header_lines
from tray_app.usage.alerts import PROJECTION, AlertRules, BlockState, plan_alerts


def price(_: object) -> float:
    return 1.0


def _burst_state() -> tuple[LiveState, float]:
    # A finished 10,000-token block sets the limit; now 3,000 tokens in three responses
    # two seconds apart: 30 % used, and at that "rate" the limit falls in minutes.
    old = [entry(0, 5000, key="o1"), entry(30, 5000, key="o2")]
    burst = [entry(600 + s / 60, 1000, key=f"b{s}") for s in (0, 2, 4)]
    state = LiveState(price)
    now = burst[-1].timestamp + 1
    state.load([*old, *burst], [], now)
    return state, now


def test_snapshot_tooltip_and_alerts_show_no_rate_from_seconds_of_data() -> None:
    state, now = _burst_state()
    snap = build_snapshot(state, now, ViewSettings(), {}, {})
    view = snap.active_block
    assert view is not None and view.percent == 30.0
    assert view.tokens_per_minute is None and view.usd_per_hour is None
    assert view.projected_tokens is None and view.projected_cost_usd is None
    lines = header_lines(snap, now, UTC)
    assert not any(line.startswith(("Burn", "Projected")) for line in lines)
    block = BlockState(view.block.start, view.resets_at, view.block.tokens, view.percent,
                       view.limit_tokens, view.limit_source, view.projected_tokens)  # fmt: skip
    decision = plan_alerts(MemoryAlertLog(), block, now, AlertRules(thresholds=()))
    assert decision is not None and PROJECTION not in decision.mark


def test_snapshot_rate_appears_after_five_minutes_of_data() -> None:
    state = LiveState(price)
    es = [entry(600, 1000, key="a"), entry(606, 1000, key="b")]
    now = es[-1].timestamp + 1
    state.load(es, [], now)
    view = build_snapshot(state, now, ViewSettings(), {}, {}).active_block
    assert view is not None and view.tokens_per_minute == 2000 / 6


def test_session_first_time_is_the_earliest_copy_whatever_file_is_read_first(
    tmp_path: Path,
) -> None:
    root = tmp_path / "projects" / "-p"
    # The resumed session's file (a later-written copy with the full output) is older on
    # disk, so it is read first; the first line of the response is in the other file.
    late = write_jsonl(root / "resumed.jsonl", [assistant("msg_a", 90, minutes=0.06)])
    early = write_jsonl(root / "orig.jsonl", [assistant("msg_a", 1, minutes=0)])
    os.utime(late, (1, 1))
    ledger = Ledger.open(tmp_path / "l.db")
    engine = Engine(Roots((tmp_path / "projects",)), ledger)
    state = LiveState(price)
    state.load([], [], T0.timestamp() + 60)
    first = engine.refresh([late])
    state.apply(
        first.changes,
        first.resets,
        T0.timestamp() + 60,
        lambda t: [e for e in engine.entries if e.timestamp > t],
    )
    second = engine.refresh([early])
    state.apply(
        second.changes,
        second.resets,
        T0.timestamp() + 60,
        lambda t: [e for e in engine.entries if e.timestamp > t],
    )
    (session,) = state.sessions.values()
    # The earliest copy's time, not the counted one's 3.6 s later, at both ends (the
    # session's only response moved) and as the last use.
    assert (session.first, session.last) == (T0.timestamp(), T0.timestamp())
    assert state.last_update == T0.timestamp()
    (counted,) = list(engine.entries)
    assert (counted.output_tokens, counted.timestamp) == (90, T0.timestamp())
    # The ledger keeps the earliest time too (a restart must agree).
    ledger.close()
    again = Ledger.open(tmp_path / "l.db")
    assert [e.timestamp for e in again.load_entries()] == [T0.timestamp()]
    again.close()
