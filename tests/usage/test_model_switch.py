"""Auto-switch rule, driven by recorded status-line captures and a pinned clock."""

from __future__ import annotations

import json
from datetime import UTC

from tray_app.usage.model_switch import (
    Decision,
    LastChange,
    SwitchInput,
    SwitchRule,
    WindowReading,
    decide,
    hold_until,
)
from tray_app.usage.official_limits import parse_rate_limits

T0 = 1_764_400_000.0  # 2025-11-29 07:06:40 UTC, the pinned clock
FIVE_RESET = T0 + 2 * 3600
WEEK_RESET = T0 + 3 * 86400
RULE = SwitchRule(enabled=True, percent=80, target="sonnet")

# What Claude Code piped to the status line at three moments (trimmed to the fields used).
CAPTURES = [
    '{"session_id":"s1","model":{"id":"claude-opus-4-5"},"rate_limits":{"five_hour":'
    f'{{"used_percentage":41.0,"resets_at":{FIVE_RESET:.0f}}},"seven_day":'
    f'{{"used_percentage":62.5,"resets_at":{WEEK_RESET:.0f}}}}}}}',
    '{"session_id":"s1","model":{"id":"claude-opus-4-5"},"rate_limits":{"five_hour":'
    f'{{"used_percentage":55.0,"resets_at":{FIVE_RESET:.0f}}},"seven_day_opus":'
    f'{{"used_percentage":83.2,"resets_at":{WEEK_RESET:.0f}}}}}}}',
    '{"session_id":"s1","model":{"id":"claude-opus-4-5"},"rate_limits":{"five_hour":'
    f'{{"used_percentage":88.0,"resets_at":{FIVE_RESET:.0f}}}}}}}',
]


def readings(capture: str, now: float) -> list[WindowReading]:
    """A recorded status-line input as the rule's windows (via F's parser)."""
    raw = json.loads(capture)["rate_limits"]
    return [WindowReading(w.name, w.percent, w.resets_at) for w in parse_rate_limits(raw, now)]


def step(capture: str, now: float, current: str | None, last: LastChange | None) -> Decision:
    return decide(RULE, last, SwitchInput(now, readings(capture, now), current), UTC)


def as_last(d: Decision) -> LastChange:
    return LastChange(d.kind, d.old, d.value, d.until)


def test_below_the_threshold_nothing_happens() -> None:
    assert step(CAPTURES[0], T0, "opus", None) == Decision("none")


def test_weekly_opus_at_83_switches_to_balanced_until_its_reset() -> None:
    d = step(CAPTURES[1], T0 + 60, "opus", None)
    assert (d.kind, d.value, d.old, d.until) == ("auto", "sonnet", "opus", WEEK_RESET)
    assert d.reason == "the weekly Opus limit is at 83 %; back after the reset (Tue 07:06)"


def test_the_switch_back_waits_for_the_reset_then_restores_the_old_value() -> None:
    switched = as_last(step(CAPTURES[1], T0 + 60, None, None))
    assert switched.old is None  # Claude Code's default before: restoring removes the key
    assert step(CAPTURES[1], T0 + 3600, "sonnet", switched).kind == "none"
    # After the weekly reset Claude Code drops the window; the capture shows only five_hour.
    after = T0 + 3 * 86400 + 5
    d = decide(RULE, switched, SwitchInput(after, [], "sonnet"), UTC)
    assert (d.kind, d.value, d.old) == ("restore", None, "sonnet")
    assert "reset at Tue 07:06" in d.reason


def test_a_hand_made_choice_after_a_switch_wins_until_the_reset() -> None:
    switched = as_last(step(CAPTURES[1], T0 + 60, "opus", None))
    d = step(CAPTURES[1], T0 + 120, "opus[1m]", switched)  # the user picked Opus again
    assert (d.kind, d.value, d.old, d.until) == ("manual", "opus[1m]", "sonnet", WEEK_RESET)
    held = as_last(d)
    assert step(CAPTURES[2], T0 + 600, "opus[1m]", held).kind == "none"  # 88 % 5-hour: held
    later = T0 + 3 * 86400 + 60  # after the hold, a new pressure may switch again
    fresh = [WindowReading("five_hour", 90.0, later + 3600)]
    assert decide(RULE, held, SwitchInput(later, fresh, "opus[1m]"), UTC).kind == "auto"


def test_hold_until_only_while_an_automatic_switch_or_a_hold_is_active() -> None:
    auto = LastChange("auto", "opus", "sonnet", T0 + 100)
    assert hold_until(auto, T0) == T0 + 100
    assert hold_until(auto, T0 + 200) is None
    assert hold_until(LastChange("manual", "a", "b", None), T0) is None
    assert hold_until(LastChange("manual", "a", "b", T0 + 100), T0) == T0 + 100  # still held
    assert hold_until(LastChange("restore", "a", "b", T0 + 100), T0) is None


def test_the_five_hour_projection_alone_triggers_a_switch() -> None:
    inp = SwitchInput(T0, readings(CAPTURES[0], T0), "opus", True, FIVE_RESET)
    d = decide(RULE, None, inp, UTC)
    assert d.kind == "auto" and d.until == FIVE_RESET
    assert d.reason.startswith("the 5-hour limit will be hit before it resets")


def test_an_already_cheaper_model_is_left_alone() -> None:
    assert step(CAPTURES[2], T0, "haiku", None).kind == "none"
    assert step(CAPTURES[2], T0, "sonnet", None).kind == "none"


def test_a_window_past_its_reset_does_not_trigger() -> None:
    stale = [WindowReading("five_hour", 95.0, T0 - 1)]
    assert decide(RULE, None, SwitchInput(T0, stale, "opus"), UTC).kind == "none"


def test_off_means_no_switch_but_a_hand_made_change_is_still_noticed() -> None:
    off = SwitchRule(enabled=False)
    assert decide(off, None, SwitchInput(T0, readings(CAPTURES[2], T0), "opus")).kind == "none"
    switched = LastChange("auto", "opus", "sonnet", FIVE_RESET)
    assert decide(off, switched, SwitchInput(T0, [], "haiku")).kind == "manual"


def test_while_another_window_stays_tight_the_switch_is_kept() -> None:
    switched = LastChange("auto", "opus", "sonnet", FIVE_RESET)
    still = [WindowReading("seven_day", 91.0, WEEK_RESET)]
    assert decide(RULE, switched, SwitchInput(FIVE_RESET + 1, still, "sonnet")).kind == "none"
