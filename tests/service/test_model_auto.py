"""Auto-switch in the app: recorded captures, a pinned clock, a real settings file and ledger."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC
from pathlib import Path

import pytest

from tray_app.adapters import model_history
from tray_app.adapters.config import Settings
from tray_app.service.model_auto import ModelAutoSwitch, notice, rule_for
from tray_app.service.snapshot import Snapshot
from tray_app.usage.limits import Limit
from tray_app.usage.model import Totals
from tray_app.usage.official_limits import official_limit, parse_rate_limits, resolve_limits

T0 = 1_764_400_000.0
WEEK_RESET = T0 + 3 * 86400


class Clock:
    """A pinned clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def captured(rate_limits: str, now: float) -> Snapshot:
    """A snapshot whose limits come from a recorded status-line `rate_limits` object."""
    windows = {w.name: w for w in parse_rate_limits(json.loads(rate_limits), now)}
    limits = resolve_limits(windows, Limit(None, "none"), None, now).windows
    return Snapshot(now, "active", Totals(), None, None, True, (), limits=limits)


WEEKLY_OPUS_83 = f'{{"seven_day_opus": {{"used_percentage": 83.2, "resets_at": {WEEK_RESET:.0f}}}}}'
CALM = f'{{"five_hour": {{"used_percentage": 12, "resets_at": {T0 + 3600:.0f}}}}}'


class Rig:
    """A temp home with a user settings.json, a ledger and a recording notifier."""

    def __init__(self, tmp_path: Path, model: str | None = "opus", on: bool = True) -> None:
        self.settings_file = tmp_path / "home" / ".claude" / "settings.json"
        self.settings_file.parent.mkdir(parents=True)
        data = {"theme": "dark", **({"model": model} if model else {})}
        self.settings_file.write_text(json.dumps(data))
        self.ledger = tmp_path / "data" / "ledger.sqlite3"
        self.sent: list[tuple[str, str]] = []
        self.config = replace(Settings(), auto_switch=on)
        self.clock = Clock(T0)
        self.auto = ModelAutoSwitch(
            lambda: self.config,
            {"HOME": str(tmp_path / "home")},
            self.ledger,
            lambda title, body: self.sent.append((title, body)),
            UTC,
            self.clock,
        )

    def model(self) -> str | None:
        value = json.loads(self.settings_file.read_text()).get("model")
        return value if isinstance(value, str) else None


def test_weekly_opus_at_83_switches_new_sessions_and_says_why(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    d = rig.auto.check(captured(WEEKLY_OPUS_83, T0))
    assert d.kind == "auto" and rig.model() == "sonnet"
    assert json.loads(rig.settings_file.read_text())["theme"] == "dark"
    assert rig.sent == [
        (
            "New Claude Code sessions: sonnet",
            "Switched from opus to sonnet: the weekly Opus limit is at 83 %; back after the reset"
            " (Tue 07:06). Running sessions keep their model.",
        )
    ]
    [change] = model_history.recent(rig.ledger)
    assert (change.kind, change.old, change.new, change.until, change.source) == (
        "auto", "opus", "sonnet", WEEK_RESET, "auto",
    )  # fmt: skip


def test_it_switches_back_after_the_reset(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.auto.check(captured(WEEKLY_OPUS_83, T0))
    rig.clock.now = T0 + 3600
    assert rig.auto.check(captured(WEEKLY_OPUS_83, rig.clock.now)).kind == "none"
    rig.clock.now = WEEK_RESET + 60  # Claude Code no longer reports the window
    d = rig.auto.check(captured(CALM.replace(f"{T0 + 3600:.0f}", f"{WEEK_RESET + 3600:.0f}"),
                                rig.clock.now))  # fmt: skip
    assert d.kind == "restore" and rig.model() == "opus"
    assert [c.kind for c in model_history.recent(rig.ledger)] == ["restore", "auto"]
    assert rig.sent[-1][1].startswith("Switched back from sonnet to opus")


def test_a_hand_edit_after_the_switch_wins_until_the_reset(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.auto.check(captured(WEEKLY_OPUS_83, T0))
    rig.settings_file.write_text(json.dumps({"theme": "dark", "model": "opus[1m]"}))
    rig.clock.now = T0 + 120
    assert rig.auto.check(captured(WEEKLY_OPUS_83, rig.clock.now)).kind == "manual"
    rig.clock.now = T0 + 240
    assert rig.auto.check(captured(WEEKLY_OPUS_83, rig.clock.now)).kind == "none"
    assert rig.model() == "opus[1m]" and len(rig.sent) == 1
    latest = model_history.recent(rig.ledger)[0]
    assert (latest.kind, latest.new, latest.until, latest.source) == (
        "manual", "opus[1m]", WEEK_RESET, "file",
    )  # fmt: skip


def test_off_by_default_changes_nothing(tmp_path: Path) -> None:
    assert Settings().auto_switch is False
    rig = Rig(tmp_path, on=False)
    assert rig.auto.check(captured(WEEKLY_OPUS_83, T0)).kind == "none"
    assert rig.model() == "opus" and rig.sent == [] and not rig.ledger.exists()


def test_a_malformed_settings_file_is_left_alone(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.settings_file.write_text('{"model": "opus",')
    assert rig.auto.check(captured(WEEKLY_OPUS_83, T0)).kind == "none"
    assert rig.settings_file.read_text() == '{"model": "opus",'


def test_a_guessed_limit_never_switches(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    guessed = Limit(1000, "max", window="five_hour", percent_now=99.0, resets_at=T0 + 60)
    snap = Snapshot(T0, "active", Totals(), None, None, True, (), limits=(guessed,))
    assert rig.auto.check(snap).kind == "none" and rig.model() == "opus"


def test_the_rule_follows_the_balanced_profile_and_threshold() -> None:
    rule = rule_for(replace(Settings(), model_profiles={"balanced": "sonnet[1m]"},
                            auto_switch=True, auto_switch_percent=90))  # fmt: skip
    assert (rule.enabled, rule.percent, rule.target) == (True, 90.0, "sonnet[1m]")


@pytest.mark.parametrize(("old", "words"), [(None, "from Claude Code's default")])
def test_notice_names_the_default(old: str | None, words: str) -> None:
    from tray_app.usage.model_switch import Decision

    title, body = notice(Decision("auto", "sonnet", old, "the 5-hour limit is at 90 %"))
    assert words in body and title.endswith("sonnet")


def test_official_limit_helper_is_what_the_snapshot_uses() -> None:
    w = parse_rate_limits(json.loads(WEEKLY_OPUS_83), T0)[0]
    limit = official_limit(w, T0)
    assert limit is not None and limit.source == "official" and limit.percent_now == 83.2


def test_snapshots_are_checked_at_most_every_30_seconds_off_the_caller(tmp_path: Path) -> None:
    import threading

    rig = Rig(tmp_path)
    calls: list[str] = []

    def recording_check(snapshot: Snapshot) -> None:
        calls.append(threading.current_thread().name)

    rig.auto.check = recording_check  # type: ignore[method-assign, assignment]

    def settle() -> None:
        for thread in threading.enumerate():
            if thread.name == "tm-model-auto":
                thread.join(5)

    snap = captured(WEEKLY_OPUS_83, T0)
    for _ in range(5):
        rig.auto.on_snapshot(snap)
    settle()
    rig.clock.now = T0 + 29
    rig.auto.on_snapshot(snap)
    settle()
    rig.clock.now = T0 + 31
    rig.auto.on_snapshot(snap)
    settle()
    assert calls == ["tm-model-auto", "tm-model-auto"]
    rig.clock.now = T0 + 32  # a new capture is looked at at once
    rig.auto.on_snapshot(captured(CALM, rig.clock.now))
    settle()
    assert len(calls) == 3


def test_a_change_made_elsewhere_refreshes_the_menu_even_when_off(tmp_path: Path) -> None:
    rig = Rig(tmp_path, on=False)
    changes: list[int] = []
    rig.auto.on_change = lambda: changes.append(1)
    rig.auto.check(captured(CALM, T0))
    assert changes == []  # the first look only learns the value
    rig.settings_file.write_text('{"model": "haiku"}')  # e.g. `token-monitor model set cheap`
    rig.auto.check(captured(CALM, T0 + 30))
    rig.auto.check(captured(CALM, T0 + 60))
    assert changes == [1] and not rig.ledger.exists()


def test_new_figures_that_arrive_during_a_check_are_looked_at_after_it(tmp_path: Path) -> None:
    import threading

    rig = Rig(tmp_path)
    release = threading.Event()
    seen: list[tuple[str, ...]] = []

    def slow_check(snapshot: Snapshot) -> None:
        seen.append(tuple(x.window for x in snapshot.limits if x.source == "official"))
        release.wait(5)

    rig.auto.check = slow_check  # type: ignore[method-assign, assignment]
    rig.auto.on_snapshot(captured(CALM, T0))  # start-up: no weekly window yet
    rig.auto.on_snapshot(captured(WEEKLY_OPUS_83, T0))  # arrives while that check runs
    release.set()
    for thread in threading.enumerate():
        if thread.name == "tm-model-auto":
            thread.join(5)
    assert seen == [("five_hour",), ("seven_day_opus",)]
