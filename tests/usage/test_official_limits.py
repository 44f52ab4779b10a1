"""Official windows: parsing, freshness, reset, moving forward, and the closer window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage.limits import Limit
from tray_app.usage.official_limits import (
    OfficialWindow,
    closer,
    latest,
    official_limit,
    parse_rate_limits,
    resolve_limits,
    source_text,
)

NOW = 1_800_000_000.0
FIVE_H = 5 * 3600.0


def window(name: str = "five_hour", pct: float = 23.5, resets: float | None = NOW + 3600,
           at: float = NOW - 120) -> OfficialWindow:  # fmt: skip
    return OfficialWindow(name, pct, resets, at)


def test_parse_keeps_every_window_and_skips_junk() -> None:
    raw = {
        "five_hour": {"used_percentage": 23.5, "resets_at": 1738425600},
        "seven_day": {"used_percentage": 41.2, "resets_at": 1738857600000},  # ms by mistake
        "seven_day_opus": {"used_percentage": 7},
        "spend_limit": {"used_percentage": 130.0, "resets_at": 1738857600},
        "bad_bool": {"used_percentage": True},
        "bad_nan": {"used_percentage": float("nan")},
        "negative": {"used_percentage": -1},
        "Not A Name": {"used_percentage": 5},
        "not_a_dict": 5,
    }
    got = {w.name: (w.percent, w.resets_at) for w in parse_rate_limits(raw, NOW, "s", "m")}
    assert got == {
        "five_hour": (23.5, 1738425600.0),
        "seven_day": (41.2, 1738857600.0),
        "seven_day_opus": (7.0, None),
        "spend_limit": (130.0, 1738857600.0),
    }
    assert parse_rate_limits("nope", NOW) == [] and parse_rate_limits(None, NOW) == []


def test_fresh_capture_is_official_with_its_age() -> None:
    limit = official_limit(window(), NOW)
    assert limit is not None
    assert (limit.source, limit.percent_now, limit.estimated) == ("official", 23.5, False)
    assert limit.percent(999_999) == 23.5  # the official figure, whatever we counted
    assert source_text(limit, NOW) == "official · 2 min ago"


def test_old_capture_is_stale_and_max_age_is_configurable() -> None:
    old = window(at=NOW - 601)
    assert official_limit(old, NOW) is None
    assert official_limit(old, NOW, max_age=3600) is not None


def test_window_past_its_reset_counts_as_reset_not_stale() -> None:
    # Captured an hour ago at 90 %, reset 10 minutes ago: 0 %, even though the capture is old.
    gone = window(pct=90, resets=NOW - 600, at=NOW - 3600)
    limit = official_limit(gone, NOW)
    assert limit is not None and limit.percent_now == 0.0 and limit.resets_at is None
    # A whole window length after the reset nothing is known any more.
    assert official_limit(gone, NOW + FIVE_H) is None


def test_moves_forward_with_tokens_counted_since() -> None:
    counts = {(NOW + 3600 - FIVE_H, NOW - 120): 1_000_000, (NOW - 120, NOW): 250_000}
    limit = official_limit(window(pct=20.0), NOW, counted=lambda lo, hi: counts[(lo, hi)])
    assert limit is not None
    assert limit.percent_now == 25.0 and limit.estimated  # 20 % per 1M → +5 % for 250k
    assert source_text(limit, NOW) == "official (estimated) · 2 min ago"


def test_nothing_counted_in_the_window_keeps_the_figure() -> None:
    limit = official_limit(window(pct=20.0), NOW, counted=lambda lo, hi: 0)
    assert limit is not None and limit.percent_now == 20.0 and not limit.estimated


def test_resolve_falls_back_and_says_which() -> None:
    fallback = Limit(2_000_000, "p90")
    result = resolve_limits({}, fallback, 500_000, NOW)
    assert result.block == fallback
    five, week = result.windows
    assert (five.source, five.percent_now, five.window) == ("p90", 25.0, "five_hour")
    assert (week.source, week.percent_now, week.window) == ("none", None, "seven_day")
    assert source_text(five, NOW) == "p90 of recent blocks"


def test_resolve_uses_official_and_lists_other_windows() -> None:
    week, opus = window("seven_day", 41.2, NOW + 86400), window("seven_day_opus", 3.0, NOW + 86400)
    caps = latest([window(), week, opus, window(at=NOW - 10, pct=30.0)])
    result = resolve_limits(caps, Limit(2_000_000, "max"), 500_000, NOW)
    assert result.block.source == "official" and result.block.percent(500_000) == 30.0
    assert [(w.window, w.percent_now) for w in result.windows] == [
        ("five_hour", 30.0), ("seven_day", 41.2), ("seven_day_opus", 3.0)
    ]  # fmt: skip


def test_closer_window_is_the_fuller_one() -> None:
    five = Limit(None, "official", "five_hour", 30.0)
    week = Limit(None, "official", "seven_day", 85.0)
    opus = Limit(None, "official", "seven_day_opus", 99.0)  # not shown on the icon
    assert closer([five, week, opus]) == week
    assert closer([five, Limit(None, "official", "seven_day", 30.0)]) == five
    assert closer([Limit(None, "none", "seven_day")]) is None


@given(
    pct=st.floats(0.1, 100),
    at_capture=st.integers(1, 10**9),
    since=st.integers(0, 10**9),
    more=st.integers(0, 10**9),
)
def test_estimate_never_goes_back_and_grows_with_tokens(
    pct: float, at_capture: int, since: int, more: int
) -> None:
    w = window(pct=pct)

    def est(extra: int) -> float:
        limit = official_limit(w, NOW, counted=lambda lo, hi: at_capture if hi < NOW else extra)
        assert limit is not None and limit.percent_now is not None
        return limit.percent_now

    assert est(since) >= pct
    assert est(since + more) >= est(since)


def test_a_reset_time_outside_2000_2100_is_dropped_not_kept() -> None:
    # 1e30 s (or 2^63) used to reach datetime and make `limits`/`status` exit 1.
    raw = {
        "five_hour": {"used_percentage": 50, "resets_at": 1e30},
        "seven_day": {"used_percentage": 5, "resets_at": 2**63},
        "seven_day_opus": {"used_percentage": 7, "resets_at": 253402300800},  # year 9999
        "seven_day_sonnet": {"used_percentage": 9, "resets_at": 1_800_000_000},
    }
    got = {w.name: w.resets_at for w in parse_rate_limits(raw, NOW)}
    assert got == {
        "five_hour": None,
        "seven_day": None,
        "seven_day_opus": None,
        "seven_day_sonnet": 1_800_000_000.0,
    }
