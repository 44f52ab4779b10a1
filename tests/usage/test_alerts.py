"""Alert decisions: once per block and kind, highest threshold only, nothing on a drop."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tests.alert_memory import MemoryAlertLog
from tray_app.usage.alerts import (
    NEW_BLOCK,
    PROJECTION,
    Alert,
    AlertRules,
    BlockState,
    alerts_for_catch_up,
    check_alerts,
    plan_alerts,
)

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()
END = START + 5 * 3600
LIMIT = 1_540_000
CEST = timezone(timedelta(hours=2))
QUIET = AlertRules(notify_projection=False)


def block(
    percent: float | None,
    start: float = START,
    projected_tokens: int | None = None,
    limit_tokens: int | None = LIMIT,
    limit_source: str = "max",
) -> BlockState:
    """An active block at `percent` of a 1.54M max-of-past-blocks limit."""
    known = percent is not None and not math.isnan(percent)
    tokens = round(LIMIT * percent / 100) if known and percent is not None else 0
    return BlockState(
        start, start + 5 * 3600, tokens, percent, limit_tokens, limit_source, projected_tokens
    )


def kinds(alerts: Sequence[Alert]) -> list[str]:
    """The kinds, in order."""
    return [a.kind for a in alerts]


def test_threshold_fires_once_at_or_above_it() -> None:
    memory = MemoryAlertLog()
    now = START + 3600
    assert check_alerts(memory, block(49.9), now, QUIET) == []
    assert kinds(check_alerts(memory, block(50.0), now, QUIET)) == ["threshold:50"]
    assert check_alerts(memory, block(51.0), now + 60, QUIET) == []
    assert kinds(check_alerts(memory, block(80.2), now + 120, QUIET)) == ["threshold:80"]


def test_clear_text_what_how_much_until_when() -> None:
    memory = MemoryAlertLog()
    now = END - (3600 + 12 * 60)  # 1 h 12 min before the reset at 17:00 UTC = 19:00 CEST
    [alert] = check_alerts(memory, block(80.0), now, QUIET, CEST)
    assert alert.title == "Claude usage at 80% of your 5-hour limit"
    assert alert.body == (
        "1.2M of 1.5M tokens (limit: max of past blocks) · resets 19:00 (in 1 h 12 min)"
    )
    assert alert.block_start == START


def test_official_percentage_without_a_token_limit() -> None:
    state = block(96.0, limit_tokens=None, limit_source="official")
    [alert] = check_alerts(MemoryAlertLog(), state, END - 600, QUIET)
    assert alert.kind == "threshold:95"
    assert alert.body.startswith("96% used (limit: official")
    assert alert.body.endswith("resets 17:00 (in 10 min)")


def test_a_jump_fires_only_the_highest_and_marks_the_lower_ones() -> None:
    memory = MemoryAlertLog()
    [alert] = check_alerts(memory, block(97.0), START + 60, QUIET)
    assert alert.kind == "threshold:95"
    assert alert.title == "Claude usage at 97% of your 5-hour limit"
    assert all(memory.fired(START, f"threshold:{t}") for t in (50, 80, 95))
    assert check_alerts(memory, block(99.0), START + 120, QUIET) == []


def test_a_drop_never_fires_and_there_is_no_reset_alert() -> None:
    memory = MemoryAlertLog()
    check_alerts(memory, block(85.0), START + 60, QUIET)
    for percent in (0.0, 10.0, 60.0, 85.0, 0.0):
        assert check_alerts(memory, block(percent), START + 120, QUIET) == []


def test_each_block_has_its_own_memory() -> None:
    memory = MemoryAlertLog()
    check_alerts(memory, block(55.0), START + 60, QUIET)
    later = START + 6 * 3600
    fired = check_alerts(memory, block(55.0, start=later), later + 60, QUIET)
    assert kinds(fired) == ["threshold:50"]


def test_inactive_or_missing_block_never_alerts() -> None:
    memory = MemoryAlertLog()
    assert check_alerts(memory, None, START, QUIET) == []
    assert check_alerts(memory, block(99.0), END, QUIET) == []
    assert alerts_for_catch_up(memory, block(99.0), END + 1, QUIET) == []
    assert memory.records == {}


def test_no_limit_no_threshold() -> None:
    state = block(None, limit_tokens=None, limit_source="none")
    assert check_alerts(MemoryAlertLog(), state, START + 60, AlertRules()) == []
    assert check_alerts(MemoryAlertLog(), block(float("nan")), START + 60, QUIET) == []


def test_projection_fires_once_and_says_when() -> None:
    memory = MemoryAlertLog()
    now = START + 2 * 3600  # 14:00 UTC; 3 h left
    # 40% used (616k) and 1.2M more by the end, 3 h away: 400k tokens/h.
    state = block(40.0, projected_tokens=616_000 + 1_200_000)
    [alert] = check_alerts(memory, state, now, AlertRules(thresholds=()), CEST)
    assert alert.kind == PROJECTION
    assert alert.title == "Claude usage on track to hit your 5-hour limit"
    # 924k free at 400k/h → 2 h 18.6 min → 16:18 UTC = 18:18 CEST.
    assert "1.5M tokens are used by 18:18 (in 2 h 18 min)" in alert.body
    assert "before the reset at 19:00 (limit: max of past blocks)" in alert.body
    assert check_alerts(memory, state, now + 60, AlertRules(thresholds=())) == []


def test_projection_needs_a_trustworthy_rate_and_a_real_overrun() -> None:
    rules = AlertRules(thresholds=())
    early = block(5.0, projected_tokens=LIMIT * 3)  # a few minutes of work: too noisy
    under = block(40.0, projected_tokens=LIMIT - 1)
    over = block(101.0, projected_tokens=LIMIT * 2)  # already past: thresholds speak
    for state in (early, under, over):
        assert check_alerts(MemoryAlertLog(), state, START + 3600, rules) == []
    off = AlertRules(thresholds=(), notify_projection=False)
    assert check_alerts(MemoryAlertLog(), block(40.0, projected_tokens=LIMIT * 2), START, off) == []


def test_new_block_only_when_enabled() -> None:
    assert check_alerts(MemoryAlertLog(), block(1.0), START + 60, QUIET) == []
    rules = AlertRules(notify_projection=False, notify_new_block=True)
    memory = MemoryAlertLog()
    [alert] = check_alerts(memory, block(1.0), START + 60, rules, CEST)
    assert alert.kind == NEW_BLOCK
    assert alert.body == "Started 14:00 · resets 19:00 (in 4 h 59 min)"
    assert check_alerts(memory, block(2.0), START + 120, rules) == []


def test_catch_up_fires_only_the_highest_crossed_threshold() -> None:
    memory = MemoryAlertLog()
    rules = AlertRules(notify_new_block=True)
    state = block(85.0, projected_tokens=LIMIT * 2)
    assert kinds(alerts_for_catch_up(memory, state, START + 4 * 3600, rules)) == ["threshold:80"]
    # The projection and the block start were recorded silently: the next tick is quiet.
    assert memory.fired(START, PROJECTION) and memory.fired(START, NEW_BLOCK)
    assert check_alerts(memory, state, START + 4 * 3600 + 30, rules) == []


def test_catch_up_after_the_top_threshold_was_shown_is_silent() -> None:
    memory = MemoryAlertLog()
    memory.record(START, "threshold:80", START + 100)  # an older ledger without 50
    assert alerts_for_catch_up(memory, block(85.0), START + 3600, QUIET) == []
    assert memory.fired(START, "threshold:50")


def test_catch_up_leaves_a_later_projection_free_to_alert() -> None:
    memory = MemoryAlertLog()
    rules = AlertRules(thresholds=())
    alerts_for_catch_up(memory, block(30.0, projected_tokens=LIMIT // 2), START + 3600, rules)
    later = block(45.0, projected_tokens=LIMIT * 2)
    assert kinds(check_alerts(memory, later, START + 7200, rules)) == [PROJECTION]


def test_plan_alone_records_nothing() -> None:
    memory = MemoryAlertLog()
    decision = plan_alerts(memory, block(90.0), START + 60, QUIET)
    assert decision is not None and kinds(decision.fire) == ["threshold:80"]
    assert set(decision.mark) == {"threshold:50", "threshold:80"}
    assert memory.records == {}


def test_memory_keeps_the_first_time() -> None:
    memory = MemoryAlertLog()
    memory.record(START, "projection", 10.0)
    memory.record(START, "projection", 20.0)
    assert memory.records == {(START, "projection"): 10.0}


percentages = st.one_of(st.none(), st.floats(min_value=0, max_value=150, allow_nan=False))


@given(
    st.lists(percentages, min_size=1, max_size=40),
    st.sets(st.integers(min_value=1, max_value=100), max_size=5),
)
def test_any_sequence_fires_each_threshold_at_most_once(
    sequence: list[float | None], thresholds: set[int]
) -> None:
    memory = MemoryAlertLog()
    rules = AlertRules(thresholds=tuple(sorted(thresholds)), notify_projection=False)
    seen: list[str] = []
    highest = float("-inf")
    for i, percent in enumerate(sequence):
        fired = check_alerts(memory, block(percent), START + i * 60, rules)
        assert len(fired) <= 1
        if fired:
            assert percent is not None and percent > highest  # never on a drop or a repeat
            crossed = max(t for t in thresholds if t <= percent)
            assert fired[0].kind == f"threshold:{crossed}"
        seen += kinds(fired)
        if percent is not None:
            highest = max(highest, percent)
    assert len(seen) == len(set(seen))
