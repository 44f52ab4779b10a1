"""Invariants of the dashboard's views: the charts add up to the totals they stand for."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tray_app.usage.model import Entry
from tray_app.web import views

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC).timestamp()  # just after Europe's DST switch
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery")


def _cost(e: Entry) -> float | None:
    return None if e.model == "mystery" else e.total_tokens / 1e6


responses = st.lists(
    st.tuples(st.floats(0, 120 * 86400), st.sampled_from(MODELS), st.integers(0, 10**6)),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(responses, st.sampled_from(["UTC", "Europe/Berlin", "America/Los_Angeles"]))
def test_daily_bars_and_heatmap_add_up_to_the_last_90_days(
    items: list[tuple[float, str, int]], zone: str
) -> None:
    tz = ZoneInfo(zone)
    entries = [Entry(f"k{i}", NOW - age, "s", model, tokens)
               for i, (age, model, tokens) in enumerate(items)]  # fmt: skip
    daily = views.daily_json(entries, _cost, tz, NOW)
    assert len(daily["days"]) == views.HISTORY_DAYS and daily["days"][-1] == (
        datetime.fromtimestamp(NOW, tz).date().isoformat()
    )
    first = datetime.fromisoformat(daily["days"][0]).replace(tzinfo=tz).timestamp()
    inside = views.window_totals(entries, _cost, first, NOW)["total_tokens"]
    assert sum(sum(row) for row in daily["tokens"]) == inside
    assert sum(sum(row) for row in daily["heatmap"]) == inside
    assert set(daily["unpriced_models"]) <= {"mystery"}
    for model, row in zip(daily["models"], daily["cost"], strict=True):
        if model == "mystery":
            assert sum(row) == 0  # unknown cost is never counted as money


@settings(max_examples=60, deadline=None)
@given(responses)
def test_model_shares_sum_to_one_and_sessions_to_the_total(
    items: list[tuple[float, str, int]],
) -> None:
    entries = [Entry(f"k{i}", NOW - age, f"s{i % 3}", model, tokens)
               for i, (age, model, tokens) in enumerate(items)]  # fmt: skip
    total = views.window_totals(entries, _cost)["total_tokens"]
    models = views.models_json(entries, _cost, NOW)
    assert sum(m["total_tokens"] for m in models) == total
    if total:
        assert abs(sum(m["share"] for m in models) - 1.0) < 1e-5
    sessions = views.sessions_json(entries, _cost, {}, {})
    assert sum(s["total_tokens"] for s in sessions) == total
