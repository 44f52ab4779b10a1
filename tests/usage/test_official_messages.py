"""Limit messages merged with status-line captures (usage/official_limits.with_messages)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage.limits import Limit
from tray_app.usage.model import ResetNotice
from tray_app.usage.official_limits import (
    MESSAGE,
    OfficialWindow,
    official_limit,
    resolve_limits,
    with_messages,
)

T = 1_770_000_000.0
R = T + 2 * 86400
WEEK = ResetNotice(T, R, "seven_day")


def test_a_message_is_full_from_its_writing_until_its_reset() -> None:
    got = with_messages({}, [WEEK], T + 3600)
    assert got["seven_day"] == OfficialWindow("seven_day", 100.0, R, T, MESSAGE)
    limit = official_limit(got["seven_day"], T + 86400)  # far older than max_age: no matter
    assert limit is not None and (limit.percent_now, limit.resets_at) == (100.0, R)
    assert limit.captured_at == T and not limit.estimated
    assert with_messages({}, [WEEK], R) == {}  # reset: means nothing
    assert with_messages({}, [WEEK], T - 1) == {}  # a pinned clock before it was written


def test_newest_message_of_a_window_wins_and_windows_stay_apart() -> None:
    later = ResetNotice(T + 60, R + 3600, "seven_day")
    opus = ResetNotice(T, R, "seven_day_opus")
    got = with_messages({}, [later, WEEK, opus], T + 120)
    assert got["seven_day"].resets_at == R + 3600
    assert got["seven_day_opus"].percent == 100.0


def test_a_newer_capture_wins_while_fresh_or_when_it_says_not_full() -> None:
    fresh = OfficialWindow("seven_day", 42.0, R, T + 600)
    assert with_messages({"seven_day": fresh}, [WEEK], T + 700)["seven_day"] == fresh
    # Stale but "not full": still overrules the older message.
    assert with_messages({"seven_day": fresh}, [WEEK], T + 9000)["seven_day"] == fresh
    full = OfficialWindow("seven_day", 100.0, R, T + 600)
    # Stale and "full" too: the message (full until R) holds.
    assert with_messages({"seven_day": full}, [WEEK], T + 9000)["seven_day"].origin == MESSAGE
    older = OfficialWindow("seven_day", 97.0, R, T - 60)
    assert with_messages({"seven_day": older}, [WEEK], T + 1)["seven_day"].origin == MESSAGE


def test_the_limit_set_shows_the_weekly_window_full() -> None:
    limits = resolve_limits(with_messages({}, [WEEK], T + 60), Limit(None, "none"), 0, T + 60)
    week = limits.windows[1]
    assert (week.window, week.source, week.percent_now) == ("seven_day", "official", 100.0)
    assert limits.block.source == "none"  # the 5-hour block is not touched


@given(st.floats(T - 86400, R + 86400), st.floats(0, 3 * 86400))
def test_a_message_counts_exactly_inside_its_span(now: float, span: float) -> None:
    notice = ResetNotice(T, T + span, "seven_day")
    got = with_messages({}, [notice], now)
    inside = T <= now < T + span
    assert ("seven_day" in got) == inside
    if inside:
        limit = official_limit(got["seven_day"], now)
        assert limit is not None and limit.percent_now == 100.0
