"""The live service with status-line captures: official figures, state file, weekly alerts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tests.builders import T0, assistant, write_jsonl
from tray_app.adapters.discovery import find_roots
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.rate_capture import record_for
from tray_app.adapters.spool_files import STATE, append_record
from tray_app.service.aggregator import ServiceOptions, UsageService
from tray_app.service.snapshot import Snapshot
from tray_app.usage.alerts import Alert

NOW = T0.timestamp() + 30 * 60
FAST = ServiceOptions(tick_seconds=0.3, coalesce_seconds=0.005, flush_seconds=0.2,
                      official_poll_seconds=0.05, state_write_seconds=0.0)  # fmt: skip


def start(tmp: Path, alerts: list[Alert]) -> UsageService:
    root = tmp / "claude" / "projects"
    service = UsageService(
        lambda: find_roots([str(root)], {}), tmp / "state" / "l.db", load_price_table(),
        options=FAST, clock=lambda: NOW, capture_dir=str(tmp / "state"),
    )  # fmt: skip
    service.on_alert(alerts.append)
    service.start()
    assert service.ready.wait(10)
    return service


def wait(service: UsageService, pred: Callable[[Snapshot], bool]) -> Snapshot:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        snap = service.latest
        if snap is not None and pred(snap):
            return snap
        time.sleep(0.02)
    raise AssertionError(f"timed out; latest: {service.latest}")


def capture(tmp: Path, five: float, week: float, at: float = NOW - 120) -> None:
    rl = {"five_hour": {"used_percentage": five, "resets_at": NOW + 7200},
          "seven_day": {"used_percentage": week, "resets_at": NOW + 3 * 86400}}  # fmt: skip
    assert append_record(str(tmp / "state"), record_for(rl, at, "statusline", "s1", "opus"))


def test_capture_becomes_the_official_limit_and_weekly_alert_fires_once(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "claude/projects/p/s1.jsonl",
                [assistant(f"msg_{i}", 1000, minutes=i) for i in range(10)])  # fmt: skip
    alerts: list[Alert] = []
    service = start(tmp_path, alerts)
    try:
        snap = wait(service, lambda s: s.active_block is not None)
        assert snap.active_block is not None and snap.active_block.limit_source == "none"
        capture(tmp_path, 40.0, 85.0)
        snap = wait(service, lambda s: bool(s.limits) and s.limits[0].source == "official")
        b = snap.active_block
        assert b is not None and (b.limit_source, b.percent) == ("official", 40.0)
        assert b.resets_at == NOW + 7200  # Claude Code's own reset time
        five, week = snap.limits[:2]
        assert (week.window, week.source, week.percent_now) == ("seven_day", "official", 85.0)
        assert five.captured_at == NOW - 120
        deadline = time.monotonic() + 5
        while not alerts and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [a.title for a in alerts] == ["Claude usage at 80% of your weekly limit"]
        assert alerts[0].body.startswith("official · 2 min ago · resets ")
        state = json.loads((tmp_path / "state" / STATE).read_text())
        assert state["block"]["percent"] == 40.0 and state["block"]["source"] == "official"
        assert [w["window"] for w in state["limits"]] == ["five_hour", "seven_day"]
    finally:
        service.stop()
    # A restart remembers the weekly alert (same window, same threshold): no second one.
    again: list[Alert] = []
    service = start(tmp_path, again)
    try:
        wait(service, lambda s: bool(s.limits) and s.limits[1].source == "official")
        time.sleep(0.5)
        assert again == []
    finally:
        service.stop()


def test_stale_capture_falls_back(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "claude/projects/p/s1.jsonl", [assistant("msg_1", 1000, minutes=1)])
    capture(tmp_path, 40.0, 85.0, at=NOW - 3600)
    service = start(tmp_path, [])
    try:
        snap = wait(service, lambda s: bool(s.limits))
        assert [w.source for w in snap.limits] == ["none", "none"]
        assert snap.active_block is not None and snap.active_block.limit_source == "none"
    finally:
        service.stop()


def test_first_snapshot_is_official_and_the_state_file_catches_up(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "claude/projects/p/s1.jsonl", [assistant("msg_1", 1000, minutes=1)])
    capture(tmp_path, 40.0, 85.0)
    root = tmp_path / "claude" / "projects"
    slow = replace(FAST, state_write_seconds=0.5, tick_seconds=60)  # no tick to rescue it
    service = UsageService(lambda: find_roots([str(root)], {}), tmp_path / "state" / "l.db",
                           load_price_table(), options=slow, clock=lambda: NOW,
                           capture_dir=str(tmp_path / "state"))  # fmt: skip
    seen: list[Snapshot] = []
    service.subscribe(seen.append)
    service.start()
    try:
        assert service.ready.wait(10)
        assert seen[0].limits[0].source == "official"  # before the catch-up scan, too
        state_file = tmp_path / "state" / STATE
        end = time.monotonic() + 5
        while time.monotonic() < end:
            state = json.loads(state_file.read_text()) if state_file.exists() else {}
            if state.get("block"):
                break
            time.sleep(0.05)
        assert state["block"]["tokens"] == 1003 and state["block"]["source"] == "official"
    finally:
        service.stop()


def test_a_weekly_limit_message_in_a_transcript_is_published_as_official(
    tmp_path: Path,
) -> None:
    line = assistant("msg_syn", 0, model="<synthetic>", minutes=5)
    line["message"]["content"] = [
        {"type": "text", "text": "Weekly limit reached · resets Feb 12, 7pm (UTC)"}
    ]
    write_jsonl(tmp_path / "claude/projects/p/s1.jsonl",
                [*[assistant(f"msg_{i}", 1000, minutes=i) for i in range(3)], line])  # fmt: skip
    alerts: list[Alert] = []
    service = start(tmp_path, alerts)
    try:
        snap = wait(service, lambda s: len(s.limits) > 1 and s.limits[1].source == "official")
        week = snap.limits[1]
        assert (week.window, week.percent_now) == ("seven_day", 100.0)
        assert week.captured_at == T0.timestamp() + 5 * 60  # age counts from the message
        assert week.resets_at == 1770922800.0  # 2026-02-12 19:00 UTC
        deadline = time.monotonic() + 5
        while not alerts and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [a.title for a in alerts] == ["Claude usage at 95% of your weekly limit"]
    finally:
        service.stop()


def test_a_limit_message_written_while_running_shows_before_the_next_tick(
    tmp_path: Path,
) -> None:
    path = tmp_path / "claude/projects/p/s1.jsonl"
    write_jsonl(path, [assistant(f"msg_{i}", 1000, minutes=i) for i in range(3)])
    root = tmp_path / "claude" / "projects"
    service = UsageService(
        lambda: find_roots([str(root)], {}), tmp_path / "state" / "l.db", load_price_table(),
        options=replace(FAST, tick_seconds=60.0), clock=lambda: NOW,
        capture_dir=str(tmp_path / "state"),
    )  # fmt: skip
    service.start()
    try:
        assert service.ready.wait(10)
        line = assistant("msg_syn", 0, model="<synthetic>", minutes=5)
        line["message"]["content"] = [
            {"type": "text", "text": "You've hit your weekly limit · resets Feb 12, 7pm (UTC)"}
        ]
        with path.open("a") as f:
            f.write(json.dumps(line) + "\n")
        service.notify(path)
        snap = wait(service, lambda s: len(s.limits) > 1 and s.limits[1].source == "official")
        assert snap.limits[1].percent_now == 100.0
    finally:
        service.stop()
