"""Cost budgets: period bounds in the user's zone, spending, forecast, alerts once per period."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from tests.alert_memory import MemoryAlertLog
from tray_app.usage.budgets import budget_alerts, budget_status, period_bounds
from tray_app.usage.model import Entry

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


def spend(ts: float, usd: float | None, key: str) -> Entry:
    return Entry(key, ts, "s", "m" if usd is not None else "unpriced", cost_usd=usd)


def cost(e: Entry) -> float | None:
    return e.cost_usd


def test_period_bounds_are_local_day_monday_week_and_calendar_month() -> None:
    now = at("2026-03-29T15:00")  # the day Berlin moves to summer time (23 hours long)
    day = period_bounds("daily", now, BERLIN)
    assert day == (at("2026-03-29T00:00"), at("2026-03-30T00:00"))
    assert day[1] - day[0] == 23 * 3600
    assert period_bounds("weekly", now, BERLIN) == (at("2026-03-23T00:00"), at("2026-03-30T00:00"))
    assert period_bounds("monthly", at("2026-12-31T23:59"), BERLIN) == (
        at("2026-12-01T00:00"),
        at("2027-01-01T00:00"),
    )


def test_spending_forecast_and_run_out_time() -> None:
    now = at("2026-06-11T00:00")  # 10 days into a 30-day month
    entries = [spend(at(f"2026-06-{d:02d}T12:00"), 3.0, f"k{d}") for d in range(1, 11)]
    entries += [spend(at("2026-05-31T12:00"), 50.0, "may"), spend(now - 60, None, "np")]
    [month] = budget_status(entries, cost, {"monthly": 60.0}, now, BERLIN)
    assert month.spent_usd == 30.0
    assert month.unpriced == 1
    assert month.percent == 50.0
    assert month.forecast_usd == 90.0  # $3/day over 30 days
    assert month.runs_out_at == at("2026-06-21T00:00")  # $60 at $3/day
    [roomy] = budget_status(entries, cost, {"monthly": 100.0}, now, BERLIN)
    assert roomy.runs_out_at is None


def test_alerts_fire_once_per_period_highest_threshold_only() -> None:
    memory = MemoryAlertLog()
    now = at("2026-06-10T18:00")
    day = [spend(at("2026-06-10T09:00"), 9.0, "a")]
    statuses = budget_status(day, cost, {"daily": 10.0}, now, BERLIN)
    [alert] = budget_alerts(memory, statuses, (50, 80, 100), now)
    assert alert.kind == "budget:daily:80"
    assert "$9.00 of $10.00" in alert.body
    assert memory.fired(statuses[0].start, "budget:daily:50")  # passed over, recorded silently
    assert budget_alerts(memory, statuses, (50, 80, 100), now) == []
    more = budget_status([*day, spend(now - 10, 2.0, "b")], cost, {"daily": 10.0}, now, BERLIN)
    assert [a.kind for a in budget_alerts(memory, more, (50, 80, 100), now)] == ["budget:daily:100"]
    tomorrow = at("2026-06-11T18:00")
    next_day = budget_status(
        [spend(tomorrow - 5, 9.0, "c")], cost, {"daily": 10.0}, tomorrow, BERLIN
    )
    assert [a.kind for a in budget_alerts(memory, next_day, (50, 80, 100), tomorrow)] == [
        "budget:daily:80"
    ]


@given(st.lists(st.tuples(st.floats(0, 40 * 86400), st.floats(0, 5)), max_size=40))
def test_monthly_spending_is_the_sum_of_that_months_priced_costs(
    items: list[tuple[float, float]],
) -> None:
    start = at("2026-06-01T00:00")
    now = start + 35 * 86400
    entries = [spend(start - 5 * 86400 + t, usd, f"k{i}") for i, (t, usd) in enumerate(items)]
    [month] = budget_status(entries, cost, {"monthly": 10.0}, now, BERLIN)
    lo, hi = period_bounds("monthly", now, BERLIN)
    expected = sum(
        e.cost_usd or 0 for e in entries if lo <= e.timestamp < hi and e.timestamp <= now
    )
    assert abs(month.spent_usd - expected) < 1e-6
    memory = MemoryAlertLog()
    first = budget_alerts(memory, [month], (50, 100), now)
    assert len(first) <= 1
    assert budget_alerts(memory, [month], (50, 100), now) == []
